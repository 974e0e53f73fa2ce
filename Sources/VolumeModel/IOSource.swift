import BlockLabCore
import JobSpec
import Workload

/// "What is the next I/O?" for the simulator: anything that yields `PlannedIO`s. Jobs use
/// `Workload.IOPlanner` itself, so simulated offsets and block sizes (bsrange/bssplit,
/// random distributions, the random map) are exactly those of a real run.
public protocol SimIOSource {
    mutating func next() -> PlannedIO?
}

extension IOPlanner: SimIOSource {}

extension SimStream {
    /// A job's numjobs clones as streams on `region`, as the engine runs them: each clone
    /// its own planner (seed salted with its clone number), queue and rate limits. Simulate
    /// plays the whole runtime, as if time_based were set.
    public static func clones(of job: JobSpec, region: Range<UInt64>) throws -> [SimStream] {
        let depth = job.effectiveDepth
        return try (0..<max(1, job.numjobs)).map { clone in
            SimStream(source: try IOPlanner(spec: job, region: region, timeBased: job.timeBased, seedSalt: UInt64(clone)),
                      iodepth: depth,
                      rateIOs: [job.rateIOPS[0] ?? 0, job.rateIOPS[1] ?? 0],
                      rateBytes: [job.rate[0] ?? 0, job.rate[1] ?? 0])
        }
    }
}
