import BlockLabCore
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

    public init(jobs: [JobSpec], volume: String?, instance: String?, json: Bool, intervalNs: UInt64, store: ProfileStore) {
        self.jobs = jobs; self.volume = volume; self.instance = instance; self.json = json
        self.intervalNs = intervalNs; self.store = store
    }

    public func simulate() throws -> SimulationResult {
        guard !jobs.isEmpty else { throw BlockLabError.usage("simulate: no job given (use --rw=... or a job file)") }
        guard let spec = volume ?? jobs.first?.volume else {
            throw BlockLabError.usage("--volume: required (for example --volume gp3:size=500g)")
        }
        guard intervalNs > 0 else { throw BlockLabError.usage("--interval: must be more than 0") }
        let v = try VolumeSpec.parse(spec).resolve(in: store)
        let inst = try (instance ?? jobs.first?.instance).map { InstanceLimits(profile: try store.instance(named: $0), epoch: 0) }
        let shaper = VolumeShaper(volume: v, instance: inst, epoch: 0)
        var phases: [SimPhase] = []
        for job in jobs {
            guard let runtime = job.runtimeNs, runtime > 0 else {
                throw BlockLabError.usage("\(job.origin): runtime= is required for simulate (virtual time to play)")
            }
            let region = v.sizeBytes > job.offset ? v.sizeBytes - job.offset : 0
            let source = try JobIOSource(spec: job, defaultSize: region)
            let rates = job.rateIOPS.compactMap { $0 }
            let rate: UInt64? = rates.isEmpty ? nil : rates.reduce(0, +) * UInt64(max(1, job.numjobs))
            // numjobs clones share the volume: modelled as one loop with their combined depth.
            phases.append(SimPhase(name: job.name, source: source, iodepth: job.iodepth * max(1, job.numjobs),
                                   rateIOPS: rate, runtimeNs: runtime))
        }
        return Simulator(shaper: shaper, intervalNs: intervalNs).run(phases)
    }

    public func run() throws -> String {
        let r = try simulate()
        return json ? r.json().serialized() + "\n" : r.table()
    }
}
