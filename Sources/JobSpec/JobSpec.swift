import BlockLabCore

/// fio's `rw=` modes.
public enum RWMode: String, Sendable, CaseIterable {
    case read, write, randread, randwrite, readwrite, randrw
    /// Discards (a block device's BLKDISCARD) or hole punches (a regular file).
    case trim, randtrim
    /// Each block is trimmed, then written (fio: the write follows its trim).
    case trimwrite, randtrimwrite

    public var isRandom: Bool {
        self == .randread || self == .randwrite || self == .randrw || self == .randtrim || self == .randtrimwrite
    }
    public var reads: Bool { self == .read || self == .randread || self == .readwrite || self == .randrw }
    public var writes: Bool {
        self == .write || self == .randwrite || self == .readwrite || self == .randrw || self == .trimwrite || self == .randtrimwrite
    }
    public var trims: Bool { self == .trim || self == .randtrim || self == .trimwrite || self == .randtrimwrite }
    /// Whether the job changes the target's data (writes or trims): both need the same
    /// consent on a block device.
    public var modifies: Bool { writes || trims }
}

/// fio's `continue_on_error` classes (bits as fio's error_type_bit) and `ignore_error`
/// lists: which I/O errors a job counts and goes on past instead of stopping.
public struct ErrorPolicy: Equatable, Sendable {
    public static let read: UInt8 = 1, write: UInt8 = 2, verify: UInt8 = 4
    /// The classes continued (0: fio's continue_on_error=none).
    public var continueOn: UInt8 = 0
    /// Per class (read, write, verify), the errnos continued; nil: fio's default EIO, EILSEQ.
    public var ignore: [[Int32]?] = [nil, nil, nil]
    /// fio's error_dump: report every error, continued ones too.
    public var dump = false
    public init() {}

    /// Whether a write error `err` is continued (fio's default list is EIO, EILSEQ).
    public func continuesWrite(_ err: Int32) -> Bool {
        continueOn & Self.write != 0 && (ignore[1] ?? [5, 84]).contains(err)
    }
}

/// fio's `zonemode` (BlockLab: none or strided; zbd needs a zoned device).
public enum ZoneMode: String, Sendable, CaseIterable {
    case none, strided
}

/// fio's `exit_what`: what a job with `exitall` ends when it finishes.
public enum ExitWhat: String, Sendable, CaseIterable {
    /// The other jobs of its reporting group.
    case group
    /// Every job running (of any reporting group); the next stonewall phase still runs.
    case stonewall
    /// Every job: the run ends (later phases do not start).
    case all
}

/// fio's `cpus_allowed_policy`.
public enum CPUPolicy: String, Sendable, CaseIterable {
    /// Every thread of the job may run on any CPU of the set.
    case shared
    /// Each thread gets one CPU of the set, round-robin.
    case split
}

/// fio's `random_generator`: how uniform random offsets are drawn. BlockLab does not copy
/// fio's generators bit for bit; it copies what each means for the offsets.
public enum RandomGenerator: String, Sendable, CaseIterable {
    /// fio's default: a uniform draw per I/O, and with the random map a taken block gives way
    /// to the next free block after it. Late in a pass that reads runs of neighbours (the
    /// free blocks left after a taken stretch), as fio does.
    case tausworthe
    /// Same as tausworthe for BlockLab (fio picks it for maps over 2^32 blocks).
    case tausworthe64
    /// A full-period sequence: every block once per pass in scattered order, no map needed
    /// (BlockLab's keyed permutation; fio's linear feedback shift register).
    case lfsr
}

/// `random_distribution=`.
public enum RandomDistribution: Equatable, Sendable {
    case random
    case zipf(theta: Double)
    case pareto(h: Double)
    /// Gaussian; `deviation` is a percentage of the region, as fio's `normal:dev`.
    case normal(deviation: Double)
    /// `zoned:p1/r1:p2/r2...`: p percent of accesses go to the next r percent of the region.
    case zoned([Zone])

    public struct Zone: Equatable, Sendable {
        public var accessPercent: Double
        public var sizePercent: Double
        public init(accessPercent: Double, sizePercent: Double) {
            self.accessPercent = accessPercent
            self.sizePercent = sizePercent
        }
    }
}

