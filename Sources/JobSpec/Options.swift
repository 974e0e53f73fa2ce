import BlockLabCore

/// What applying earlier options left behind that later ones must check against.
struct ApplyState {
    /// Scope and value of the last rwmixread= / rwmixwrite=, to catch the two disagreeing
    /// within one section (a later section, e.g. a job over its [global], simply overrides).
    var rwmixRead: (scope: Int, value: Int)?
    var rwmixWrite: (scope: Int, value: Int)?
}

/// Upper bounds of the whole-number options, so products such as numjobs x size or
/// iodepth x bs cannot overflow downstream (sizes and times are bounded by `InputLimits`).
public enum Limits {
    /// Queue depth (and the iodepth_batch_* options): io_uring's own ring limit is 32768.
    public static let iodepth = 65_536
    /// fio's own limit on jobs (REAL_MAX_JOBS).
    public static let numjobs = 4_096
    /// loops, fsync, fdatasync.
    public static let count = 1 << 31
    /// fio's FLOW_MAX_WEIGHT.
    public static let flowWeight = 1_000
    /// steadystate_duration: one IOPS and one bandwidth sample per second are kept.
    public static let steadyStateSeconds = 7 * 86_400
}

/// The option language: names, aliases, and how each value lands in a `JobSpec`.
enum Options {
    /// fio's alternative spellings -> the canonical name.
    static let aliases: [String: String] = [
        "io_limit": "io_size", "readwrite": "rw", "blocksize": "bs", "blocksize_range": "bsrange",
        "ba": "blockalign", "iodepth_batch": "iodepth_batch_submit",
        "iodepth_batch_complete": "iodepth_batch_complete_min", "wait_for_previous": "stonewall",
        "timeout": "runtime", "fileoffset": "offset", "nr_files": "nrfiles", "ratemin": "rate_min", "ratecycle": "rate_cycle",
        "disable_bw": "disable_bw_measurement",
        "fill_fs": "fill_device",
        "ss": "steadystate", "ss_dur": "steadystate_duration", "ss_ramp": "steadystate_ramp_time",
    ]

    /// Options that may stand alone (`time_based`) meaning true.
    static let booleans: Set<String> = [
        "direct", "buffered", "invalidate", "end_fsync", "time_based", "norandommap", "randrepeat",
        "stonewall", "group_reporting", "do_verify", "verify_only", "zero_buffers", "refill_buffers", "scramble_buffers",
        "fixedbufs", "registerfiles", "sqthread_poll", "hipri", "pin_threads", "thread",
        "new_group", "exitall", "create_serialize", "create_on_open", "disable_lat", "disable_clat",
        "disable_slat", "disable_bw_measurement", "gtod_reduce", "error_dump", "fill_device", "verify_fatal", "verify_dump",
        "verify_state_save", "dedupe_global", "latency_run",
    ]

    static let supported: [String] = [
        "name", "description", "filename", "directory", "size", "offset", "io_size", "number_ios",
        "rw", "rwmixread", "rwmixwrite", "bs", "bsrange", "bssplit", "blockalign", "iodepth",
        "iodepth_batch_submit", "iodepth_batch_complete_min", "iodepth_batch_complete_max", "numjobs",
        "ioengine", "fsync", "fdatasync", "runtime", "ramp_time", "loops", "random_distribution",
        "randseed", "random_generator", "cpus_allowed", "cpus_allowed_policy", "thinktime", "rate", "rate_iops", "rate_process",
        "verify", "verify_pattern", "volume", "instance", "kb_base",
        "filesize", "nrfiles", "openfiles", "filename_format", "offset_increment", "startdelay", "wait_for",
        "numa_cpu_nodes", "numa_mem_policy", "io_submit_mode", "fallocate", "continue_on_error", "ignore_error", "threads", "exit_what", "rate_min", "rate_iops_min", "rate_cycle", "buffer_pattern", "verify_interval", "verify_offset", "verify_backlog", "verify_backlog_batch",
        "verify_async", "dedupe_percentage", "dedupe_mode", "dedupe_working_set_percentage",
        "buffer_compress_percentage", "buffer_compress_chunk", "zonemode", "zonesize", "zonerange", "zoneskip",
        "flow", "flow_id", "flow_sleep", "flow_watermark", "prio", "prioclass",
        "cmdprio_percentage", "cmdprio_class", "cmdprio", "cmdprio_bssplit",
        "steadystate", "steadystate_duration", "steadystate_ramp_time", "latency_target", "latency_window", "latency_percentile",
    ] + booleans.sorted() + LogOptionParser.names

