import BlockLabCore

/// One direction's (read, write or trim) figures of a job, in fio's terms.
public struct DirectionResult: Sendable {
    public var ios: UInt64 = 0
    public var bytes: UInt64 = 0
    /// Completed with fewer bytes than asked (fio's short_ios).
    public var shortIOs: UInt64 = 0
    /// Failed or dropped (fio's drop_ios).
    public var dropIOs: UInt64 = 0
    /// Time the direction was active (the job's runtime if it did any I/O, as fio).
    public var runtimeNs: UInt64 = 0
    /// fio's submission, completion and total latency (see JobRecorder for the exact points).
    public var slat = LatencyStats()
    public var clat = LatencyStats()
    public var lat = LatencyStats()
    /// BlockLab's own: from when the I/O was due (under `rate`) to completion; the same as
    /// `lat` without a rate.
    public var latFromDue = LatencyStats()
    /// Per sampling window (fio: 500 ms): I/Os, bytes and the window's width in ns (the last
    /// window may be shorter). In a merged result each entry is the sum over the group's jobs
    /// of the window with the same index.
    public var windowIOs: [UInt64] = []
    public var windowBytes: [UInt64] = []
    public var windowNs: [UInt64] = []
    /// fio's per-priority latency (clat_prio): per I/O priority value, the clat (lat with
    /// lat_percentiles) of the I/Os that carried it. Empty when every I/O carried the job's
    /// own priority (`JobResult.ioprio`).
    public var prios: [PrioLatency] = []

    public init() {}

    /// The entries fio reports: only when at least two priorities have I/Os.
    public var reportedPrios: [PrioLatency] {
        let used = prios.filter { $0.stats.count > 0 }
        return used.count >= 2 ? used : []
    }

    /// Average IOPS over the runtime.
    public var iops: Double { runtimeNs == 0 ? 0 : Double(ios) * 1e9 / Double(runtimeNs) }
    /// Average bandwidth over the runtime, bytes per second.
    public var bwBytesPerSec: Double { runtimeNs == 0 ? 0 : Double(bytes) * 1e9 / Double(runtimeNs) }

    /// IOPS of each sampling window.
    public var iopsSamples: SampleStats { SampleStats(rates(windowIOs)) }
    /// Bandwidth (bytes/s) of each sampling window.
    public var bwSamples: SampleStats { SampleStats(rates(windowBytes)) }

    private func rates(_ amounts: [UInt64]) -> [Double] {
        zip(amounts, windowNs).compactMap { a, w in w == 0 ? nil : Double(a) * 1e9 / Double(w) }
    }

    /// Adds another job's figures: counts and histograms summed, runtime the longest,
    /// windows summed index by index.
    public mutating func merge(_ o: DirectionResult) {
        ios += o.ios
        bytes += o.bytes
        shortIOs += o.shortIOs
        dropIOs += o.dropIOs
        runtimeNs = max(runtimeNs, o.runtimeNs)
        slat.merge(o.slat)
        clat.merge(o.clat)
        lat.merge(o.lat)
        latFromDue.merge(o.latFromDue)
        for i in 0..<o.windowIOs.count {
            if i < windowIOs.count {
                windowIOs[i] += o.windowIOs[i]
                windowBytes[i] += o.windowBytes[i]
                windowNs[i] = max(windowNs[i], o.windowNs[i])
            } else {
                windowIOs.append(o.windowIOs[i])
                windowBytes.append(o.windowBytes[i])
                windowNs.append(o.windowNs[i])
            }
        }
    }
}

/// The latency figures of the I/Os that carried one priority value.
public struct PrioLatency: Sendable {
    /// The kernel's value: class << 13 | hint << 3 | level.
    public var prio: UInt16
    public var stats: LatencyStats
    public init(prio: UInt16, stats: LatencyStats) {
        self.prio = prio
        self.stats = stats
    }
}