public enum VerifyKind: String, Sendable {
    case crc32c, md5, sha256
    /// fio's verify=meta: the header only (offset, time, thread, numberio), plus the
    /// verify_pattern when one is given.
    case meta
    /// fio's verify=pattern: the verify_pattern alone, no header. (verify_pattern without
    /// verify= is fio's header plus pattern.)
    case pattern
    /// fio's verify=null: writes carry no header and the read-back checks nothing, but the
    /// blocks are read back all the same (fio's "pretend to verify").
    case null
}

/// fio's dedupe_mode.
public enum DedupeMode: String, Sendable, CaseIterable {
    case repeat_ = "repeat", workingSet = "working_set"
}

/// One `bssplit` entry: `size` for `percent` of I/Os.
public struct BlockSizeSplit: Equatable, Sendable {
    public var size: UInt32
    public var percent: Int
    public init(size: UInt32, percent: Int) {
        self.size = size
        self.percent = percent
    }
}

/// How block sizes are chosen for one direction.
public enum BlockSizeRule: Equatable, Sendable {
    case fixed(UInt32)
    case range(min: UInt32, max: UInt32)
    case split([BlockSizeSplit])

    /// The smallest size this rule can produce (the random map's granularity).
    public var minimum: UInt32 {
        switch self {
        case .fixed(let s): return s
        case .range(let lo, _): return lo
        case .split(let parts): return parts.map(\.size).min() ?? 0
        }
    }

    public var maximum: UInt32 {
        switch self {
        case .fixed(let s): return s
        case .range(_, let hi): return hi
        case .split(let parts): return parts.map(\.size).max() ?? 0
        }
    }
}

/// One fully resolved job: defaults applied, `[global]` merged, every value typed and
/// checked. Units: bytes, nanoseconds.
public struct JobSpec: Sendable {
    public var name: String
    public var description: String?
    /// Where the job came from (`file:line` of its section, or `command line`), for messages.
    public var origin: String

    // Target
    public var filename: String?
    /// fio's `filename_format` for jobs without filename= (`$jobname`, `$jobnum`,
    /// `$filenum`; default `$jobname.$jobnum.$filenum`).
    public var filenameFormat: String?
    public var directory: String?
    /// The target's bytes to use; nil = the whole file/device (must exist then).
    public var size: UInt64?
    public var offset: UInt64 = 0
    /// Bytes of I/O to do before stopping (default: size).
    public var ioSize: UInt64?
    /// Stop after this many I/Os.
    public var numberIOs: UInt64?
    /// `size=N%` / `offset=N%`: a share of the target's real size, resolved against the
    /// target when the job is planned (`size` / `offset` then hold the result).
    public var sizePercent: Double?
    public var offsetPercent: Double?
    /// fio's `offset_increment`: clone N of the job starts N x this further into the target.
    public var offsetIncrement: UInt64 = 0
    /// fio's `filesize`: the size of the job's file (its region); with `size=` as well, size
    /// is the I/O to do over it (as fio, whose size is the total over the job's files).
    public var fileSize: UInt64?

    // Pattern
    public var rw: RWMode = .read
    /// fio's `rw=read:-8k` modifier for sequential modes: after each I/O the next starts this
    /// many bytes past the end of the last (negative: before it; holes or backwards I/O),
    /// wrapping at the region's ends.
    public var sequentialSkip: Int64 = 0
    /// fio's `zonemode=strided` (sequential modes): `size` bytes of I/O in each zone, zones
    /// `range` long with `skip` bytes between them.
    public var strideZones: (size: UInt64, range: UInt64, skip: UInt64)? {
        guard zoneMode == .strided, let size = zoneSize, size > 0 else { return nil }
        return (size, zoneRange ?? size, zoneSkip)
    }
    public var zoneMode: ZoneMode = .none
    public var zoneSize: UInt64?
    public var zoneRange: UInt64?
    public var zoneSkip: UInt64 = 0
    /// Percentage of reads in mixed modes (rwmixwrite = 100 - this).
    public var rwmixread: Int = 50
    /// Per direction (read, write, trim).
    public var blockSize: [BlockSizeRule] = [.fixed(4096), .fixed(4096), .fixed(4096)]
    /// Offsets are aligned to this (default: the minimum block size).
    public var blockAlign: UInt32?
    public var randomDistribution: RandomDistribution = .random
    /// fio's optional second value (`zipf:1.2:0.25`): where in the region (0...1) the most
    /// likely blocks sit, unscattered. nil: zipf/pareto hot blocks scattered, normal centred.
    public var randomCenter: Double?
    public var norandommap = false
    public var randomGenerator: RandomGenerator = .tausworthe
    public var randrepeat = true
    public var randseed: UInt64 = 0x4_6c_69_6f // fio's default seed ("fio")

