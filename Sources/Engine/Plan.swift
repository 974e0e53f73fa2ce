import BlockLabCore
import Glibc
import JobSpec
import Metrics
import Verify

/// One thread's worth of work: a job (or one numjobs clone of it) resolved against its
/// target, checked before any I/O starts so bad input fails fast with exit code 2.
struct ClonePlan {
    var spec: JobSpec
    var clone: Int
    /// The job's index in the run's job list.
    var jobIndex: Int
    var jobNumber: Int
    /// The stonewall phase it runs in (phases run one after another).
    var group: Int
    /// fio's reporting group (groupid): a stonewall or new_group starts the next one.
    var reportGroup: Int
    var target: TargetInfo
    var region: Range<UInt64>
    var depth: Int
    var engine: EngineTraits
    /// A mapped target (a thin volume or a read-only view of one) instead of a file or device.
    var mapped: MappedTarget?
    /// Most per-I/O log samples this job thread keeps (see `logSampleBudget`).
    var logSampleBudget = Int.max
    /// The file is created by the job's open (no layout): `JobSpec.createsOnOpen`.
    var createOnOpen = false
    /// The file does not exist yet: an earlier phase's job creates it as it writes
    /// (fill_device), so its region is the file's size when this job's phase starts.
    var sizedAtStart = false
    /// Job threads in the run (fio's thread_number count: dedupe_global spreads its
    /// working set over them).
    var threads = 1

    /// Most kernel operations one I/O can need: on a mapped target an I/O may span
    /// several chunks, and each may need a two-step copy before its write.
    var sqesPerIO: Int {
        guard let mapped else { return 1 }
        return 3 * (Int(spec.maxBlockSize) / mapped.chunkSize + 2)
    }
}

