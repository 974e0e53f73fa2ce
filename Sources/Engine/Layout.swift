import BlockLabCore
import Glibc
import JobSpec

/// The files a run must create or extend before it starts, laid out as one undoable step:
/// free space is checked for all of them together (per filesystem), and when a layout
/// fails or Ctrl-C arrives, every file this run created is removed and every file it
/// extended is cut back to its former size, so a refused or interrupted run leaves nothing.
struct LayoutPlan {
    struct Step {
        var path: String
        var size: UInt64
        /// Size before layout; nil when the file does not exist yet.
        var existing: UInt64?
        var what: String
    }

    /// Ctrl-C during a layout.
    struct Interrupted: Error {
        var path: String
        var done: UInt64
        var of: UInt64
    }

    private(set) var steps: [Step] = []

    /// The size a job needs `path` to have: its own end (offset + size), or more when an
    /// earlier job on the same file already asked for more.
    func size(of path: String, existing: UInt64?, spec: JobSpec) -> UInt64 {
        let (end, overflow) = spec.offset.addingReportingOverflow(spec.size ?? 0)
        let own = overflow ? UInt64.max : end
        return max(own, steps.first { $0.path == path }?.size ?? 0)
    }

    mutating func add(path: String, size: UInt64, existing: UInt64?, what: String) throws {
        if let i = steps.firstIndex(where: { $0.path == path }) {
            steps[i].size = max(steps[i].size, size)
        } else {
            steps.append(Step(path: path, size: size, existing: existing, what: what))
        }
    }

    /// All files on one filesystem must fit in its free space together.
    func checkFreeSpace() throws {
        var needs: [(dev: UInt64, dir: String, bytes: UInt64, what: String, paths: [String])] = []
        for step in steps {
            let dir = AtomicFile.directory(of: step.path)
            var st = stat()
            guard stat(dir, &st) == 0 else { throw BlockLabError.usage("\(step.what): directory \(Text.escaped(dir)) does not exist") }
            let more = step.size - (step.existing ?? 0)
            if let i = needs.firstIndex(where: { $0.dev == UInt64(st.st_dev) }) {
                let (sum, overflow) = needs[i].bytes.addingReportingOverflow(more)
                needs[i].bytes = overflow ? .max : sum
                needs[i].paths.append(step.path)
            } else {
                needs.append((UInt64(st.st_dev), dir, more, step.what, [step.path]))
            }
        }
        for need in needs {
            var sv = statvfs()
            guard statvfs(need.dir, &sv) == 0 else { throw SystemError("statvfs", errno: errno, path: need.dir) }
            let (free, overflow) = UInt64(sv.f_bavail).multipliedReportingOverflow(by: UInt64(sv.f_frsize))
            let available = overflow ? UInt64.max : free
            if need.bytes > available {
                let files = need.paths.map(Text.escaped).joined(separator: ", ")
                throw BlockLabError.usage("\(need.what): laying out \(files) needs \(Units.formatBytes(need.bytes)) but only "
                    + "\(Units.formatBytes(available)) is free there; nothing was written")
            }
        }
    }

    /// Lays every file out, then calls `then` with what each now is; undoes everything if
    /// either throws.
    func run(stop: StopToken, then: ([String: TargetInfo]) throws -> Void) throws {
        var touched: [Step] = []
        do {
            for step in steps {
                // O_EXCL for a new file: never adopt (and later delete) a file that appeared
                // since the check; O_NOFOLLOW: the path was resolved, a new symlink is not ours.
                let flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (step.existing == nil ? O_CREAT | O_EXCL : 0)
                let fd = open(step.path, flags, 0o644)
                guard fd >= 0 else { throw SystemError("open", errno: errno, path: step.path) }
                touched.append(step)
                defer { close(fd) }
                try Target.fill(fd: fd, path: step.path, from: step.existing ?? 0, to: step.size, what: step.what, stop: stop)
            }
            var infos: [String: TargetInfo] = [:]
            for step in steps { infos[step.path] = try Target.inspect(step.path, what: step.what) }
            try then(infos)
        } catch {
            let undone = Self.undo(touched)
            if let i = error as? Interrupted {
                throw BlockLabError.interrupted("interrupted while laying out \(Text.escaped(i.path)) (\(Units.formatBytes(i.done)) of "
                    + "\(Units.formatBytes(i.of)) written); \(undone)")
            }
            throw error
        }
    }

