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
    /// Per-direction accumulators. A class so that the per-I/O path mutates in place.
    final class Direction {
        var result = DirectionResult()
        // The open sampling window.
        var windowIOs: UInt64 = 0
        var windowBytes: UInt64 = 0
        // Since the last takeInterval.
        var intervalIOs: UInt64 = 0
        var intervalBytes: UInt64 = 0
        var intervalLatSum: UInt64 = 0

        init(reserve: Int) {
            result.windowIOs.reserveCapacity(reserve)
            result.windowBytes.reserveCapacity(reserve)
            result.windowNs.reserveCapacity(reserve)
        }
    }

    public let startNs: UInt64
    public let sampleWindowNs: UInt64
    public let maxDepth: Int
    private let dirs: [Direction]
    private var windowEndNs: UInt64
    private var windowsClosed = 0
    private var intervalStartNs: UInt64
    private var distributions = Distributions()

    /// - startNs: the job's start (after ramp time) on the engine's monotonic clock.
    /// - sampleWindowNs: width of the IOPS/bandwidth sampling windows (fio: 500 ms).
    /// - maxDepth: the job's iodepth (for the queue-depth distribution).
    public init(startNs: UInt64, sampleWindowNs: UInt64 = 500 * NS.perMillisecond, maxDepth: Int) {
        self.startNs = startNs
        self.sampleWindowNs = max(1, sampleWindowNs)
        self.maxDepth = maxDepth
        // Room for about 34 minutes of 500 ms windows before any window array grows.
        dirs = (0..<3).map { _ in Direction(reserve: 4096) }
        windowEndNs = startNs + self.sampleWindowNs
        intervalStartNs = startNs
    }

    /// One completed I/O of `bytes` bytes. `now` is the completion time.
    @inline(__always)
    public func recordCompletion(_ direction: IODirection, bytes: UInt32, slatNs: UInt64, clatNs: UInt64, latNs: UInt64, now: UInt64) {
        if now >= windowEndNs { closeWindows(upTo: now) }
        let d = dirs[direction.rawValue]
        d.result.ios &+= 1
        d.result.bytes &+= UInt64(bytes)
        d.result.slat.record(slatNs)
        d.result.clat.record(clatNs)
        d.result.lat.record(latNs)
        d.windowIOs &+= 1
        d.windowBytes &+= UInt64(bytes)
        d.intervalIOs &+= 1
        d.intervalBytes &+= UInt64(bytes)
        d.intervalLatSum &+= latNs
        distributions.recordLatency(clatNs)
    }

    /// A short or failed I/O (counted apart, as fio's short_ios/drop_ios).
    public func recordShort(_ direction: IODirection) {
        dirs[direction.rawValue].result.shortIOs &+= 1
    }

    /// A dropped or failed I/O (fio's drop_ios).
    public func recordDrop(_ direction: IODirection) {
        dirs[direction.rawValue].result.dropIOs &+= 1
    }

    /// Queue depth seen when submitting (how many I/Os were in flight after this submit).
    @inline(__always)
    public func recordDepth(_ inFlight: Int) {
        distributions.depth[Distributions.depthIndex(inFlight)] &+= 1
    }

    /// How many I/Os one submit call handed to the kernel (fio's iodepth_submit).
    @inline(__always)
    public func recordSubmitBatch(_ count: Int) {
        distributions.submit[Distributions.batchIndex(count)] &+= 1
    }

    /// How many completions one wait for completions returned (engine efficiency figure;
    /// also fio's iodepth_complete).
    @inline(__always)
    public func recordCompletionsPerWait(_ count: Int) {
        distributions.complete[Distributions.batchIndex(count)] &+= 1
        distributions.completionsReaped &+= UInt64(max(0, count))
        distributions.waits &+= 1
    }

    /// Closes the current sampling windows up to `now` (call a few times a second or at
    /// the end; cheap when no window has ended).
    public func tick(now: UInt64) {
        if now >= windowEndNs { closeWindows(upTo: now) }
    }

    /// Closes every full window ending at or before `now`. A window without I/O is a sample
    /// of zero (a stall is part of the distribution).
    private func closeWindows(upTo now: UInt64) {
        while now >= windowEndNs {
            for d in dirs {
                d.result.windowIOs.append(d.windowIOs)
                d.result.windowBytes.append(d.windowBytes)
                d.result.windowNs.append(sampleWindowNs)
                d.windowIOs = 0
                d.windowBytes = 0
            }
            windowEndNs += sampleWindowNs
            windowsClosed += 1
        }
    }

    /// Figures of the last finished interval for the series file and the status line:
    /// per-interval, not cumulative (since the previous call, or the start).
    public func takeInterval(now: UInt64) -> IntervalFigures {
        var f = IntervalFigures(startNs: intervalStartNs, endNs: max(now, intervalStartNs))
        f.relativeStartNs = intervalStartNs &- startNs
        for i in 0..<2 {
            let d = dirs[i]
            f.ios[i] = d.intervalIOs
            f.bytes[i] = d.intervalBytes
            f.meanLatNs[i] = d.intervalIOs == 0 ? 0 : d.intervalLatSum / d.intervalIOs
            d.intervalIOs = 0
            d.intervalBytes = 0
            d.intervalLatSum = 0
        }
        intervalStartNs = f.endNs
        return f
    }

    /// The job's result. `endNs` is when the job stopped; cpu figures are the thread's own.
    /// The last, partial sampling window counts if it covers at least half a window (fio
    /// likewise drops a tail too short to be a fair sample), scaled to its real width.
    public func finish(name: String, endNs: UInt64, cpu: CPUUsage) -> JobResult {
        tick(now: endNs)
        let tailNs = endNs > windowEndNs - sampleWindowNs ? endNs - (windowEndNs - sampleWindowNs) : 0
        let runtime = endNs > startNs ? endNs - startNs : 0
        var job = JobResult(name: name)
        job.iodepth = maxDepth
        job.jobRuntimeNs = runtime
        job.elapsedNs = runtime
        job.cpu = cpu
        job.distributions = distributions
        for (i, d) in dirs.enumerated() {
            var r = d.result
            if tailNs * 2 >= sampleWindowNs || (r.windowNs.isEmpty && tailNs > 0) {
                r.windowIOs.append(d.windowIOs)
                r.windowBytes.append(d.windowBytes)
                r.windowNs.append(tailNs)
            }
            if r.ios == 0 {
                // fio reports no samples and no runtime for a direction that did nothing.
                r.windowIOs = []
                r.windowBytes = []
                r.windowNs = []
            } else {
                r.runtimeNs = runtime
            }
            job.directions[i] = r
        }
        return job
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
    /// startNs relative to the job's start (set by JobRecorder.takeInterval).
    public var relativeStartNs: UInt64 = 0
    public var ios: [UInt64] = [0, 0]
    public var bytes: [UInt64] = [0, 0]
    /// Mean latency (lat: due -> completion) in the interval per direction (0 if no I/O).
    public var meanLatNs: [UInt64] = [0, 0]
    public init(startNs: UInt64, endNs: UInt64) {
        self.startNs = startNs
        self.endNs = endNs
    }

    public var durationNs: UInt64 { endNs > startNs ? endNs - startNs : 0 }
    /// IOPS of direction `d` over the interval.
    public func iops(_ d: IODirection) -> Double {
        durationNs == 0 || d.rawValue > 1 ? 0 : Double(ios[d.rawValue]) * 1e9 / Double(durationNs)
    }
    /// Bandwidth of direction `d` over the interval, bytes per second.
    public func bwBytesPerSec(_ d: IODirection) -> Double {
        durationNs == 0 || d.rawValue > 1 ? 0 : Double(bytes[d.rawValue]) * 1e9 / Double(durationNs)
    }
}
