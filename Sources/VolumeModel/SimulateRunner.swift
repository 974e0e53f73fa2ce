import BlockLabCore
import Throttle
import JobSpec
import Workload

/// `blocklab simulate`'s logic, kept here so it is testable without the CLI: jobs (each a
/// phase, run one after another), a volume spec, an optional instance -> the report text.
public struct SimulateRequest {
    public var jobs: [JobSpec]
    /// `--volume`; nil: the first job's `volume=`.
    public var volume: String?
    public var instance: String?
    public var json: Bool
    public var intervalNs: UInt64
    public var store: ProfileStore
    /// Recorded demand to replay instead of jobs (`--series FILE`).
    public var series: SeriesDemand?

    public init(jobs: [JobSpec], volume: String?, instance: String?, json: Bool, intervalNs: UInt64, store: ProfileStore) {
        self.jobs = jobs; self.volume = volume; self.instance = instance; self.json = json
        self.intervalNs = intervalNs; self.store = store
    }

    /// Parses fio-style arguments for simulate: a job without size= works on the whole
    /// emulated volume, as a real run on it would (`simulate` fills the size in, once the
    /// volume is resolved).
    public static func parseJobs(arguments: [String], environment: [String: String], volume: String?) throws -> [JobSpec] {
        try JobParser.parse(arguments: arguments, environment: environment, sizeRequired: false)
    }

    /// The most rows (intervals of virtual time) a simulation may report.
    public static let maxRows: UInt64 = 1_000_000
    /// The most I/Os a simulation may step (a day or so of computing).
    public static let maxIOs: UInt64 = 100_000_000_000

    /// The emulation plan of this request: one volume, parsed and resolved once.
    public func plan() throws -> EmulationPlan {
        guard let spec = volume ?? jobs.first?.volume else {
            throw BlockLabError.usage("--volume: required (for example --volume gp3:size=500g)")
        }
        return try EmulationPlan(simulating: spec, instance: instance ?? jobs.first?.instance, jobs: jobs,
                                 replaysSeries: series != nil, store: store)
    }

    /// Each job's byte range on the emulated volume: its size= from its offset, else the
    /// rest of the volume, as a real run on the volume would use.
    public func regions(on v: ResolvedVolume) throws -> [Range<UInt64>] {
        try jobs.map { job in
            let size = job.size ?? (v.sizeBytes > job.offset ? v.sizeBytes - job.offset : 0)
            let (end, overflow) = job.offset.addingReportingOverflow(size)
            guard size > 0, !overflow, end <= v.sizeBytes else {
                throw BlockLabError.usage("\(job.origin): job '\(job.name)': offset=\(job.offset) size=\(size) lies outside the "
                    + "emulated \(v.name) volume (\(Units.formatBytes(v.sizeBytes)))")
            }
            return job.offset..<end
        }
    }