/// Resolves jobs into clone plans in three steps, so that bad input fails with exit code 2
/// before anything is written and a refusal leaves nothing behind: check every job and
/// target (paths resolved, kernel filesystems and snapshot stores refused, devices guarded, regions,
/// alignment, resource limits), check free space for all files to lay out together, and
/// only then lay them out (undone if anything fails or Ctrl-C arrives).
enum ClonePlanner {
    /// Checks everything and plans the layout, writing nothing.
    static func resolve(_ jobs: [JobSpec], allowDestructive: Bool, mappedTarget: MappedTarget? = nil,
                        notice: (String) -> Void) throws -> (clones: [ClonePlan], layouts: LayoutPlan) {
        var plans: [ClonePlan] = []
        var layouts = LayoutPlan()
        var group = 0
        var reportGroup = 0
        var jobNumber = 0
        var said: Set<String> = []
        let allowed = CPUPlacement.allowedCPUs()
        for (index, original) in jobs.enumerated() {
            var spec = original
            if spec.stonewall && index > 0 { group += 1 }
            if (spec.stonewall || spec.newGroup) && index > 0 { reportGroup += 1 }
            try validate(spec)
            try NUMA.apply(&spec, allowed: allowed)
            if let w = spec.waitFor {
                // fio: the job waited for must come before (it has then started or finished).
                guard jobs[..<index].contains(where: { $0.name == w }) else {
                    throw BlockLabError.usage("\(spec.origin): job '\(spec.name)': wait_for=\(w): no job of that name comes before it")
                }
            }
            for (key, _) in spec.options {
                let name = key == "disable_bw" ? "disable_bw_measurement" : key
                guard let why = JobOptionNotes.inert[name], !said.contains(name) else { continue }
                notice("note: \(key): \(why)")
                said.insert(name)
            }
            if spec.ioSubmitOffload && !said.contains("io_submit_mode") {
                notice("note: io_submit_mode=offload: BlockLab's lat_ns already counts from when each I/O was due (what offload gives in fio); I/Os are issued by the job's own thread")
                said.insert("io_submit_mode")
            }
            let engine = spec.ioengine
            if spec.ioengineRequested != engine.name && !said.contains(spec.ioengineRequested) {
                notice("note: ioengine=\(spec.ioengineRequested) runs on \(engine.name): \(engine.summary)")
                said.insert(spec.ioengineRequested)
            }
            let depth = spec.effectiveDepth
            if depth < spec.iodepth {
                notice("note: \(spec.name): ioengine=\(engine.name) runs at queue depth \(depth) (iodepth=\(spec.iodepth) asked)")
            }
            let mapped = mappedTarget
            if let mapped {
                if spec.numjobs > 1 {
                    throw BlockLabError.usage("\(spec.origin): \(mapped.label) takes one job thread at a time (numjobs=1)")
                }
                if spec.rw.trims {
                    throw BlockLabError.usage("\(spec.origin): rw=\(spec.rw.rawValue): trims on \(mapped.label) are not supported (a pool volume has no discard)")
                }
                if spec.fillDevice {
                    throw BlockLabError.usage("\(spec.origin): fill_device on \(mapped.label) is not supported (a pool volume's size is fixed)")
                }
                if spec.rw.writes && !spec.verifyOnly && mapped.isReadOnly {
                    throw BlockLabError.usage("\(spec.origin): \(mapped.label) is read-only; restore it to a volume to write")
                }
                if plans.contains(where: { $0.group == group && $0.mapped === mapped }) {
                    throw BlockLabError.usage("\(spec.origin): \(mapped.label) is already used by another job running at the same time; add stonewall")
                }
            }
            let base = spec
            for clone in 0..<spec.numjobs {
                var spec = base
                let path = targetPath(spec, clone: clone)
                if spec.offsetIncrement > 0 {
                    let (step, o1) = spec.offsetIncrement.multipliedReportingOverflow(by: UInt64(clone))
                    let (offset, o2) = spec.offset.addingReportingOverflow(step)
                    guard !o1, !o2 else { throw BlockLabError.usage("\(spec.origin): offset_increment x numjobs overflows") }
                    spec.offset = offset
                }
                if spec.sizePercent != nil || spec.offsetPercent != nil {
                    try resolvePercentages(&spec, path: path, mapped: mapped)
                }
                let creator = mapped == nil && spec.size == nil && !spec.createsOnOpen
                    ? createdEarlier(path, before: group, in: plans) : nil
                let target = try creator
                    ?? mapped.map { try mappedInfo($0, what: "\(spec.origin): --target") }
                    ?? (spec.createsOnOpen ? unlaidTarget(&spec, path: path, allowDestructive: allowDestructive)
                        : checkTarget(spec, path: path, allowDestructive: allowDestructive, layouts: &layouts))
                let length = spec.size ?? (target.size > spec.offset ? target.size - spec.offset : 0)
                let (end, overflow) = spec.offset.addingReportingOverflow(length)
                guard !overflow, end <= target.size, length > 0 else {
                    throw BlockLabError.usage("\(spec.origin): offset=\(spec.offset) size=\(length) lies outside \(path) (\(Units.formatBytes(target.size)))")
                }
                if spec.sequentialSkip < 0, UInt64(-spec.sequentialSkip) >= length {
                    throw BlockLabError.usage("\(spec.origin): job '\(spec.name)': rw=\(spec.rw.rawValue):\(spec.sequentialSkip) steps back further than the job's region (\(Units.formatBytes(length)))")
                }
                let largest = UInt64(spec.maxBlockSize)
                if largest > length {
                    throw BlockLabError.usage("\(spec.origin): job '\(spec.name)': bs=\(Units.formatBytes(largest)) is larger than the job's region "
                        + "(\(Units.formatBytes(length))); lower bs or raise size")
                }
                if spec.direct { try checkAlignment(spec, target: target) }
                plans.append(ClonePlan(spec: spec, clone: clone, jobIndex: index, jobNumber: jobNumber, group: group,
                                       reportGroup: reportGroup, target: target,
                                       region: spec.offset..<end, depth: depth, engine: engine,
                                       mapped: mapped, createOnOpen: spec.createsOnOpen && target.kind == .file,
                                       sizedAtStart: creator != nil))
                jobNumber += 1
            }
        }
        for i in plans.indices { plans[i].threads = plans.count }
        try Resources.check(plans)
        try layouts.checkFreeSpace()
        let memory = UInt64(max(0, sysconf(Int32(_SC_PHYS_PAGES)))) * UInt64(BufferArena.pageSize)
        let budget = logSampleBudget(memory: memory, perIOLoggers: plans.filter { $0.spec.logs.logsEveryIO }.count)
        for i in plans.indices { plans[i].logSampleBudget = budget }
        return (plans, layouts)
    }

