#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore
import SnapStore
import Crypto

/// Crash test: a child process imports images, deletes volumes and snapshots, restores and
/// hydrates volumes, writes deterministic data and takes snapshots, while the parent kills
/// it with SIGKILL at random moments. After each kill the parent runs `check` and verifies
/// that every operation the child reported complete is there (and every deletion gone),
/// that every snapshot, restored volume and imported volume in the pool reads back exactly
/// as the deterministic script says, and that an import the kill interrupted left no
/// volume at all; the next child retries that import under the same name.
///
/// Child protocol (one line each; "-ing" lines before the call, the others after it returns):
/// `snap NAME`, `deleting NAME`, `deleted NAME` (snapshots), `deleting-volume NAME`,
/// `deleted-volume NAME`, `restoring VOLUME`, `restored VOLUME`, `hydrated VOLUME`,
/// `importing NAME`, `imported NAME`.
///
/// Most kills come at a random moment; every other round the parent instead waits for the
/// child to announce an import, a volume or snapshot delete, or a restore and kills it a
/// few milliseconds later, so those short operations are interrupted too.
public enum CrashTest {
    static let volumeSize: UInt64 = 1 << 20
    public static let chunkSize = 16 * 1024
    static let maxSteps = 400

    enum Action { case write(offset: UInt64, length: Int, dataSeed: UInt64), snapshot(String), deleteSnapshot(String) }


    /// The child's actions: a pure function of (seed, run), so the parent can recompute them.
    struct Script {
        let run: Int
        var rng: SplitMix64
        var snapCount = 0
        var live: [String] = []
        init(seed: UInt64, run: Int) { self.run = run; rng = SplitMix64(seed: seed ^ (UInt64(run) &* 0xD1B5_4A32_D192_ED03)) }

        mutating func next() -> Action {
            let r = rng.next() % 100
            if r < 75 {
                let offset = (rng.next() % (volumeSize / 4096)) * 4096
                let len = min(Int(1 + rng.next() % 12) * 4096, Int(volumeSize - offset))
                return .write(offset: offset, length: len, dataSeed: rng.next())
            }
            if r < 93 || live.count < 2 {
                let name = "v\(run).s\(snapCount)"
                snapCount += 1
                live.append(name)
                return .snapshot(name)
            }
            return .deleteSnapshot(live.remove(at: Int(rng.next() % UInt64(live.count))))
        }
    }

    static func data(seed: UInt64, length: Int) -> [UInt8] {
        var g = SplitMix64(seed: seed)
        var out = [UInt8](repeating: 0, count: length)
        out.withUnsafeMutableBytes { raw in
            for i in stride(from: 0, to: length, by: 8) {
                var v = g.next()
                withUnsafeBytes(of: &v) { raw.baseAddress!.advanced(by: i).copyMemory(from: $0.baseAddress!, byteCount: min(8, length - i)) }
            }
        }
        return out
    }

    static func runNumber(ofName name: String) -> Int? {
        // "v<r>.s<k>" or "r<r>from-..." / "v<r>" / "i<r>"
        guard let first = name.first, first == "v" || first == "r" || first == "i" else { return nil }
        return Int(name.dropFirst().prefix { $0.isNumber })
    }

    // MARK: - Images

    static let imageSize = 512 << 10

    /// Where the image for import `name` lives (beside the pool, not in it).
    static func imagePath(pool: String, name: String) -> String { "\(pool).images/\(name).img" }