    /// Options fio has for reasons that do not arise in BlockLab: accepted, with what they
    /// come to here (`--dry-run` and the run's notes show it).
    static let inert: [String: String] = [
        "disable_lat": "BlockLab measures latency anyway (fio's switch only saves the cost of measuring)",
        "disable_clat": "BlockLab measures latency anyway (fio's switch only saves the cost of measuring)",
        "disable_slat": "BlockLab measures latency anyway (fio's switch only saves the cost of measuring)",
        "disable_bw_measurement": "BlockLab measures bandwidth anyway (fio's switch only saves the cost of measuring)",
        "gtod_reduce": "BlockLab measures latency and bandwidth anyway (fio's switch only saves the cost of measuring)",
        "create_serialize": "BlockLab lays out every job's files before any job starts, one after another",
        "create_on_open": "a job that expects ENOSPC (fill_device, or ENOSPC continued) creates its file when it opens it; other files are laid out before the jobs start; the I/O is the same",
        "fallocate": "BlockLab lays files out by writing them in full before the jobs start; the I/O is the same",
        "verify_async": "BlockLab checks blocks inline on the job's own thread as they complete (fio's worker threads do the same work)",
        "verify_state_save": "BlockLab keeps no verify state file: a verify phase replays the job's own writes",
        "threads": "fio reads it only for its tiobench profile (and ignores it elsewhere, as here)",
        "flow_watermark": "fio 3.33 ignores it too (deprecated: its flow control keeps shares by weight, without a watermark)",
    ]

    /// Why BlockLab does not implement some fio options, for the message (the others get
    /// the generic "a fio option BlockLab does not support").
    static let unsupportedReasons: [String: String] = [
        "profile": "fio's built-in job profiles",
    ]

    static func canonical(_ key: String) -> String { aliases[key] ?? key }