    /// Per-I/O log samples each logging job thread may keep: all of them together at most a
    /// quarter of the machine's memory, since every sample is held until the run ends
    /// (a 1 M IOPS job logging every I/O holds about 170 MiB a minute).
    static func logSampleBudget(memory: UInt64, perIOLoggers: Int) -> Int {
        guard perIOLoggers > 0, memory > 0 else { return .max }
        let stride = UInt64(MemoryLayout<IOLogSample>.stride)
        return Int(clamping: memory / 4 / stride / UInt64(perIOLoggers))
    }

    /// Lays out the planned files (undone if anything fails or Ctrl-C arrives).
    static func layOut(_ plans: inout [ClonePlan], _ layouts: LayoutPlan, stop: StopToken) throws {
        guard !layouts.steps.isEmpty else { return }
        try layouts.run(stop: stop) { laidOut in
            // Now that the files exist, what only a real file can tell: its O_DIRECT support
            // and alignment.
            for i in plans.indices where plans[i].mapped == nil {
                guard let info = laidOut[plans[i].target.path] else { continue }
                plans[i].target = info
                let spec = plans[i].spec
                if spec.direct {
                    if !Target.supportsDirectIO(info.path) {
                        throw BlockLabError.usage("\(spec.origin): filename=\(info.path): the filesystem holding it does not support O_DIRECT (direct=1); use direct=0 or another directory")
                    }
                    try checkAlignment(spec, target: info)
                }
            }
        }
    }

    /// fio's naming: `filename` (relative to `directory` when both are given), else
    /// `directory/jobname.N.0` with N the job's number counting numjobs clones.
    /// `filename_format` (`$jobname`, `$jobnum` = the clone, `$filenum` = 0: one file per
    /// job) names the file when filename= is not given.
    static func targetPath(_ spec: JobSpec, clone: Int = 0) -> String {
        let dir = (spec.directory?.isEmpty ?? true) ? "." : spec.directory!
        guard let file = spec.filename else {
            // fio's default filename_format, $jobname.$jobnum.$filenum, where $jobnum is the
            // clone's number within its job (fio 3.33: [a] [b] numjobs=2 -> a.0.0 b.0.0 b.1.0).
            guard let format = spec.filenameFormat else { return "\(dir)/\(spec.name).\(clone).0" }
            let name = format.replacingOccurrences(of: "$jobname", with: spec.name)
                .replacingOccurrences(of: "$jobnum", with: String(clone))
                .replacingOccurrences(of: "$filenum", with: "0")
                .replacingOccurrences(of: "$clientuid", with: "0")
            return name.hasPrefix("/") ? name : "\(dir)/\(name)"
        }
        if file.hasPrefix("/") || spec.directory == nil { return file }
        return "\(dir)/\(file)"
    }

    /// `size=N%` / `offset=N%`: shares of the target's real size (it must exist), the offset
    /// rounded down to the job's alignment and the size to whole smallest blocks, as fio.
    static func resolvePercentages(_ spec: inout JobSpec, path: String, mapped: MappedTarget?) throws {
        let what = "\(spec.origin): filename=\(Text.escaped(path))"
        let total: UInt64
        if let mapped { total = mapped.sizeBytes } else {
            let resolved = try PathSafety.check(path, what: what)
            guard let existing = try Target.inspect(resolved, what: what) else {
                let given = [spec.sizePercent.map { "size=\(Units.formatDecimal($0, places: 0))%" },
                             spec.offsetPercent.map { "offset=\(Units.formatDecimal($0, places: 0))%" }].compactMap { $0 }
                throw BlockLabError.usage("\(what) does not exist; \(given.joined(separator: " and ")) is a share of an existing file or device")
            }
            total = existing.size
        }
        let align = UInt64(max(1, spec.blockAlign ?? spec.blockSize.map(\.minimum).min() ?? 1))
        if let p = spec.offsetPercent {
            spec.offset = UInt64(Double(total) * p / 100) / align * align
        }
        if let p = spec.sizePercent {
            let room = total > spec.offset ? total - spec.offset : 0
            let size = min(UInt64(Double(total) * p / 100), room) / align * align
            guard size > 0 else {
                throw BlockLabError.usage("\(what): size=\(Units.formatDecimal(p, places: 2))% of \(Units.formatBytes(total)) from offset \(spec.offset) is less than one block")
            }
            spec.size = size
        }
    }