    // Queue
    /// The queue depth the job runs at: its iodepth, within what its engine keeps.
    public var effectiveDepth: Int { ioengine.maxDepth.map { min($0, iodepth) } ?? iodepth }
    public var iodepth: Int = 1
    public var iodepthBatchSubmit: Int?
    public var iodepthBatchCompleteMin: Int?
    public var iodepthBatchCompleteMax: Int?
    public var numjobs: Int = 1
    /// The engine that runs the job, and the name the job gave (`libaio` runs on io_uring).
    public var ioengine: EngineTraits = EngineCatalog.ioUring
    public var ioengineRequested = "io_uring"
    public var direct = false
    public var invalidate = true
    public var fixedbufs = true
    public var registerfiles = true
    public var sqthreadPoll = false
    /// BlockLab's own: each job thread stays on one CPU when the run has no more job threads
    /// than CPUs (a thread that hops between CPUs at every wake-up loses device-bound IOPS).
    public var pinThreads = true
    /// fio's `cpus_allowed`: the CPUs (numbered from 0) this job's threads may use; with
    /// `cpus_allowed_policy=split` each thread (clone) gets one of them in turn.
    public var cpusAllowed: [Int]?
    public var cpusAllowedPolicy: CPUPolicy = .shared
    public var hipri = false
    /// fio's `io_submit_mode=offload` (see Options: BlockLab's latency already counts from
    /// when an I/O was due, which is what offload gives in fio).
    public var ioSubmitOffload = false

    // Sync
    /// fsync after every N writes (0 = never).
    public var fsync: Int = 0
    public var fdatasync: Int = 0
    public var endFsync = false

    // Time
    public var runtimeNs: UInt64?
    public var timeBased = false
    public var rampTimeNs: UInt64 = 0
    public var loops: Int = 1
    public var thinktimeNs: UInt64 = 0
    /// Bytes/s per direction (read, write); nil = unlimited.
    public var rate: [UInt64?] = [nil, nil]
    /// IOPS per direction (read, write); nil = unlimited.
    public var rateIOPS: [UInt64?] = [nil, nil]
    /// fio's rate_min (bytes/s) and rate_iops_min per direction: a job that falls below over
    /// a rate_cycle (checked at completions, after 2 s) fails.
    public var rateMin: [UInt64?] = [nil, nil]
    public var rateIOPSMin: [UInt64?] = [nil, nil]
    public var rateCycleNs: UInt64 = NS.perSecond
    /// The rate option that gave a trim (third) value, if any: trims are not paced, so a
    /// job that trims refuses it (one that does not trim has no use for it, as in fio).
    public var trimRateOption: String?
    /// fio's `rate_process=poisson`: I/Os under a rate arrive as a Poisson process
    /// (exponential gaps with the rate's mean) instead of evenly spaced.
    public var ratePoisson = false

    /// fio's steadystate options (off unless `steadystate_duration` is at least 1 s).
    public var steadyState = SteadyStateOptions()
    /// fio's latency_target profile (off unless `latency_target` is set).
    public var latencyTarget = LatencyTargetOptions()

    // Grouping and scheduling
    public var stonewall = false
    public var groupReporting = false
    /// fio's `new_group`: a new reporting group starts here (stonewall implies one).
    public var newGroup = false
    /// fio's `startdelay`: the job starts this long after its group does.
    public var startDelayNs: UInt64 = 0
    /// fio's `exitall`: when this job finishes, the other jobs of its group stop.
    public var exitAll = false
    /// fio's `exit_what`: which jobs exitall stops.
    public var exitWhat: ExitWhat = .group
    /// fio's `wait_for=NAME`: start after every clone of the earlier job NAME finished.
    public var waitFor: String?
    /// fio's `numa_cpu_nodes`: the NUMA nodes whose CPUs the job's threads may use.
    public var numaCPUNodes: [Int]?
    /// fio's `numa_mem_policy` nodes (the policy's node list), checked against the machine's.
    public var numaMemNodes: [Int]?
    /// fio's flow control: jobs with the same `flow_id` and a non-zero `flow` weight share
    /// one counter, and each is held back while its share of their I/Os exceeds its share of
    /// their weights. `flow_sleep`: how long a held job sleeps (after its I/Os in flight are done).
    public var flowWeight: Int = 0
    public var flowID: Int = 0
    public var flowSleepNs: UInt64 = 0

