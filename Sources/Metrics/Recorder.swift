import BlockLabCore

/// Collects one job thread's measurements. Owned by exactly one thread (no locks); the
/// engine calls `recordCompletion` once per I/O, so it must not allocate.
///
/// Latency definitions (ns), as fio's but without coordinated omission:
/// - slat: from when the I/O was *due* (its scheduled time under a rate, or when its queue
///   slot freed) to when it was submitted to the kernel;
/// - clat: from submission to completion;
/// - lat: due to completion (= slat + clat).
public final class JobRecorder {
    /// - startNs: the job's start (after ramp time) on the engine's monotonic clock.
    /// - sampleWindowNs: width of the IOPS/bandwidth sampling windows (fio: 500 ms).
    /// - maxDepth: the job's iodepth (for the queue-depth distribution).
    public init(startNs: UInt64, sampleWindowNs: UInt64 = 500 * NS.perMillisecond, maxDepth: Int) {}

    /// One completed I/O of `bytes` bytes. `now` is the completion time.
    @inline(__always)
    public func recordCompletion(_ direction: IODirection, bytes: UInt32, slatNs: UInt64, clatNs: UInt64, latNs: UInt64, now: UInt64) {}

    /// A short or failed I/O (counted apart, as fio's short_ios/drop_ios).
    public func recordShort(_ direction: IODirection) {}

    /// Queue depth seen when submitting (how many I/Os were in flight after this submit).
    @inline(__always)
    public func recordDepth(_ inFlight: Int) {}

    /// How many completions one wait for completions returned (engine efficiency figure).
    @inline(__always)
    public func recordCompletionsPerWait(_ count: Int) {}

    /// Closes the current sampling windows up to `now` (call a few times a second or at
    /// the end; cheap when no window has ended).
    public func tick(now: UInt64) {}

    /// Figures of the last finished interval for the series file and the status line:
    /// per-interval, not cumulative.
    public func takeInterval(now: UInt64) -> IntervalFigures { IntervalFigures(startNs: 0, endNs: now) }

    /// The job's result. `endNs` is when the job stopped; cpu figures are the thread's own.
    public func finish(name: String, endNs: UInt64, cpu: CPUUsage) -> JobResult {
        JobResult(name: name)
    }
}

/// The calling thread's CPU use over the job.
public struct CPUUsage: Sendable {
    public var userNs: UInt64 = 0
    public var systemNs: UInt64 = 0
    public var voluntaryContextSwitches: UInt64 = 0
    public var involuntaryContextSwitches: UInt64 = 0
    public var minorFaults: UInt64 = 0
    public var majorFaults: UInt64 = 0
    public init() {}
}

/// One interval's figures, per direction (index by IODirection.rawValue: read, write).
public struct IntervalFigures: Sendable {
    public var startNs: UInt64
    public var endNs: UInt64
    public var ios: [UInt64] = [0, 0]
    public var bytes: [UInt64] = [0, 0]
    /// Mean completion latency in the interval per direction (0 if no I/O).
    public var meanLatNs: [UInt64] = [0, 0]
    public init(startNs: UInt64, endNs: UInt64) {
        self.startNs = startNs
        self.endNs = endNs
    }
}