    /// A mapped target is addressed by logical offset; the engine opens its data file.
    static func mappedInfo(_ m: MappedTarget, what: String) throws -> TargetInfo {
        TargetInfo(path: m.dataPath, kind: .mapped, size: m.sizeBytes, logicalBlockSize: try Target.fileDirectIOAlignment(m.dataPath))
    }

    static func validate(_ spec: JobSpec) throws {
        let at = spec.origin
        if spec.iodepth < 1 { throw BlockLabError.usage("\(at): iodepth must be at least 1") }
        if spec.numjobs < 1 { throw BlockLabError.usage("\(at): numjobs must be at least 1") }
        if spec.maxBlockSize == 0 { throw BlockLabError.usage("\(at): bs must be greater than 0") }
        // A trim's result is its length as a kernel result (Int32), and the kernel moves at
        // most 2 GiB - 4 KiB in one call.
        if spec.rw.trims, spec.blockSize[min(2, spec.blockSize.count - 1)].maximum > Self.maxTrimBytes {
            throw BlockLabError.usage("\(at): a trim of \(Units.formatBytes(UInt64(spec.blockSize[min(2, spec.blockSize.count - 1)].maximum))) is larger than one call can take (\(Units.formatBytes(UInt64(Self.maxTrimBytes)))); lower the trim size (bs's third value)")
        }
        // trimwrite's write takes the trim's size (fio), so a verify must fit that too.
        if (spec.verify != nil || spec.verifyPattern != nil) && spec.rw.trims && spec.rw.writes {
            throw BlockLabError.usage("\(at): verify with rw=\(spec.rw.rawValue) is not supported (each write takes its trim's size; verify a separate write job)")
        }
        if spec.verifyOnly && spec.verify == nil && spec.verifyPattern == nil { throw BlockLabError.usage("\(at): verify_only needs verify=") }
        if spec.verify == .pattern && spec.verifyPattern == nil {
            throw BlockLabError.usage("\(at): verify=pattern needs verify_pattern")
        }
        // verify_pattern without verify= is fio's header and pattern.
        if spec.verify != nil || spec.verifyPattern != nil {
            let minimum = try VerifyCodec.minimumBlockSize(spec.verify?.rawValue)
            let smallest = [spec.rw.reads ? spec.blockSize[0].minimum : UInt32.max,
                            spec.rw.writes ? spec.blockSize[1].minimum : UInt32.max].min()!
            if Int(smallest) < minimum {
                throw BlockLabError.usage("\(at): verify=\(spec.verify?.rawValue ?? "pattern") needs blocks of at least \(minimum) bytes (header and checksum), bs is \(smallest)")
            }
            let interval = verifyInterval(spec)
            if interval < minimum {
                throw BlockLabError.usage("\(at): verify_interval=\(interval) is too small for verify=\(spec.verify?.rawValue ?? "pattern"): header and checksum take \(minimum - 1) bytes")
            }
            if spec.verify != .pattern, spec.verify != .null, spec.verifyOffset > 0, Int(spec.verifyOffset) < minimum - 1 {
                // fio swaps the two ranges with memcpy: overlapping, the swap cannot be undone
                // (fio then fails its own verify).
                throw BlockLabError.usage("\(at): verify_offset=\(spec.verifyOffset) overlaps the \(minimum - 1)-byte verify header it is swapped with; use at least \(minimum - 1)")
            }
            if spec.verify != .pattern, spec.verify != .null, spec.verifyOffset > 0, Int(spec.verifyOffset) + minimum - 1 > interval {
                throw BlockLabError.usage("\(at): verify_offset=\(spec.verifyOffset) puts the \(minimum - 1)-byte header past the end of the \(interval)-byte verify interval")
            }
        }
        if spec.dedupePercentage > 0 && spec.dedupeMode == .workingSet {
            // fio's checks (init.c), with its words.
            if spec.size == nil && spec.sizePercent == nil && spec.fileSize == nil {
                throw BlockLabError.usage("\(at): dedupe_mode=working_set: pregenerated dedupe working set requires size to be set")
            }
            if spec.dedupeWorkingSetPercentage + spec.dedupePercentage > 100 {
                throw BlockLabError.usage("\(at): impossible to reach expected dedupe percentage \(spec.dedupePercentage) since \(spec.dedupeWorkingSetPercentage) percentage of size is reserved to dedupe working set (those are unique pages)")
            }
        }
    }