    // Priorities
    /// fio's `prio` (level 0-7) and `prioclass` (0-3): the job threads' I/O priority.
    public var ioPrio: Int?
    public var ioPrioClass: Int?
    /// The io_uring/libaio engines' per-I/O priorities (`cmdprio_percentage`, `cmdprio_class`,
    /// `cmdprio`, `cmdprio_bssplit`).
    public var cmdPrio = CmdPrioOptions()

    // Errors and filling
    public var errors = ErrorPolicy()
    /// fio's `fill_device` / `fill_fs`: write until the device or filesystem is full
    /// (ENOSPC), then stop without error; size defaults to the device or the free space.
    public var fillDevice = false

    /// A job that writes (or trims) without reading and expects the filesystem to fill up
    /// (fill_device, or ENOSPC continued) gets no layout: as fio's write jobs, its file is
    /// created when the job opens it and grows as it is written.
    public var createsOnOpen: Bool {
        !rw.reads && !verifyOnly && rw.modifies && (fillDevice || errors.continuesWrite(28))
    }

    // Data
    public var verify: VerifyKind?
    /// verify= as written (crc32c-intel keeps fio's own type number in the headers).
    public var verifyRequested: String?
    public var verifyPattern: [UInt8]?
    public var doVerify = true
    public var verifyOnly = false
    public var zeroBuffers = false
    /// fio's buffer_pattern: write buffers hold these bytes repeated.
    public var bufferPattern: [UInt8]?
    public var refillBuffers = false
    /// refill_buffers as written (fio turns it on for verify and compression unless set).
    public var refillBuffersSet = false
    /// fio's scramble_buffers (default on), and whether the job set it.
    public var scrambleBuffers = true
    public var scrambleBuffersSet = false
    /// buffer_compress_percentage or dedupe_percentage was given, whatever its value: fio
    /// then fills write buffers itself and never scrambles them.
    public var compressSet = false
    /// dedupe_percentage was given: fio's callback also turns refill_buffers on, whatever the value.
    public var dedupeSet = false
    /// buffer_pattern asked for refilled writes (fio's callback, see Options).
    public var patternRefills = false
    /// verify=null: no data is checked, but fio still counts the job as verifying (its
    /// buffers are refilled, never scrambled, and read back).
    public var verifyNull: Bool { verify == .null }
    /// fio's verify_interval (0: the smallest write size).
    public var verifyInterval: UInt32 = 0
    /// fio's verify_offset: the header is swapped with the bytes here in each interval.
    public var verifyOffset: UInt32 = 0
    /// fio's verify_backlog: after this many writes, read back and check the logged ones
    /// (0: verify only after the write phase).
    public var verifyBacklog: UInt64 = 0
    /// fio's verify_backlog_batch: how many to check each time (0: verify_backlog).
    public var verifyBacklogBatch: UInt64 = 0
    /// fio's verify_fatal: a verify failure stops every job of the run.
    public var verifyFatal = false
    /// fio's verify_dump: a failed block is written as `<file>.<offset>.received` and
    /// `.expected` in the working directory.
    public var verifyDump = false
    /// fio's verify_async (worker threads; BlockLab verifies inline on the job's thread).
    public var verifyAsync = 0
    /// fio's dedupe_percentage, dedupe_mode, dedupe_working_set_percentage, dedupe_global.
    public var dedupePercentage = 0
    public var dedupeMode: DedupeMode = .repeat_
    public var dedupeWorkingSetPercentage = 5
    public var dedupeGlobal = false
    /// fio's buffer_compress_percentage and buffer_compress_chunk (0: the write size).
    public var compressPercentage = 0
    public var compressChunk: UInt32 = 0

    // Reporting
    /// fio's log files and their sampling.
    public var logs = LogOptions()
    public var percentiles = PercentileOptions()

    // BlockLab additions (the volume model and target kinds are resolved by the CLI).
    /// `volume=gp3:size=500g,iops=6000` (raw spec string).
    public var volume: String?
    /// `instance=m5.large`.
    public var instance: String?

    /// The options as written (after `[global]` merging), in order: fio's "job options".
    /// A repeated option keeps its first position and its last value; a bare boolean has value "".
    public var options: [(key: String, value: String)] = []
    /// The `[global]` (or pre-`--name`) options in force for this job, as written: fio's "global options".
    public var globalOptions: [(key: String, value: String)] = []

    public init(name: String, origin: String = "command line") {
        self.name = name
        self.origin = origin
    }