    /// Removes what this run created and cuts back what it extended; says what it did.
    static func undo(_ touched: [Step]) -> String {
        guard !touched.isEmpty else { return "nothing was written" }
        var said: [String] = []
        for step in touched.reversed() {
            if let size = step.existing {
                _ = truncate(step.path, off_t(size))
                said.append("\(Text.escaped(step.path)) cut back to its former \(Units.formatBytes(size))")
            } else {
                _ = unlink(step.path)
                said.append("\(Text.escaped(step.path)) removed")
            }
        }
        return said.joined(separator: ", ") + "; nothing else was written"
    }
}

/// Limits the kernel and this process set, checked before any file is laid out so a job
/// that cannot start is bad input (exit 2), not a crash or a failure mid-run.
enum Resources {
    /// fio's own ceiling on job threads (REAL_MAX_JOBS).
    static let maxThreads = 4096

    static func check(_ plans: [ClonePlan]) throws {
        for group in Set(plans.map(\.group)).sorted() {
            let members = plans.filter { $0.group == group }
            guard let first = members.first else { continue }
            let at = first.spec.origin
            if members.count > maxThreads {
                throw BlockLabError.usage("\(at): \(members.count) job threads would run at once (numjobs); at most \(maxThreads)")
            }
            var bufferBytes: UInt64 = 0
            for plan in members {
                try Engines.driver(for: plan.engine).checkDepth(plan)
                let page = UInt64(BufferArena.pageSize)
                let slot = (UInt64(plan.spec.bufferBlockSize) + page - 1) / page * page
                var (bytes, overflow) = slot.multipliedReportingOverflow(by: UInt64(plan.depth))
                if let mapped = plan.mapped, !mapped.isReadOnly, !overflow {
                    let staging = UInt64(MappedBackend<PsyncBackend>.scratchBytes(depth: plan.depth, sqesPerIO: plan.sqesPerIO,
                                                                                  chunkSize: mapped.chunkSize))
                    (bytes, overflow) = bytes.addingReportingOverflow(staging)
                }
                let (sum, sumOverflow) = bufferBytes.addingReportingOverflow(bytes)
                bufferBytes = overflow || sumOverflow ? .max : sum
            }
            let memory = UInt64(max(0, sysconf(Int32(_SC_PHYS_PAGES)))) * UInt64(BufferArena.pageSize)
            if memory > 0 && bufferBytes > memory / 2 {
                throw BlockLabError.usage("\(at): iodepth × bs × numjobs needs \(Units.formatBytes(bufferBytes)) of I/O buffers at once, "
                    + "more than half of this machine's memory (\(Units.formatBytes(memory))); lower iodepth, bs or numjobs")
            }
            // Each job thread holds its target and its ring open; the rest is headroom for
            // the process itself (standard streams, outputs, a mapped target's files).
            let needed = UInt64(members.count) * 3 + 32
            let limit = raiseOpenFileLimit()
            if needed > limit {
                throw BlockLabError.usage("\(at): \(members.count) job threads at once need about \(needed) open files, but the limit is "
                    + "\(limit) (ulimit -n); raise it or lower numjobs")
            }
        }
    }

    /// Raises the soft open-file limit to the hard one (as many tools do) and returns it.
    static func raiseOpenFileLimit() -> UInt64 {
        var lim = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0 else { return .max }
        if lim.rlim_cur < lim.rlim_max {
            var raised = lim
            raised.rlim_cur = lim.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { lim = raised }
        }
        return UInt64(lim.rlim_cur)
    }
}