    /// fio's verify interval: `JobSpec.effectiveVerifyInterval`.
    static func verifyInterval(_ spec: JobSpec) -> Int { spec.effectiveVerifyInterval }

    /// Checks a job's file or device without writing anything; a file that must be
    /// created or extended is added to `layouts`. The returned info has the size the target
    /// will have once laid out, and its resolved path.
    static func checkTarget(_ spec: JobSpec, path: String, allowDestructive: Bool, layouts: inout LayoutPlan) throws -> TargetInfo {
        let what = "\(spec.origin): filename=\(Text.escaped(path))"
        let resolved = try PathSafety.check(path, what: what)
        let writes = spec.rw.modifies && !spec.verifyOnly
        if let existing = try Target.inspect(resolved, what: what) {
            if existing.kind == .blockDevice {
                if writes && !allowDestructive { try DeviceGuard.checkWritable(resolved) }
                return existing
            }
            if spec.direct && !Target.supportsDirectIO(resolved) {
                throw BlockLabError.usage("\(what): the filesystem holding it does not support O_DIRECT (direct=1); use direct=0 or another directory")
            }
            let needed = layouts.size(of: resolved, existing: existing.size, spec: spec)
            guard existing.size < needed else { return existing }
            if spec.verifyOnly {
                throw BlockLabError.usage("\(what) holds \(Units.formatBytes(existing.size)), less than the \(Units.formatBytes(needed)) to verify")
            }
            try layouts.add(path: resolved, size: needed, existing: existing.size, what: what)
            var info = existing
            info.size = needed
            return info
        }
        guard spec.size != nil else {
            throw BlockLabError.usage("\(what) does not exist; give size= so BlockLab can create it")
        }
        if spec.verifyOnly {
            throw BlockLabError.usage("\(what) does not exist, so there is nothing to verify")
        }
        let needed = layouts.size(of: resolved, existing: nil, spec: spec)
        try layouts.add(path: resolved, size: needed, existing: nil, what: what)
        return TargetInfo(path: resolved, kind: .file, size: needed, logicalBlockSize: 512)
    }

    /// The largest trim: what the kernel moves in one call (MAX_RW_COUNT).
    static let maxTrimBytes: UInt32 = 0x7FFF_F000

    /// A file that does not exist yet but that a job of an earlier phase creates as it
    /// writes (fio's surface scan: fill the disk, then read it all back): the target as that
    /// job sees it, its size an upper bound until this job's phase starts (`sizedAtStart`).
    static func createdEarlier(_ path: String, before group: Int, in plans: [ClonePlan]) -> TargetInfo? {
        guard let resolved = try? PathSafety.check(path, what: path), (try? Target.inspect(resolved, what: path)) == nil else { return nil }
        return plans.last { $0.createOnOpen && $0.group < group && $0.target.path == resolved }?.target
    }

