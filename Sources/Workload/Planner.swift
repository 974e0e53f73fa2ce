import BlockLabCore
import JobSpec

/// One I/O the engine should issue next.
public struct PlannedIO: Equatable, Sendable {
    public var direction: IODirection
    public var offset: UInt64
    public var length: UInt32
    public init(direction: IODirection, offset: UInt64, length: UInt32) {
        self.direction = direction
        self.offset = offset
        self.length = length
    }
}

/// Decides what a job does next: direction (rwmix), block size (bs/bsrange/bssplit),
/// offset (sequential, or random with a random map so every block is touched once per
/// pass unless norandommap, and the chosen distribution), and when the job's work is done
/// (size, io_size, number_ios, loops). Time limits (runtime/time_based) are the engine's.
///
/// Deterministic for a given seed. `next()` must not allocate: the engine calls it once
/// per I/O on the hot path.
public struct IOPlanner {
    /// - region: the byte range of the target this job works on (offset ..< offset+size).
    /// - timeBased: when true, the planner never runs out (wraps around, new pass).
    /// - seedSalt: distinguishes numjobs clones (fio uses a different seed per clone).
    public init(spec: JobSpec, region: Range<UInt64>, timeBased: Bool, seedSalt: UInt64) throws {
        throw BlockLabError.usage("\(spec.origin): the I/O planner is not implemented yet")
    }

    /// The next I/O, or nil when the job's work is done.
    public mutating func next() -> PlannedIO? { nil }

    /// I/Os the job will do in total when bounded (nil for time-based jobs).
    public var plannedIOCount: UInt64? { nil }

    /// Bytes the job will move in total when bounded (nil for time-based jobs), for ETA.
    public var plannedBytes: UInt64? { nil }
}