    /// The maximum block size over the directions this job does.
    public var maxBlockSize: UInt32 {
        var m: UInt32 = 0
        if rw.reads { m = max(m, blockSize[0].maximum) }
        if rw.writes { m = max(m, blockSize[1].maximum) }
        if rw.trims { m = max(m, blockSize[min(2, blockSize.count - 1)].maximum) }
        return m
    }

    /// Whether each write's buffer is scrambled as fio's scramble_buffers does (init.c and
    /// get_io_u): asked for, unless zero_buffers was (then only if scramble_buffers was set
    /// as well); never when writes are refilled, verified, or compressed or deduplicated by
    /// design, which fill the buffers themselves.
    public var scramblesWrites: Bool {
        guard scrambleBuffers && (scrambleBuffersSet || !zeroBuffers) else { return false }
        return rw.writes && !refillsWrites && verify == nil && verifyPattern == nil && !verifyNull && !compressSet && !dedupeSet
    }

    /// Whether each write's buffer is filled afresh (fio's refill_buffers): as set, else
    /// when compression, dedupe, verify=null or buffer_pattern's rule turns it on. Fully
    /// compressible is fio's zero_buffers, filled once (init.c), so 100 % does not refill.
    /// fio applies these in option order; here an explicit refill_buffers wins wherever it is.
    public var refillsWrites: Bool {
        refillBuffersSet ? refillBuffers
            : (refillBuffers || (compressPercentage > 0 && compressPercentage < 100) || dedupePercentage > 0 || dedupeSet
               || verifyNull || patternRefills)
    }

    /// fio's verify interval (init.c): verify_interval, at most the smallest write (or read)
    /// size, and a factor of the smallest and largest write sizes (else their gcd).
    public var effectiveVerifyInterval: Int {
        let minW = Int(rw.writes ? blockSize[1].minimum : blockSize[0].minimum)
        let maxW = Int(rw.writes ? blockSize[1].maximum : blockSize[0].maximum)
        let minR = Int(blockSize[0].minimum)
        var v = Int(verifyInterval)
        if maxW != minW && v == 0 { v = minW }
        if v > minW { v = minW } else if rw.reads && v > minR { v = minR }
        if v == 0 || minW % v != 0 || maxW % v != 0 {
            func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
            v = gcd(minW, maxW)
        }
        return v
    }

    /// The largest I/O buffer a slot needs: a trim moves no data, but trimwrite's write
    /// takes its trim's size.
    public var bufferBlockSize: UInt32 {
        var m: UInt32 = 0
        if rw.reads { m = max(m, blockSize[0].maximum) }
        if rw.writes { m = max(m, blockSize[1].maximum) }
        if rw.trims && rw.writes { m = max(m, blockSize[min(2, blockSize.count - 1)].maximum) }
        return max(m, 1)
    }
}

/// fio's `steadystate`, `steadystate_duration` and `steadystate_ramp_time`: the job stops
/// once its per-second IOPS or bandwidth has kept within `limit` over the last
/// `durationSeconds` seconds (a least-squares slope, or the largest deviation from the mean).
public struct SteadyStateOptions: Equatable, Sendable {
    public enum Metric: String, Sendable, CaseIterable { case iops, bw }
    public var metric: Metric = .iops
    /// The slope criterion (`iops_slope`, `bw_slope`); otherwise the mean deviation.
    public var slope = true
    /// In percent of the mean when `percent`; otherwise IOPS, or bytes/s for bandwidth.
    public var limit: Double = 0.01
    public var percent = true
    /// fio keeps whole seconds: one sample a second, this many in the window. 0 = off.
    public var durationSeconds: Int = 0
    /// Samples start one second after this much of the job has passed.
    public var rampNs: UInt64 = 0
    public var enabled: Bool { durationSeconds > 0 }
    /// fio's name of the criterion (`iops_slope`).
    public var criterionName: String { metric.rawValue + (slope ? "_slope" : "") }
    public init() {}
}

/// fio's latency_target profile: find the deepest queue (up to iodepth) at which
/// `percentile` percent of the I/Os in each `windowNs` complete within `targetNs`.
public struct LatencyTargetOptions: Equatable, Sendable {
    /// 0 = off.
    public var targetNs: UInt64 = 0
    public var windowNs: UInt64 = 0
    public var percentile: Double = 100
    /// fio's `latency_run`: keep adjusting the depth for the whole run instead of settling.
    public var keepAdjusting = false
    public var enabled: Bool { targetNs > 0 }
    public init() {}
}