    /// Sizes a `sizedAtStart` job from its file as the earlier phase left it.
    static func sizeAtStart(_ plan: inout ClonePlan) throws {
        let what = "\(plan.spec.origin): filename=\(Text.escaped(plan.target.path))"
        guard let info = try Target.inspect(plan.target.path, what: what), info.kind == .file else {
            throw BlockLabError.usage("\(what): the earlier job that was to create it left no file")
        }
        let bs = UInt64(max(1, plan.spec.maxBlockSize))
        let start = plan.region.lowerBound
        let end = info.size > start ? start + (info.size - start) / bs * bs : start
        guard end > start else {
            throw BlockLabError.usage("\(what): holds \(Units.formatBytes(info.size)) after the earlier job, not one block of \(Units.formatBytes(bs)) to read")
        }
        plan.target.size = info.size
        plan.region = start..<end
    }

    /// A job that expects ENOSPC (`JobSpec.createsOnOpen`): a device is guarded as for any
    /// write; a file is not laid out (the job's open creates it and it grows as written, so
    /// no free-space check), and fill_device without size= may grow it by the filesystem's
    /// free space, as fio sizes it.
    static func unlaidTarget(_ spec: inout JobSpec, path: String, allowDestructive: Bool) throws -> TargetInfo {
        let what = "\(spec.origin): filename=\(Text.escaped(path))"
        let resolved = try PathSafety.check(path, what: what)
        let existing = try Target.inspect(resolved, what: what)
        if let existing, existing.kind == .blockDevice {
            if !allowDestructive { try DeviceGuard.checkWritable(resolved) }
            return existing
        }
        let dir = AtomicFile.directory(of: resolved)
        if spec.size == nil && !spec.fillDevice {
            guard let existing else { throw BlockLabError.usage("\(what) does not exist; give size= so BlockLab can create it") }
            spec.size = existing.size > spec.offset ? existing.size - spec.offset : 0
        }
        if spec.size == nil {
            var sv = statvfs()
            guard statvfs(dir, &sv) == 0 else { throw BlockLabError.usage("\(what): directory \(Text.escaped(dir)) cannot be read (\(String(cString: strerror(errno))))") }
            let (free, overflow) = UInt64(sv.f_bavail).multipliedReportingOverflow(by: UInt64(sv.f_frsize))
            let have = existing.map { $0.size > spec.offset ? $0.size - spec.offset : 0 } ?? 0
            let bs = UInt64(max(1, spec.maxBlockSize))
            let size = min(overflow ? InputLimits.maxBytes : free &+ have, InputLimits.maxBytes) / bs * bs
            guard size > 0 else { throw BlockLabError.usage("\(what): fill_device: the filesystem holding it has no free space") }
            spec.size = size
        }
        let (end, overflow) = spec.offset.addingReportingOverflow(spec.size!)
        guard !overflow else { throw BlockLabError.usage("\(what): offset + size overflows") }
        return TargetInfo(path: resolved, kind: .file, size: max(end, existing?.size ?? 0),
                          logicalBlockSize: existing?.logicalBlockSize ?? 512)
    }

    /// O_DIRECT needs every offset and length to be a multiple of the logical block size.
    static func checkAlignment(_ spec: JobSpec, target: TargetInfo) throws {
        let lbs = UInt64(target.logicalBlockSize)
        let at = "\(spec.origin): direct=1 on \(target.path) (logical block size \(lbs))"
        for (i, rule) in spec.blockSize.enumerated() where (i == 0 && spec.rw.reads) || (i == 1 && spec.rw.writes) || (i == 2 && spec.rw.trims) {
            let sizes: [UInt32]
            switch rule {
            case .fixed(let s): sizes = [s]
            case .range(let lo, let hi): sizes = [lo, hi]
            case .split(let parts): sizes = parts.map(\.size)
            }
            for s in sizes where UInt64(s) % lbs != 0 {
                throw BlockLabError.usage("\(at): bs=\(s) is not a multiple of \(lbs)")
            }
        }
        if spec.offset % lbs != 0 { throw BlockLabError.usage("\(at): offset=\(spec.offset) is not a multiple of \(lbs)") }
        if let a = spec.blockAlign, UInt64(a) % lbs != 0 {
            throw BlockLabError.usage("\(at): blockalign=\(a) is not a multiple of \(lbs)")
        }
    }
}