    public func simulate() throws -> SimulationResult {
        if series != nil && !jobs.isEmpty { throw BlockLabError.usage("simulate: give either --series FILE or jobs, not both") }
        guard !jobs.isEmpty || series != nil else { throw BlockLabError.usage("simulate: no job given (use --rw=... or a job file)") }
        let emulation = try plan()
        guard intervalNs > 0 else { throw BlockLabError.usage("--interval: must be more than 0") }
        let v = emulation.volumes[0].resolved
        // The simulator admits from one thread: no locked instructions needed.
        let shaper = emulation.simulationShaper()
        let maxIOPS = [v.peakIOPS, emulation.volumes[0].instance.flatMap { emulation.instanceProfile(named: $0)?.maxIOPS }].compactMap { $0 }.min()
        // The report has a row per interval of virtual time: bound the rows before playing.
        var played: UInt64 = 0
        if let series {
            guard let ns = series.playedNs else { throw BlockLabError.usage("--series: the intervals add up to more virtual time than can be played") }
            played = ns
        }
        // A job stops where a real run would: at its runtime, or when its work (size,
        // io_size, number_ios, loops) is done. Only time_based needs a runtime.
        let regions = try regions(on: v)
        var plannedIOs: UInt64 = 0
        for (job, region) in zip(jobs, regions) {
            if job.timeBased {
                guard let runtime = job.runtimeNs, runtime > 0 else {
                    throw BlockLabError.usage("\(job.origin): job '\(job.name)': time_based needs runtime= (virtual time to play)")
                }
            }
            if let runtime = job.runtimeNs {
                let (sum, overflow) = played.addingReportingOverflow(runtime)
                guard !overflow, sum <= InputLimits.maxDurationNs else {
                    throw BlockLabError.usage("\(job.origin): job '\(job.name)': the runtimes add up to more than 100 years of virtual time")
                }
                played = sum
            }
            if !job.timeBased {
                let per = try IOPlanner.plannedIOs(spec: job, region: region)
                plannedIOs = plannedIOs.addingReportingOverflow(per.multipliedReportingOverflow(by: UInt64(max(1, job.numjobs))).partialValue).partialValue
            }
        }
        let timeKnown = jobs.allSatisfy { $0.runtimeNs != nil }
        if timeKnown, played / intervalNs > Self.maxRows {
            throw BlockLabError.usage("simulate: \(Units.formatDuration(played)) of virtual time at --interval \(Units.formatDuration(intervalNs)) "
                + "would be more than \(Self.maxRows) rows; give a longer --interval or a shorter runtime")
        }
        // Every I/O is stepped (about a microsecond each): bound the work by what the volume
        // (or the instance) can admit in the virtual time.
        if !timeKnown {
            guard plannedIOs <= Self.maxIOs else {
                throw BlockLabError.usage("simulate: the jobs plan about \(plannedIOs) I/Os, more than \(Self.maxIOs) (each is stepped); give a smaller size or a runtime")
            }
        } else if let iops = maxIOPS {
            let ios = Double(played) / 1e9 * Double(iops)
            guard ios <= Double(Self.maxIOs) else {
                throw BlockLabError.usage("simulate: \(Units.formatDuration(played)) of virtual time at up to \(iops) IOPS could be "
                    + "\(Units.formatDecimal(ios, places: 0)) I/Os, more than \(Self.maxIOs) (each is stepped); give a shorter runtime")
            }
        }
        var phases = series?.phases(volumeSize: v.sizeBytes) ?? []
        for (job, region) in zip(jobs, regions) {
            phases.append(SimPhase(name: job.name, streams: try SimStream.clones(of: job, region: region),
                                   runtimeNs: job.runtimeNs ?? .max, workBound: Self.workBound(job, region: region)))
        }
        let result = Simulator(shaper: shaper, intervalNs: intervalNs).run(phases)
        guard UInt64(result.intervals.count) <= Self.maxRows else {
            throw BlockLabError.usage("simulate: \(Units.formatDuration(result.endNs - shaper.epoch)) of virtual time at --interval "
                + "\(Units.formatDuration(intervalNs)) is more than \(Self.maxRows) rows; give a longer --interval")
        }
        return result
    }

    /// What ends a job's work when its runtime does not, in fio's terms (the planner stops
    /// at the first of io_size (default size) bytes and number_ios I/Os, loops times over).
    static func workBound(_ job: JobSpec, region: Range<UInt64>) -> String {
        var bounds: [String] = []
        if let io = job.ioSize { bounds.append("io_size \(Units.formatBytes(io))") } else {
            bounds.append("size \(Units.formatBytes(UInt64(region.count)))")
        }
        if let n = job.numberIOs { bounds.append("number_ios \(n)") }
        var text = bounds.joined(separator: " or ")
        if job.loops > 1 { text += " x loops \(job.loops)" }
        return text + " done"
    }

    public func run() throws -> String {
        let r = try simulate()
        return json ? r.json().serialized() + "\n" : r.table()
    }
}