    static func apply(_ opt: RawOption, to s: inout JobSpec, state: inout ApplyState) throws {
        let key = canonical(opt.key)
        if try LogOptionParser.apply(opt, key: key, to: &s) { return }
        if opt.value == nil, !booleans.contains(key), supported.contains(key) {
            _ = try Value.required(opt) // throws "needs a value"
        }
        switch key {
        case "name":
            s.name = try Value.required(opt)
        case "description": s.description = try Value.required(opt)
        case "filename":
            let v = try Value.required(opt)
            // fio separates several files with ':' and escapes a literal one as '\:'.
            let unescaped = v.replacingEscapedColons()
            guard unescaped != nil else {
                throw Value.fail(opt, "several files separated by ':' ('\(v)') are not supported; run one job per file (escape a ':' in a path as '\\:')")
            }
            s.filename = unescaped
        case "directory":
            let v = try Value.required(opt)
            guard let d = v.replacingEscapedColons() else {
                throw Value.fail(opt, "several directories separated by ':' ('\(v)') are not supported")
            }
            s.directory = d
        case "size":
            if let p = try Value.percent(opt) {
                guard p > 0 else { throw Value.fail(opt, "must be greater than 0%") }
                (s.size, s.sizePercent) = (nil, p)
                break
            }
            let v = try Value.size(opt)
            guard v > 0 else { throw Value.fail(opt, "must be greater than 0") }
            (s.size, s.sizePercent) = (v, nil)
        case "offset":
            if let p = try Value.percent(opt) {
                guard p < 100 else { throw Value.fail(opt, "must be below 100%") }
                (s.offset, s.offsetPercent) = (0, p)
                break
            }
            (s.offset, s.offsetPercent) = (try Value.size(opt), nil)
        case "offset_increment": s.offsetIncrement = try Value.size(opt)
        case "filesize":
            let v = try Value.required(opt)
            if v.contains("-") && !v.hasPrefix("-") {
                throw Value.fail(opt, "a range of file sizes ('\(v)') is not supported; give one size")
            }
            let n = try Value.size(opt)
            guard n > 0 else { throw Value.fail(opt, "must be greater than 0") }
            s.fileSize = n
        case "nrfiles":
            let n = try Value.int(opt, min: 1, max: Limits.count)
            guard n == 1 else {
                throw Value.fail(opt, "several files per job (nrfiles=\(n)) are not supported; use numjobs=\(n) (each clone has its own file unless filename= is shared)")
            }
        case "openfiles": _ = try Value.int(opt, min: 1, max: Limits.count) // with one file per job, any limit holds
        case "filename_format":
            s.filenameFormat = try Value.required(opt)
        case "startdelay":
            let v = try Value.required(opt)
            if v.contains("-") && !v.hasPrefix("-") {
                throw Value.fail(opt, "a random start delay range ('\(v)') is not supported; give one time")
            }
            s.startDelayNs = try Value.duration(opt, defaultUnitNs: NS.perSecond)
        case "new_group": s.newGroup = try Value.bool(opt)
        case "exitall": s.exitAll = try Value.bool(opt)
        case "exit_what": s.exitWhat = try Value.choice(opt, ExitWhat.self)
        case "wait_for": s.waitFor = try Value.required(opt)
        case "numa_cpu_nodes": s.numaCPUNodes = try Value.nodeList(try Value.required(opt), opt)
        case "numa_mem_policy":
            let v = try Value.required(opt).lowercased()
            let parts = v.split(separator: ":", maxSplits: 1).map(String.init)
            switch parts[0] {
            case "default", "local":
                guard parts.count == 1 else { throw Value.fail(opt, "'\(parts[0])' takes no node list") }
                s.numaMemNodes = nil
            case "prefer", "bind", "interleave":
                guard parts.count == 2 else { throw Value.fail(opt, "'\(parts[0])' needs nodes, e.g. \(parts[0]):0") }
                s.numaMemNodes = try Value.nodeList(parts[1], opt)
            default:
                throw Value.fail(opt, "expected default, prefer:N, bind:NODES, interleave:NODES or local, got '\(v)'")
            }
        case "io_submit_mode":
            switch try Value.required(opt).lowercased() {
            case "inline": s.ioSubmitOffload = false
            // fio's offload mode issues I/Os from a separate thread so that latency counts
            // from when each was due; BlockLab's lat_ns does that in its one thread.
            case "offload": s.ioSubmitOffload = true
            case let v: throw Value.fail(opt, "expected inline or offload, got '\(v)'")
            }
        case "fallocate":
            let v = try Value.required(opt).lowercased()
            guard ["none", "native", "posix", "keep", "truncate", "0", "1"].contains(v) else {
                throw Value.fail(opt, "expected none, native, posix, keep, truncate, 0 or 1, got '\(v)'")
            }
        case "continue_on_error": s.errors.continueOn = try Value.continueOnError(opt)
        case "ignore_error":
            // As fio: each list given replaces that class's list; an empty part keeps it.
            for (i, list) in try Value.ignoreErrors(opt).enumerated() where list != nil { s.errors.ignore[i] = list }
        case "error_dump": s.errors.dump = try Value.bool(opt)
        case "fill_device": s.fillDevice = try Value.bool(opt)
        case "threads": _ = try Value.int(opt, min: 0, max: Limits.count)
        case "flow":
            if let v = opt.value, v.hasPrefix("-") {
                throw Value.fail(opt, "fio 3.33's flow is a weight 0-1000 (a job's share of its flow_id's I/Os), never negative; older fio's signed flow counter is gone: give each job its share, e.g. flow=1 and flow=8")
            }
            s.flowWeight = try Value.int(opt, min: 0, max: Limits.flowWeight)
        case "flow_id": s.flowID = try Value.int(opt, min: Int(Int32.min), max: Int(Int32.max))
        case "flow_sleep": s.flowSleepNs = try Value.duration(opt, defaultUnitNs: NS.perMicrosecond)
        case "flow_watermark": _ = try Value.int(opt, min: 0, max: Int(Int32.max))
        case "prio": s.ioPrio = try Value.int(opt, min: 0, max: IOPriority.maxLevel)
        case "prioclass": s.ioPrioClass = try Value.int(opt, min: 0, max: IOPriority.maxClass)
        case "cmdprio_percentage":
            for (i, part) in try Value.perDirection(opt).enumerated() where part != nil {
                s.cmdPrio.percentage[i] = try Value.int(opt.with(value: part!), min: 0, max: 100)
            }
            s.cmdPrio.given = true
        case "cmdprio_class":
            for (i, part) in try Value.perDirection(opt).enumerated() where part != nil {
                s.cmdPrio.classes[i] = try Value.int(opt.with(value: part!), min: 1, max: IOPriority.maxClass)
            }
            s.cmdPrio.given = true
        case "cmdprio":
            for (i, part) in try Value.perDirection(opt).enumerated() where part != nil {
                s.cmdPrio.levels[i] = try Value.int(opt.with(value: part!), min: 0, max: IOPriority.maxLevel)
            }
            s.cmdPrio.given = true
        case "cmdprio_bssplit":
            var split: [[CmdPrioSplit]] = [[], []]
            for (i, part) in try Value.perDirection(opt).enumerated() where part != nil {
                split[i] = try Value.cmdPrioSplit(part!, opt)
            }
            s.cmdPrio.bssplit = split
            s.cmdPrio.given = true
        case "disable_lat", "disable_clat", "disable_slat", "disable_bw_measurement", "gtod_reduce",
             "create_serialize", "create_on_open":
            _ = try Value.bool(opt)
        case "io_size":
            let v = try Value.size(opt)
            s.ioSize = v == 0 ? nil : v
        case "number_ios":
            let v = try Value.uint64(opt)
            s.numberIOs = v == 0 ? nil : v
        case "rw": (s.rw, s.sequentialSkip) = try Value.rwMode(opt)
        case "rwmixread", "rwmixwrite":
            let v = try Value.int(opt, min: 0, max: Int.max)
            guard v <= 100 else { throw Value.fail(opt, "must be a percentage 0-100, got \(v)") }
            let read = key == "rwmixread" ? v : 100 - v
            let other = key == "rwmixread" ? state.rwmixWrite : state.rwmixRead
            if let other, other.scope == opt.scope, (key == "rwmixread" ? 100 - other.value : other.value) != read {
                throw Value.fail(opt, "rwmixread and rwmixwrite disagree (\(read)% reads vs \(key == "rwmixread" ? 100 - other.value : other.value)%); set only one of them")
            }
            if key == "rwmixread" { state.rwmixRead = (opt.scope, v) } else { state.rwmixWrite = (opt.scope, v) }
            s.rwmixread = read
        case "bs":
            for (i, part) in try Value.perDirection3(opt).enumerated() where part != nil {
                s.blockSize[i] = .fixed(try Value.blockSize(part!, opt))
            }
        case "bsrange":
            for (i, part) in try Value.perDirection3(opt).enumerated() where part != nil {
                s.blockSize[i] = try Value.blockRange(part!, opt)
            }
        case "bssplit":
            for (i, part) in try Value.perDirection3(opt).enumerated() where part != nil {
                s.blockSize[i] = try Value.blockSplit(part!, opt)
            }
        case "blockalign":
            // fio accepts read,write values; BlockLab aligns both directions alike (the first value).
            guard let first = try Value.perDirection(opt).compactMap({ $0 }).first else { throw Value.fail(opt, "empty value") }
            s.blockAlign = try Value.blockSize(first, opt)
        case "iodepth": s.iodepth = try Value.int(opt, min: 1, max: Limits.iodepth)
        case "iodepth_batch_submit": s.iodepthBatchSubmit = try Value.int(opt, min: 0, max: Limits.iodepth)
        case "iodepth_batch_complete_min": s.iodepthBatchCompleteMin = try Value.int(opt, min: 0, max: Limits.iodepth)
        case "iodepth_batch_complete_max": s.iodepthBatchCompleteMax = try Value.int(opt, min: 0, max: Limits.iodepth)
        case "numjobs": s.numjobs = try Value.int(opt, min: 1, max: Limits.numjobs)
        case "direct": s.direct = try Value.bool(opt)
        case "buffered": s.direct = !(try Value.bool(opt))
        case "ioengine":
            s.ioengine = try Value.engine(opt)
            s.ioengineRequested = opt.value?.lowercased() ?? s.ioengine.name
        case "invalidate": s.invalidate = try Value.bool(opt)
        case "fsync": s.fsync = try Value.int(opt, min: 0, max: Limits.count)
        case "fdatasync": s.fdatasync = try Value.int(opt, min: 0, max: Limits.count)
        case "end_fsync": s.endFsync = try Value.bool(opt)
        case "runtime":
            let ns = try Value.duration(opt, defaultUnitNs: NS.perSecond)
            s.runtimeNs = ns == 0 ? nil : ns
        case "time_based": s.timeBased = try Value.bool(opt)
        case "ramp_time": s.rampTimeNs = try Value.duration(opt, defaultUnitNs: NS.perSecond)
        case "loops": s.loops = try Value.int(opt, min: 1, max: Limits.count)
        case "random_distribution": (s.randomDistribution, s.randomCenter) = try Value.distribution(opt)
        case "norandommap": s.norandommap = try Value.bool(opt)
        case "random_generator": s.randomGenerator = try Value.choice(opt, RandomGenerator.self)
        case "randrepeat": s.randrepeat = try Value.bool(opt)
        case "randseed": s.randseed = try Value.uint64(opt)
        case "thinktime": s.thinktimeNs = try Value.duration(opt, defaultUnitNs: NS.perMicrosecond)
        case "rate":
            if Value.hasTrimPart(opt) { s.trimRateOption = opt.key }
            for (i, part) in try Value.perDirection(opt).enumerated() where part != nil {
                let v = try Value.size(part!, opt)
                s.rate[i] = v == 0 ? nil : v
            }
        case "rate_iops":
            if Value.hasTrimPart(opt) { s.trimRateOption = opt.key }
            for (i, part) in try Value.perDirection(opt).enumerated() where part != nil {
                guard let v = UInt64(part!) else { throw Value.fail(opt, "expected a whole number of I/Os per second, got '\(part!)'") }
                s.rateIOPS[i] = v == 0 ? nil : v
            }
        case "rate_min":
            if Value.hasTrimPart(opt) { s.trimRateOption = opt.key }
            for (i, part) in try Value.perDirection(opt).enumerated() where part != nil {
                let v = try Value.size(part!, opt)
                s.rateMin[i] = v == 0 ? nil : v
            }
        case "rate_iops_min":
            if Value.hasTrimPart(opt) { s.trimRateOption = opt.key }
            for (i, part) in try Value.perDirection(opt).enumerated() where part != nil {
                guard let v = UInt64(part!) else { throw Value.fail(opt, "expected a whole number of I/Os per second, got '\(part!)'") }
                s.rateIOPSMin[i] = v == 0 ? nil : v
            }
        case "rate_process":
            switch try Value.required(opt).lowercased() {
            case "linear": s.ratePoisson = false
            case "poisson": s.ratePoisson = true
            case let v: throw Value.fail(opt, "expected linear or poisson, got '\(v)'")
            }
        case "rate_cycle":
            // fio: milliseconds.
            let ms = try Value.int(opt, min: 1, max: Int(InputLimits.maxDurationNs / NS.perMillisecond))
            s.rateCycleNs = UInt64(ms) * NS.perMillisecond
        case "steadystate": try Value.steadyState(opt, into: &s.steadyState)
        case "steadystate_duration":
            // fio keeps whole seconds; each is one sample held in memory.
            let ns = try Value.duration(opt, defaultUnitNs: NS.perSecond)
            guard ns / NS.perSecond <= UInt64(Limits.steadyStateSeconds) else {
                throw Value.fail(opt, "must be at most \(Limits.steadyStateSeconds)s (7 days), got '\(opt.value ?? "")'")
            }
            s.steadyState.durationSeconds = Int(ns / NS.perSecond)
        case "steadystate_ramp_time": s.steadyState.rampNs = try Value.duration(opt, defaultUnitNs: NS.perSecond)
        case "latency_target": s.latencyTarget.targetNs = try Value.duration(opt, defaultUnitNs: NS.perMicrosecond)
        case "latency_window": s.latencyTarget.windowNs = try Value.duration(opt, defaultUnitNs: NS.perMicrosecond)
        case "latency_percentile":
            let v = try Value.required(opt)
            guard let p = Double(v), p.isFinite, p >= 0, p <= 100 else {
                throw Value.fail(opt, "expected a percentile from 0 to 100, got '\(v)'")
            }
            s.latencyTarget.percentile = p
        case "latency_run": s.latencyTarget.keepAdjusting = try Value.bool(opt)
        case "stonewall": s.stonewall = try Value.bool(opt)
        case "group_reporting": s.groupReporting = try Value.bool(opt)
        case "verify":
            s.verify = try Value.verify(opt)
            s.verifyRequested = s.verify == nil ? nil : opt.value?.lowercased()
        case "verify_pattern": s.verifyPattern = try Value.pattern(opt)
        case "do_verify": s.doVerify = try Value.bool(opt)
        case "verify_only": s.verifyOnly = try Value.bool(opt)
        case "zero_buffers": s.zeroBuffers = try Value.bool(opt)
        case "verify_interval":
            let v = try Value.size(opt)
            guard v <= UInt64(UInt32.max) else { throw Value.fail(opt, "must be at most 4g") }
            s.verifyInterval = UInt32(v)
        case "verify_offset":
            let v = try Value.size(opt)
            guard v <= UInt64(UInt32.max) else { throw Value.fail(opt, "must be at most 4g") }
            s.verifyOffset = UInt32(v)
        case "verify_backlog": s.verifyBacklog = UInt64(try Value.int(opt, min: 0, max: Limits.count))
        case "verify_backlog_batch": s.verifyBacklogBatch = UInt64(try Value.int(opt, min: 0, max: Limits.count))
        case "verify_fatal": s.verifyFatal = try Value.bool(opt)
        case "verify_dump": s.verifyDump = try Value.bool(opt)
        case "verify_async": s.verifyAsync = try Value.int(opt, min: 0, max: Limits.numjobs)
        case "verify_state_save": _ = try Value.bool(opt)
        case "dedupe_percentage":
            s.dedupePercentage = try Value.int(opt, min: 0, max: 100)
            s.dedupeSet = true
        case "dedupe_mode": s.dedupeMode = try Value.choice(opt, DedupeMode.self)
        case "dedupe_working_set_percentage": s.dedupeWorkingSetPercentage = try Value.int(opt, min: 0, max: 100)
        case "dedupe_global": s.dedupeGlobal = try Value.bool(opt)
        case "buffer_compress_percentage":
            s.compressPercentage = try Value.int(opt, min: 0, max: 100)
            s.compressSet = true
        case "buffer_compress_chunk":
            let v = try Value.size(opt)
            guard v <= UInt64(UInt32.max) else { throw Value.fail(opt, "must be at most 4g") }
            s.compressChunk = UInt32(v)
        case "buffer_pattern":
            // As fio's option callback: a pattern turns scrambling and zeros off (a later
            // scramble_buffers=1 turns scrambling back on).
            s.bufferPattern = try Value.pattern(opt)
            s.scrambleBuffers = false
            s.zeroBuffers = false
            // fio's callback also refills each write when the job reads or compresses at
            // that point (rw is still its default, read, in [global] or before rw=), so
            // reads landing in the buffers never leave their data in a later write.
            s.patternRefills = s.compressPercentage > 0 || s.rw.reads
        case "scramble_buffers":
            s.scrambleBuffers = try Value.bool(opt)
            s.scrambleBuffersSet = true
        case "zonemode":
            let v = try Value.required(opt).lowercased()
            if v == "zbd" {
                throw Value.fail(opt, "zonemode=zbd (zoned block devices) is not supported; zonemode=strided is")
            }
            s.zoneMode = try Value.choice(opt, ZoneMode.self)
        case "zonesize": s.zoneSize = try Value.size(opt)
        case "zonerange": s.zoneRange = try Value.size(opt)
        case "zoneskip": s.zoneSkip = try Value.size(opt)
        case "refill_buffers":
            s.refillBuffers = try Value.bool(opt)
            s.refillBuffersSet = true
        case "fixedbufs": s.fixedbufs = try Value.bool(opt)
        case "registerfiles": s.registerfiles = try Value.bool(opt)
        case "sqthread_poll": s.sqthreadPoll = try Value.bool(opt)
        case "pin_threads": s.pinThreads = try Value.bool(opt)
        // fio's choice of threads over processes: BlockLab's jobs are always threads, and the
        // I/O they issue is the same either way.
        case "thread": _ = try Value.bool(opt)
        case "cpus_allowed": s.cpusAllowed = try Value.cpuList(opt)
        case "cpus_allowed_policy": s.cpusAllowedPolicy = try Value.choice(opt, CPUPolicy.self)
        case "hipri": s.hipri = try Value.bool(opt)
        case "volume": s.volume = try Value.required(opt)
        case "instance": s.instance = try Value.required(opt)
        case "kb_base":
            switch try Value.required(opt) {
            case "1024": break
            case "1000":
                throw Value.fail(opt, "kb_base=1000 is not supported: BlockLab always reads k, m, g, t, p as powers of 1024 (4k = 4KiB = 4096 bytes); write decimal sizes in plain bytes")
            case let v: throw Value.fail(opt, "only kb_base=1024 is accepted, got '\(v)'")
            }
        default:
            throw unknown(opt)
        }
    }