/// One job's (or one reporting group's) result, in fio's terms.
public struct JobResult: Sendable {
    public var name: String
    public var groupID: Int = 0
    /// Which job of the run (index into its job list) this result is from; for a merged
    /// group, its first job's.
    public var specIndex: Int?
    public var error: Int32 = 0
    public var options: [(key: String, value: String)] = []
    public var interrupted = false
    /// BlockLab's additions, by the module that knows them (see Sections.swift); all go
    /// under the job's `blocklab` key in JSON.
    public var engine: EngineSection?
    public var volume: VolumeSection?
    public var mapped: MappedSection?
    /// Why the run never reached its emulated volume's envelope (it measured the host).
    public var hostBound: String?
    /// Anything else for the `blocklab` key (a reporting group's size).
    public var extras: [(String, JSONValue)] = []
    /// The machine the job ran on (gethostname), so results from a fleet can be grouped.
    public var host: String?
    /// Which repetition of which series this result is (`run --repeat N`).
    public var series: SeriesMark?

    /// fio's continue_on_error was set: the job reports total_err and first_error.
    public var continueOnError = false
    /// I/O errors counted (continued ones, and the one that stopped the job when its class
    /// was continued), and the first of them (errno), as fio's total_err and first_error.
    public var totalErrors: UInt64 = 0
    public var firstError: Int32 = 0

    /// read, write, trim (index by IODirection.rawValue).
    public var directions: [DirectionResult] = [DirectionResult(), DirectionResult(), DirectionResult()]
    /// fio's job_runtime: the job's run time; for a group, the SUM over its jobs (as fio).
    public var jobRuntimeNs: UInt64 = 0
    /// Wall time the job (or the group's longest job) ran.
    public var elapsedNs: UInt64 = 0
    /// CPU use of the job's thread; summed over a group's jobs.
    public var cpu = CPUUsage()
    public var distributions = Distributions()
    /// fsync/fdatasync latencies (fio's "sync" section).
    public var sync = LatencyStats()
    /// The job's iodepth (fio's latency_depth).
    public var iodepth: Int = 1
    /// How many jobs this result covers (1 unless merged for group_reporting).
    public var jobCount: Int = 1
    /// fio's steadystate outcome (jobs with steadystate_duration only).
    public var steadyState: SteadyStateSection?
    /// fio's latency_target profile and the depth it settled on (jobs with a target only).
    public var latencyTarget: LatencyTargetFigures?
    /// Which latency figures report which percentiles.
    public var percentiles = PercentileSelection()
    /// The job's own I/O priority value (fio's ts->ioprio: prio/prioclass, 0 when unset).
    public var ioprio: UInt16 = 0

    public init(name: String) { self.name = name }

    public var read: DirectionResult {
        get { directions[IODirection.read.rawValue] }
        set { directions[IODirection.read.rawValue] = newValue }
    }
    public var write: DirectionResult {
        get { directions[IODirection.write.rawValue] }
        set { directions[IODirection.write.rawValue] = newValue }
    }
    public var trim: DirectionResult {
        get { directions[IODirection.trim.rawValue] }
        set { directions[IODirection.trim.rawValue] = newValue }
    }

    /// User and system CPU as a percentage of job_runtime (fio's usr_cpu / sys_cpu).
    public var usrCPUPercent: Double { jobRuntimeNs == 0 ? 0 : Double(cpu.userNs) * 100 / Double(jobRuntimeNs) }
    public var sysCPUPercent: Double { jobRuntimeNs == 0 ? 0 : Double(cpu.systemNs) * 100 / Double(jobRuntimeNs) }

