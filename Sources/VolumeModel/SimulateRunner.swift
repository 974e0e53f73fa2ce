import BlockLabCore
import Throttle
import JobSpec

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

    /// Stands for "no size= given" while parsing (the job parser demands size= or filename=,
    /// but a simulated job's natural region is the emulated volume): replaced after parsing.
    static let unsetSize = UInt64.max

    /// Parses fio-style arguments for simulate: a job without size= works on the whole
    /// emulated volume, as a real run on it would (`simulate` fills the size in, once the
    /// volume is resolved).
    public static func parseJobs(arguments: [String], environment: [String: String], volume: String?) throws -> [JobSpec] {
        var jobs = try JobParser.parse(arguments: ["--size=\(unsetSize)"] + arguments, environment: environment)
        for i in jobs.indices where jobs[i].size == unsetSize { jobs[i].size = nil }
        return jobs
    }

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
        var phases = series?.phases(volumeSize: v.sizeBytes) ?? []
        for (job, region) in zip(jobs, try regions(on: v)) {
            guard let runtime = job.runtimeNs, runtime > 0 else {
                throw BlockLabError.usage("\(job.origin): runtime= is required for simulate (virtual time to play)")
            }
            phases.append(SimPhase(name: job.name, streams: try SimStream.clones(of: job, region: region), runtimeNs: runtime))
        }
        return Simulator(shaper: shaper, intervalNs: intervalNs).run(phases)
    }

    public func run() throws -> String {
        let r = try simulate()
        return json ? r.json().serialized() + "\n" : r.table()
    }
}
