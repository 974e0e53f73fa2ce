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

    /// Parses fio-style arguments for simulate: a job without size= works on the whole
    /// emulated volume (`volume`, else the job's own volume=), as a real run on it would.
    public static func parseJobs(arguments: [String], environment: [String: String], volume: String?) throws -> [JobSpec] {
        var jobs = try JobParser.parse(arguments: arguments, environment: environment, sizeRequired: false)
        for i in jobs.indices where jobs[i].size == nil {
            if let spec = volume ?? jobs[i].volume, let gib = try VolumeSpec.parse(spec).sizeGiB {
                let bytes = gib * Units.GiB
                jobs[i].size = bytes > jobs[i].offset ? bytes - jobs[i].offset : 0
            }
        }
        return jobs
    }

    /// The most rows (intervals of virtual time) a simulation may report.
    public static let maxRows: UInt64 = 1_000_000
    /// The most I/Os a simulation may step (a day or so of computing).
    public static let maxIOs: UInt64 = 100_000_000_000

    public func simulate() throws -> SimulationResult {
        if series != nil && !jobs.isEmpty { throw BlockLabError.usage("simulate: give either --series FILE or jobs, not both") }
        guard !jobs.isEmpty || series != nil else { throw BlockLabError.usage("simulate: no job given (use --rw=... or a job file)") }
        guard let spec = volume ?? jobs.first?.volume else {
            throw BlockLabError.usage("--volume: required (for example --volume gp3:size=500g)")
        }
        guard intervalNs > 0 else { throw BlockLabError.usage("--interval: must be more than 0") }
        let v = try VolumeSpec.parse(spec).resolve(in: store)
        // The simulator admits from one thread: no locked instructions needed.
        // Every job plays on this one volume; a replayed series has no I/O size, so then the
        // instance books all its limits.
        let largest = jobs.map { UInt64($0.maxBlockSize) }.max()
        let instanceProfile = try (instance ?? jobs.first?.instance).map { try store.instance(named: $0) }
        let inst = instanceProfile.map {
            InstanceLimits(profile: $0, epoch: 0, sharing: .exclusive,
                           attached: series == nil ? largest.map { [Upstream(volume: v, largestIO: $0)] } : nil, volumes: 1)
        }
        let shaper = VolumeShaper(volume: v, instance: inst, epoch: 0, sharing: .exclusive)
        // The report has a row per interval of virtual time: bound the rows before playing.
        var played: UInt64 = 0
        if let series {
            guard let ns = series.playedNs else { throw BlockLabError.usage("--series: the intervals add up to more virtual time than can be played") }
            played = ns
        }
        for job in jobs {
            guard let runtime = job.runtimeNs, runtime > 0 else {
                throw BlockLabError.usage("\(job.origin): runtime= is required for simulate (virtual time to play)")
            }
            let (sum, overflow) = played.addingReportingOverflow(runtime)
            guard !overflow, sum <= InputLimits.maxDurationNs else {
                throw BlockLabError.usage("\(job.origin): job '\(job.name)': the runtimes add up to more than 100 years of virtual time")
            }
            played = sum
        }
        guard played / intervalNs <= Self.maxRows else {
            throw BlockLabError.usage("simulate: \(Units.formatDuration(played)) of virtual time at --interval \(Units.formatDuration(intervalNs)) "
                + "would be more than \(Self.maxRows) rows; give a longer --interval or a shorter runtime")
        }
        // Every I/O is stepped (about a microsecond each): bound the work by what the volume
        // (or the instance) can admit in the virtual time.
        if let iops = [v.peakIOPS, instanceProfile?.maxIOPS].compactMap({ $0 }).min() {
            let ios = Double(played) / 1e9 * Double(iops)
            guard ios <= Double(Self.maxIOs) else {
                throw BlockLabError.usage("simulate: \(Units.formatDuration(played)) of virtual time at up to \(iops) IOPS could be "
                    + "\(Units.formatDecimal(ios, places: 0)) I/Os, more than \(Self.maxIOs) (each is stepped); give a shorter runtime")
            }
        }
        var phases = series?.phases(volumeSize: v.sizeBytes) ?? []
        for job in jobs {
            let runtime = job.runtimeNs!
            let size = job.size ?? (v.sizeBytes > job.offset ? v.sizeBytes - job.offset : 0)
            guard size > 0, job.offset + size <= v.sizeBytes else {
                throw BlockLabError.usage("\(job.origin): job '\(job.name)': offset=\(job.offset) size=\(size) lies outside the "
                    + "emulated \(v.name) volume (\(Units.formatBytes(v.sizeBytes)))")
            }
            phases.append(SimPhase(name: job.name, streams: try SimStream.clones(of: job, region: job.offset..<(job.offset + size)),
                                   runtimeNs: runtime))
        }
        return Simulator(shaper: shaper, intervalNs: intervalNs).run(phases)
    }

    public func run() throws -> String {
        let r = try simulate()
        return json ? r.json().serialized() + "\n" : r.table()
    }
}
