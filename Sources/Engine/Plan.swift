import BlockLabCore
import Glibc
import JobSpec
import Verify

/// One thread's worth of work: a job (or one numjobs clone of it) resolved against its
/// target, checked before any I/O starts so bad input fails fast with exit code 2.
struct ClonePlan {
    var spec: JobSpec
    var clone: Int
    var jobNumber: Int
    var group: Int
    var target: TargetInfo
    var region: Range<UInt64>
    var depth: Int
    var engine: IOEngineKind
    /// A thin volume (or snapshot) in a pool instead of a file or device.
    var mapped: MappedTarget?

    /// Most kernel operations one I/O can need: on a mapped target an I/O may span
    /// several chunks, and each may need a two-step copy before its write.
    var sqesPerIO: Int {
        guard let mapped else { return 1 }
        return 3 * (Int(spec.maxBlockSize) / mapped.chunkSize + 2)
    }
}

/// Resolves jobs into clone plans: file names, sizes, layout, safety and alignment checks.
enum Planner {
    static func resolve(_ jobs: [JobSpec], allowDestructive: Bool, mappedTarget: ((JobSpec) throws -> MappedTarget?)? = nil,
                        notice: (String) -> Void) throws -> [ClonePlan] {
        var plans: [ClonePlan] = []
        var group = 0
        var jobNumber = 0
        var saidLibaio = false
        for (index, spec) in jobs.enumerated() {
            if spec.stonewall && index > 0 { group += 1 }
            try validate(spec)
            var engine = spec.ioengine
            if engine == .libaio {
                if !saidLibaio { notice("note: ioengine=libaio runs on io_uring with the same queue semantics") }
                saidLibaio = true
                engine = .ioUring
            }
            var depth = spec.iodepth
            if engine == .psync && depth > 1 {
                notice("note: \(spec.name): ioengine=psync runs at queue depth 1 (iodepth=\(depth) ignored)")
                depth = 1
            }
            let mapped = try mappedTarget?(spec)
            if let mapped {
                if spec.numjobs > 1 {
                    throw BlockLabError.usage("\(spec.origin): \(mapped.label) takes one job thread at a time (numjobs=1)")
                }
                if spec.rw.writes && !spec.verifyOnly && mapped.isReadOnly {
                    throw BlockLabError.usage("\(spec.origin): \(mapped.label) is read-only (a snapshot); restore it to a volume to write")
                }
                if plans.contains(where: { $0.group == group && $0.mapped === mapped }) {
                    throw BlockLabError.usage("\(spec.origin): \(mapped.label) is already used by another job running at the same time; add stonewall")
                }
            }
            for clone in 0..<spec.numjobs {
                let path = targetPath(spec, jobNumber: jobNumber)
                let target = try mapped.map { try mappedInfo($0, what: "\(spec.origin): --target") }
                    ?? prepareTarget(spec, path: path, allowDestructive: allowDestructive)
                let length = spec.size ?? (target.size > spec.offset ? target.size - spec.offset : 0)
                guard spec.offset + length <= target.size, length > 0 else {
                    throw BlockLabError.usage("\(spec.origin): offset=\(spec.offset) size=\(length) lies outside \(path) (\(Units.formatBytes(target.size)))")
                }
                if spec.direct { try checkAlignment(spec, target: target) }
                plans.append(ClonePlan(spec: spec, clone: clone, jobNumber: jobNumber, group: group, target: target,
                                       region: spec.offset..<(spec.offset + length), depth: depth, engine: engine,
                                       mapped: mapped))
                jobNumber += 1
            }
        }
        return plans
    }

    /// fio's naming: `filename` (relative to `directory` when both are given), else
    /// `directory/jobname.N.0` with N the job's number counting numjobs clones.
    static func targetPath(_ spec: JobSpec, jobNumber: Int) -> String {
        let dir = (spec.directory?.isEmpty ?? true) ? "." : spec.directory!
        guard let file = spec.filename else { return "\(dir)/\(spec.name).\(jobNumber).0" }
        if file.hasPrefix("/") || spec.directory == nil { return file }
        return "\(dir)/\(file)"
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
        if spec.verifyOnly && spec.verify == nil { throw BlockLabError.usage("\(at): verify_only needs verify=") }
        if spec.verify != nil {
            let minimum = try VerifyCodec.minimumBlockSize(spec.verify?.rawValue)
            let smallest = [spec.rw.reads ? spec.blockSize[0].minimum : UInt32.max,
                            spec.rw.writes ? spec.blockSize[1].minimum : UInt32.max].min()!
            if Int(smallest) < minimum {
                throw BlockLabError.usage("\(at): verify=\(spec.verify!.rawValue) needs blocks of at least \(minimum) bytes (header and checksum), bs is \(smallest)")
            }
        }
    }

    static func prepareTarget(_ spec: JobSpec, path: String, allowDestructive: Bool) throws -> TargetInfo {
        let what = "\(spec.origin): filename=\(path)"
        try Target.checkPathAllowed(path, what: what)
        let existing = try Target.inspect(path)
        if let existing, existing.kind == .blockDevice {
            if spec.rw.writes && !spec.verifyOnly && !allowDestructive { try DeviceGuard.checkWritable(path) }
            return existing
        }
        let needed = spec.offset + (spec.size ?? 0)
        if existing == nil && spec.size == nil {
            throw BlockLabError.usage("\(what) does not exist; give size= so BlockLab can create it")
        }
        if existing == nil && spec.verifyOnly {
            throw BlockLabError.usage("\(what) does not exist, so there is nothing to verify")
        }
        var info = existing
        if (existing?.size ?? 0) < needed {
            info = try Target.layOut(path: path, size: needed, what: what)
        }
        if spec.direct && !Target.supportsDirectIO(path) {
            throw BlockLabError.usage("\(what): the filesystem holding it does not support O_DIRECT (direct=1); use direct=0 or another directory")
        }
        return info!
    }

    /// O_DIRECT needs every offset and length to be a multiple of the logical block size.
    static func checkAlignment(_ spec: JobSpec, target: TargetInfo) throws {
        let lbs = UInt64(target.logicalBlockSize)
        let at = "\(spec.origin): direct=1 on \(target.path) (logical block size \(lbs))"
        for (i, rule) in spec.blockSize.enumerated() where (i == 0 && spec.rw.reads) || (i == 1 && spec.rw.writes) {
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