    /// Merges several jobs' results into one (group_reporting), with fio's semantics: I/O
    /// counts, bytes and histograms summed; runtime the longest job's, so IOPS and bandwidth
    /// are the group's total (a sum, not a mean of the jobs' means); CPU and job_runtime
    /// summed. Options, group id and extras come from the first job.
    public static func merge(_ results: [JobResult], name: String) -> JobResult {
        var out = JobResult(name: name)
        guard let first = results.first else { return out }
        out.groupID = first.groupID
        out.options = first.options
        out.extras = first.extras
        out.engine = first.engine
        out.volume = first.volume
        out.mapped = first.mapped
        out.hostBound = first.hostBound
        out.host = first.host
        out.series = first.series
        out.iodepth = first.iodepth
        out.percentiles = first.percentiles
        // fio reports a group's profile from its last job (and the group's steady state
        // from the one that held the group's samples).
        out.latencyTarget = results.last?.latencyTarget
        out.steadyState = results.compactMap(\.steadyState).last
        out.jobCount = 0
        out.ioprio = first.ioprio
        // fio's sum_clat_prio_stats: a job without per-I/O priorities adds all its I/Os under
        // its own priority; the group reports per priority when two or more have I/Os.
        var prios: [[PrioLatency]] = [[], []]
        for r in results {
            for d in 0..<2 where d < r.directions.count {
                let dr = r.directions[d]
                let own = dr.prios.isEmpty
                    ? [PrioLatency(prio: r.ioprio, stats: r.percentiles.lat ? dr.lat : dr.clat)] : dr.prios
                for p in own where p.stats.count > 0 {
                    if let i = prios[d].firstIndex(where: { $0.prio == p.prio }) { prios[d][i].stats.merge(p.stats) } else { prios[d].append(p) }
                }
            }
        }
        for r in results {
            for d in 0..<out.directions.count where d < r.directions.count {
                out.directions[d].merge(r.directions[d])
            }
            if out.error == 0 { out.error = r.error }
            out.continueOnError = out.continueOnError || r.continueOnError
            out.totalErrors += r.totalErrors
            if out.firstError == 0 { out.firstError = r.firstError }
            out.interrupted = out.interrupted || r.interrupted
            out.jobRuntimeNs += r.jobRuntimeNs
            out.elapsedNs = max(out.elapsedNs, r.elapsedNs)
            out.cpu.add(r.cpu)
            out.distributions.merge(r.distributions)
            out.sync.merge(r.sync)
            out.jobCount += r.jobCount
        }
        for d in 0..<2 { out.directions[d].prios = prios[d] }
        return out
    }
}

/// fio's latency_target figures: the queue depth found, and the profile's settings.
public struct LatencyTargetFigures: Sendable, Equatable {
    public var depth: Int
    public var targetNs: UInt64
    public var windowNs: UInt64
    public var percentile: Double
    public init(depth: Int, targetNs: UInt64, windowNs: UInt64, percentile: Double) {
        self.depth = depth
        self.targetNs = targetNs
        self.windowNs = windowNs
        self.percentile = percentile
    }
}

extension CPUUsage {
    public mutating func add(_ o: CPUUsage) {
        userNs += o.userNs
        systemNs += o.systemNs
        voluntaryContextSwitches += o.voluntaryContextSwitches
        involuntaryContextSwitches += o.involuntaryContextSwitches
        minorFaults += o.minorFaults
        majorFaults += o.majorFaults
    }
}

/// One result's place in a series of repetitions: the results of one `run --repeat N`
/// share `id`; `repetition` counts from 0 to `repetitions - 1`.
public struct SeriesMark: Sendable, Equatable {
    public var id: String
    public var repetition: Int
    public var repetitions: Int

    public init(id: String, repetition: Int, repetitions: Int) {
        self.id = id; self.repetition = repetition; self.repetitions = repetitions
    }
}

/// A whole run: every job's result plus metadata.
public struct RunResult: Sendable {
    public var jobs: [JobResult]
    public var timestampMs: UInt64
    public var globalOptions: [(key: String, value: String)] = []
    /// Run-level additions under the top-level `blocklab` key.
    public var extras: [(String, JSONValue)] = []
    /// fio's disk_util; nil when no target is on a block device (the key is left out).
    public var diskUtil: [DiskUtil]?

    public init(jobs: [JobResult], timestampMs: UInt64) {
        self.jobs = jobs
        self.timestampMs = timestampMs
    }
}

/// fio's percentile_list and clat/lat/slat_percentiles for one job.
public struct PercentileSelection: Sendable, Equatable {
    public var list: [Double]
    public var clat: Bool
    public var lat: Bool
    public var slat: Bool
    public init(list: [Double] = fioDefaultPercentiles, clat: Bool = true, lat: Bool = false, slat: Bool = false) {
        self.list = list
        self.clat = clat
        self.lat = lat
        self.slat = slat
    }
}

/// One block device's activity over the run (fio's disk_util entry; ticks in ms).
public struct DiskUtil: Sendable, Equatable {
    public var name: String
    public var readIOs: UInt64 = 0
    public var writeIOs: UInt64 = 0
    public var readMerges: UInt64 = 0
    public var writeMerges: UInt64 = 0
    public var readTicks: UInt64 = 0
    public var writeTicks: UInt64 = 0
    public var inQueue: UInt64 = 0
    /// Percent of the run the device was busy.
    public var util: Double = 0
    public init(name: String) { self.name = name }
}