    /// The content of import `name`: deterministic data with every fourth chunk zero (left
    /// unallocated by the import).
    static func image(seed: UInt64, name: String) -> [UInt8] {
        var h: UInt64 = seed ^ 0x9E37_79B9_7F4A_7C15
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x1000_0000_01B3 }
        var out = data(seed: h, length: imageSize)
        for c in stride(from: 0, to: imageSize / chunkSize, by: 4) {
            out.replaceSubrange(c * chunkSize..<(c + 1) * chunkSize, with: repeatElement(0, count: chunkSize))
        }
        return out
    }

    static func writeImage(seed: UInt64, pool: String, name: String) throws {
        let bytes = image(seed: seed, name: name)
        let fd = Glibc.open(imagePath(pool: pool, name: name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("open", errno: errno, path: imagePath(pool: pool, name: name)) }
        defer { Glibc.close(fd) }
        let e = bytes.withUnsafeBytes { PoolIO.system.writeFully(fd, $0.baseAddress!, $0.count, 0) }
        if e != 0 { throw SystemError("write", errno: e, path: imagePath(pool: pool, name: name)) }
    }

    // MARK: - Child

    /// The child: runs the script for `run` on the pool at `path`, writing protocol lines to
    /// `outFD`. Returns when the script ends (normally it is killed first).
    public static func child(path: String, run: Int, seed: UInt64, outFD: Int32) throws {
        func say(_ s: String) { let b = Array((s + "\n").utf8); _ = b.withUnsafeBytes { Glibc.write(outFD, $0.baseAddress!, $0.count) } }
        let pool = try Pool(path: path)
        // Retry the previous run's import if it is not there (a kill interrupted it, or came
        // before it): the same name must be free again.
        let previous = "i\(run - 1)"
        if run > 1 && !pool.hasVolume(previous) {
            say("importing \(previous)")
            try pool.importImage(from: imagePath(pool: path, name: previous), to: previous)
            say("imported \(previous)")
        }
        for v in pool.volumes() {
            say("deleting-volume \(v.name)")
            try pool.deleteVolume(name: v.name)
            say("deleted-volume \(v.name)")
        }
        for s in pool.snapshots() where (runNumber(ofName: s.name) ?? run) <= run - 3 {
            say("deleting \(s.name)")
            try pool.deleteSnapshot(name: s.name)
            say("deleted \(s.name)")
        }
        if let from = pool.snapshots().filter({ runNumber(ofName: $0.name) == run - 1 }).last?.name {
            let vol = "r\(run)from-\(from)"
            say("restoring \(vol)")
            try pool.restore(snapshot: from, to: vol)
            say("restored \(vol)")
            _ = try pool.initializeVolume(vol)
            say("hydrated \(vol)")
        }
        say("importing i\(run)")
        try pool.importImage(from: imagePath(pool: path, name: "i\(run)"), to: "i\(run)")
        say("imported i\(run)")
        try pool.createVolume(name: "v\(run)", size: volumeSize)
        let io = try pool.openVolume("v\(run)")
        var script = Script(seed: seed, run: run)
        for _ in 0..<maxSteps {
            switch script.next() {
            case let .write(offset, length, dataSeed):
                try io.write(offset: offset, bytes: data(seed: dataSeed, length: length))
            case .snapshot(let name):
                try pool.createSnapshot(volume: "v\(run)", name: name)
                say("snap \(name)")
            case .deleteSnapshot(let name):
                say("deleting \(name)")
                try pool.deleteSnapshot(name: name)
                say("deleted \(name)")
            }
        }
        try pool.close()
    }

    // MARK: - Parent

    /// Expected snapshot digests of one run, computed by replaying its script.
    final class Reference {
        var script: Script
        var model = [UInt8](repeating: 0, count: Int(volumeSize))
        var digests: [String: [UInt8]] = [:]
        var steps = 0
        init(seed: UInt64, run: Int) { script = Script(seed: seed, run: run) }

        func digest(of name: String) -> [UInt8]? {
            while digests[name] == nil && steps < maxSteps {
                steps += 1
                switch script.next() {
                case let .write(offset, length, dataSeed):
                    model.replaceSubrange(Int(offset)..<Int(offset) + length, with: CrashTest.data(seed: dataSeed, length: length))
                case .snapshot(let n): digests[n] = Array(SHA256.hash(data: model))
                case .deleteSnapshot: break
                }
            }
            return digests[name]
        }
    }

    public struct Report: Sendable {
        public var kills = 0
        public var snapshotsVerified = 0
        public var snapshotsReported = 0
        public var restoredVerified = 0
        /// Imported volumes found complete and read back exactly.
        public var importsVerified = 0
        /// Imports a kill interrupted (started, never reported done) that left no volume.
        public var importsInterrupted = 0
        /// Imports of a name whose previous attempt was interrupted, completed.
        public var importRetriesCompleted = 0
        public var volumeDeletesReported = 0
    }

    /// Starts a child for `run` and returns its pid and the read end of its stdout pipe.
    public typealias Spawner = (_ path: String, _ run: Int, _ seed: UInt64) throws -> (pid: pid_t, out: Int32)

    /// Spawns `executable arguments... PATH --run R --seed S` (e.g. `blocklab pool crash-child`).
    public static func execSpawner(executable: String, arguments: [String]) -> Spawner {
        return { path, run, seed in
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw SystemError("pipe", errno: errno) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            let argv = [executable] + arguments + [path, "--run", String(run), "--seed", String(seed)]
            var cargs = argv.map { strdup($0) } + [nil]
            defer { for a in cargs { free(a) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, executable, &actions, nil, &cargs, environ)
            Glibc.close(fds[1])
            guard rc == 0 else { Glibc.close(fds[0]); throw SystemError("posix_spawn", errno: rc, path: executable) }
            return (pid, fds[0])
        }
    }

    /// In a forked child: closes every descriptor above stderr except `keep`.
    public static func closeInheritedDescriptors(keep: Int32) {
        var open: [Int32] = []
        if let d = opendir("/proc/self/fd") {
            while let e = readdir(d) {
                let n = withUnsafeBytes(of: e.pointee.d_name) { Int32(String(cString: $0.bindMemory(to: CChar.self).baseAddress!)) }
                if let n, n > 2, n != keep { open.append(n) }
            }
            closedir(d)
        }
        for fd in open { Glibc.close(fd) }
    }

    /// Forks and runs the child in-process (for the test suite, which has no separate binary).
    public static let forkSpawner: Spawner = { path, run, seed in
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SystemError("pipe", errno: errno) }
        let pid = fork()
        if pid == 0 {
            // Drop every other descriptor first: copies of the test process's open pools
            // would otherwise keep their locks held while this child lives.
            closeInheritedDescriptors(keep: fds[1])
            do { try child(path: path, run: run, seed: seed, outFD: fds[1]) } catch {
                let b = Array("error \(error)\n".utf8)
                _ = b.withUnsafeBytes { Glibc.write(fds[1], $0.baseAddress!, $0.count) }
                _exit(3)
            }
            _exit(0)
        }
        Glibc.close(fds[1])
        guard pid > 0 else { Glibc.close(fds[0]); throw SystemError("fork", errno: errno) }
        return (pid, fds[0])
    }

    /// Reads the child's output into `text` until a line starting with `prefix` has begun,
    /// the child closes its output, or `timeoutMs` passes.
    static func waitForLine(startingWith prefix: String, from fd: Int32, into text: inout [UInt8], timeoutMs: Int) {
        let marker = Array(("\n" + prefix).utf8)
        let deadline = SystemClock.shared.now() + UInt64(timeoutMs) * 1_000_000
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            if text.starts(with: marker.dropFirst()) || text.count >= marker.count && (0...(text.count - marker.count)).contains(where: { text[$0..<$0 + marker.count].elementsEqual(marker) }) { return }
            let now = SystemClock.shared.now()
            guard now < deadline else { return }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32((deadline - now) / 1_000_000 + 1))
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else { return }
            let n = Syscall.retrying { buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) } }
            guard n > 0 else { return }
            text += buf[0..<n]
        }
    }

    /// Runs `kills` child/kill/verify rounds on a fresh pool at `path`. Throws
    /// BlockLabError.runtime describing the first inconsistency found.
    public static func run(path: String, kills: Int, seed: UInt64, maxDelayMs: UInt32 = 60,
                           spawn: Spawner, log: (String) -> Void = { _ in }) throws -> Report {
        guard kills > 0 else { throw BlockLabError.usage("--kills \(kills): must be a positive number of kills") }
        try Pool.create(path: path, chunkSize: chunkSize)
        let imageDir = AtomicFile.directory(of: imagePath(pool: path, name: "x"))
        guard mkdir(imageDir, 0o755) == 0 || errno == EEXIST else { throw SystemError("mkdir", errno: errno, path: imageDir) }
        var report = Report()
        var refs: [Int: Reference] = [:]
        var mustExist = Set<String>()
        var volumesMustExist = Set<String>()
        var mustBeGone = Set<String>()
        var interrupted = Set<String>()
        var images: [String: [UInt8]] = [:]
        func expectedImage(_ name: String) -> [UInt8] {
            if let b = images[name] { return b }
            let b = image(seed: seed, name: name)
            images[name] = b
            return b
        }
        var rng = SplitMix64(seed: seed)
        for round in 1...kills {
            for name in mustExist where (runNumber(ofName: name) ?? round) <= round - 3 { mustExist.remove(name) }
            for name in mustBeGone where (runNumber(ofName: name) ?? round) <= round - 3 { mustBeGone.remove(name) }
            try writeImage(seed: seed, pool: path, name: "i\(round)")
            if round > 3 { unlink(imagePath(pool: path, name: "i\(round - 3)")); images["i\(round - 3)"] = nil }
            let (pid, out) = try spawn(path, round, seed)
            var text = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 4096)
            if round % 2 == 0 {
                // The round's own import, so the next round's retry of it is not itself the target.
                let target = ["importing i\(round)\n", "deleting-volume ", "restoring ", "deleting "][(round / 2) % 4]
                waitForLine(startingWith: target, from: out, into: &text, timeoutMs: Int(maxDelayMs) * 4)
                usleep(UInt32(rng.next() % 4000))
            } else {
                usleep(UInt32(rng.next() % (UInt64(maxDelayMs) * 1000 + 1)))
            }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = Syscall.retrying { waitpid(pid, &status, 0) }
            report.kills += 1
            while true {
                let n = Syscall.retrying { buf.withUnsafeMutableBytes { Glibc.read(out, $0.baseAddress!, $0.count) } }
                if n <= 0 { break }
                text += buf[0..<n]
            }
            Glibc.close(out)
            var childError = ""
            var importing: String?
            for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
                if line.hasPrefix("error ") { childError = String(line) }
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                let name = parts[1]
                switch parts[0] {
                case "snap": mustExist.insert(name); report.snapshotsReported += 1
                case "deleting": mustExist.remove(name)
                case "deleted": mustBeGone.insert(name)
                case "deleting-volume": volumesMustExist.remove(name)
                case "deleted-volume": mustBeGone.insert(name); report.volumeDeletesReported += 1
                case "restored": volumesMustExist.insert(name)
                case "importing": importing = name
                case "imported":
                    importing = nil
                    volumesMustExist.insert(name)
                    if interrupted.remove(name) != nil { report.importRetriesCompleted += 1 }
                default: break
                }
            }
            if status & 0x7f == 0 && (status >> 8) & 0xff != 0 { // exited with an error (not killed)
                throw BlockLabError.runtime("crash test round \(round): child failed with exit status \((status >> 8) & 0xff) \(childError)")
            }
            // Verify.
            let check = try Pool.check(path: path)
            guard check.ok else { throw BlockLabError.runtime("crash test round \(round): pool check failed: \(check.errors.joined(separator: "; "))") }
            let pool = try Pool(path: path, readOnly: true)
            defer { try? pool.close() }
            let present = Set(pool.snapshots().map(\.name))
            for name in mustExist where !present.contains(name) {
                throw BlockLabError.runtime("crash test round \(round): snapshot \(name) was reported complete but is missing")
            }
            for name in volumesMustExist where !pool.hasVolume(name) {
                throw BlockLabError.runtime("crash test round \(round): volume \(name) was reported complete but is missing")
            }
            for name in mustBeGone where pool.hasVolume(name) || pool.hasSnapshot(name) {
                throw BlockLabError.runtime("crash test round \(round): \(name) was reported deleted but is still there")
            }
            if let name = importing, !pool.hasVolume(name) {
                report.importsInterrupted += 1
                interrupted.insert(name)
            }
            for v in pool.volumes() where v.name.hasPrefix("i") {
                // An import is all or nothing: a volume under an import's name is the whole image.
                let got = try pool.openVolume(v.name).read(offset: 0, count: Int(v.sizeBytes))
                guard got == expectedImage(v.name) else {
                    throw BlockLabError.runtime("crash test round \(round): imported volume \(v.name) does not read back as its image (a partial import)")
                }
                report.importsVerified += 1
            }
            func verify(_ io: PoolVolumeIO, as snap: String) throws {
                guard let r = runNumber(ofName: snap) else { throw BlockLabError.runtime("unexpected snapshot name \(snap)") }
                if refs[r] == nil { refs[r] = Reference(seed: seed, run: r) }
                guard let want = refs[r]!.digest(of: snap) else { throw BlockLabError.runtime("crash test: \(snap) is not in run \(r)'s script") }
                let got = Array(SHA256.hash(data: try io.read(offset: 0, count: Int(io.sizeBytes))))
                guard got == want else { throw BlockLabError.runtime("crash test round \(round): \(io.name) does not read back as \(snap) should") }
            }
            for name in present.sorted() { try verify(try pool.openSnapshot(name), as: name); report.snapshotsVerified += 1 }
            for v in pool.volumes() where v.name.hasPrefix("r") {
                guard let dash = v.name.firstIndex(of: "-") else { continue }
                let from = String(v.name[v.name.index(after: dash)...])
                try verify(try pool.openVolume(v.name), as: from)
                report.restoredVerified += 1
            }
            for r in refs.keys where r < round - 4 { refs[r] = nil }
            log("round \(round): \(present.count) snapshots verified, \(check.warnings.count) warning(s)\(importing.map { pool.hasVolume($0) ? "" : ", import \($0) interrupted" } ?? "")")
        }
        return report
    }
}