    /// An option BlockLab does not implement: a real fio option (any alias) is said to be
    /// one, with whose it is (an engine's, a profile's); anything else is unknown, with a
    /// suggestion only when it is a likely typo of an option BlockLab supports.
    static func unknown(_ opt: RawOption) -> BlockLabError {
        let key = opt.key
        let fioName = FioOptionTable.options[key] != nil ? key : FioOptionTable.aliases[key]
        if let fioName, let kind = FioOptionTable.options[fioName] {
            let named = fioName == key ? "" : " (fio's alias of \(fioName))"
            switch kind {
            case .job:
                let why = unsupportedReasons[fioName].map { " (\($0))" } ?? ""
                return Value.fail(opt, "is a fio option\(named) BlockLab does not support\(why)")
            case .engine(let engines):
                let list = engines.split(separator: ",").map(String.init)
                let own = list.filter { EngineCatalog.find($0) != nil }
                if !own.isEmpty {
                    return Value.fail(opt, "is an option of fio's \(own.joined(separator: "/")) engine\(named) that BlockLab's engines do not support")
                }
                return Value.fail(opt, "is an option of fio's \(list.joined(separator: "/")) engine\(list.count > 1 ? "s" : "")\(named), which BlockLab does not have (engines: \(EngineCatalog.names))")
            case .profile(let p):
                return Value.fail(opt, "is an option of fio's '\(p)' profile\(named); BlockLab does not support fio's built-in profiles")
            }
        }
        // Option names are short: a long unknown name is a typo of none of them (and the
        // distance costs its length times theirs).
        guard key.count <= 64 else { return Value.fail(opt, "unknown option (not a fio option either)") }
        if let near = likelyTypo(of: key) {
            return Value.fail(opt, "unknown option (did you mean '\(near)'?)")
        }
        return Value.fail(opt, "unknown option (not a fio option either)")
    }

    /// The supported option `key` is most likely a misspelling of: one edit (a transposed
    /// pair counts as one) for names of up to 5 letters, two for longer ones; nil when none is
    /// that close or two are equally close.
    static func likelyTypo(of key: String) -> String? {
        let candidates = supported + Array(aliases.keys)
        let allowed = key.count <= 5 ? 1 : 2
        let scored = candidates.map { ($0, editDistance($0, key)) }.filter { $0.1 <= allowed && $0.0.count > 2 }
        guard let best = scored.map(\.1).min() else { return nil }
        let names = Set(scored.filter { $0.1 == best }.map { canonical($0.0) })
        return names.count == 1 ? names.first : nil
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and
    /// transpositions of neighbours each cost one.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}

extension String {
    /// `a\:b` -> `a:b`; nil when an unescaped ':' separates several names.
    fileprivate func replacingEscapedColons() -> String? {
        let chars = Array(self)
        var out = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 1 < chars.count, chars[i + 1] == ":" {
                out.append(":")
                i += 2
                continue
            }
            if chars[i] == ":" { return nil }
            out.append(chars[i])
            i += 1
        }
        return out
    }
}

/// What accepted fio options that do not change BlockLab's I/O come to, for notes.
public enum JobOptionNotes {
    /// Option name -> why it changes nothing here.
    public static var inert: [String: String] { Options.inert }
}
