import BlockLabCore

/// Collects one job thread's measurements. Owned by exactly one thread (no locks); the
/// engine calls `recordCompletion` once per I/O, so it must not allocate.
///
/// Latency definitions (ns), fio's for each engine:
/// - slat: from when the I/O was prepared for the engine (fio's start_time; with a shaper,
///   when the shaper let it go) to its issue time: the end of the call that submitted it
///   (io_uring), or the start of the call that performed it (psync, fio's FIO_SYNCIO);
/// - clat: from issue to completion (on an emulated volume, time the volume's limits held
///   the I/O back is here, as a real volume queues it after submission);
/// - lat: slat + clat (from when the job took the I/O up, so a shaper's hold is in it).
/// And BlockLab's own, `latFromDue`: from when the I/O was *due* (its time under `rate`)
/// to completion. fio starts its clock after a rate limit let the I/O go, which hides a
/// rate the target cannot keep up with (coordinated omission); this does not. Without a
/// rate the two are the same I/O for I/O, so it is only recorded apart under a rate.
public final class JobRecorder {
    public let startNs: UInt64
    public let sampleWindowNs: UInt64
    public let maxDepth: Int
    public let tracksLatencyFromDue: Bool
    /// Everything mutable lives in one struct behind a pointer this recorder owns: Swift
    /// checks exclusive access to class properties at run time on every access, which
    /// doubled the per-I/O cost; a pointee is not checked, and the recorder is single-thread.
    private let state: UnsafeMutablePointer<RecorderState>

    /// - startNs: the job's start (after ramp time) on the engine's monotonic clock.
    /// - sampleWindowNs: width of the IOPS/bandwidth sampling windows (fio: 500 ms).
    /// - maxDepth: the job's iodepth (for the queue-depth distribution).
    /// - tracksLatencyFromDue: the job runs under a rate (due times can precede start times).
    /// - priorities: per direction (read, write), the I/O priority values I/Os may carry
    ///   (index 0: the job's own) when they differ per I/O (fio's cmdprio); each gets its
    ///   own latency figures (`recordPriority`).
    public init(startNs: UInt64, sampleWindowNs: UInt64 = 500 * NS.perMillisecond, maxDepth: Int,
                tracksLatencyFromDue: Bool = false, priorities: [[UInt16]]? = nil) {
        self.startNs = startNs
        if let priorities {
            prioValues = priorities
            prioStats = .allocate(capacity: 1)
            prioStats!.initialize(to: priorities.map { $0.map { _ in LatencyStats() } })
        } else {
            prioValues = []
            prioStats = nil
        }
        self.tracksLatencyFromDue = tracksLatencyFromDue
        self.sampleWindowNs = max(1, sampleWindowNs)
        self.maxDepth = maxDepth
        state = UnsafeMutablePointer<RecorderState>.allocate(capacity: 1)
        state.initialize(to: RecorderState(startNs: startNs, windowNs: self.sampleWindowNs))
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
        if let prioStats {
            prioStats.deinitialize(count: 1)
            prioStats.deallocate()
        }
    }

    /// Per direction and priority index: clat (or lat, see JobLoop) of the I/Os that carried it.
    private let prioValues: [[UInt16]]
    private let prioStats: UnsafeMutablePointer<[[LatencyStats]]>?

    /// One completed I/O's latency under its priority (only for jobs with per-I/O priorities).
    @inline(__always)
    public func recordPriority(_ direction: IODirection, index: UInt8, ns: UInt64) {
        guard let prioStats, direction.rawValue < 2 else { return }
        prioStats.pointee[direction.rawValue][Int(index)].record(ns)
    }

    /// fsync/fdatasync (or a pool commit) latencies: fio's "sync" section. Rare, so kept
    /// apart from the per-I/O state.
    private var syncStats = LatencyStats()

    /// One completed fsync, `latNs` from its submission.
    public func recordSync(latNs: UInt64) { syncStats.record(latNs) }

    /// One completed I/O of `bytes` bytes. `now` is the completion time.
    @inline(__always)
    public func recordCompletion(_ direction: IODirection, bytes: UInt32, slatNs: UInt64, clatNs: UInt64, latNs: UInt64,
                                 dueLatNs: UInt64 = 0, now: UInt64) {
        state.pointee.complete(direction, bytes: UInt64(bytes), slat: slatNs, clat: clatNs, lat: latNs, now: now)
        if tracksLatencyFromDue { state.pointee.recordFromDue(direction, dueLatNs) }
    }

    /// A short or failed I/O (counted apart, as fio's short_ios/drop_ios).
    public func recordShort(_ direction: IODirection) {
        state.pointee.modify(direction) { $0.result.shortIOs &+= 1 }
    }

    /// An I/O that failed: fio counts it in total_ios (issued), with no bytes or latency.
    public func recordFailed(_ direction: IODirection) {
        state.pointee.modify(direction) { $0.result.ios &+= 1 }
    }

    /// A dropped or failed I/O (fio's drop_ios).
    public func recordDrop(_ direction: IODirection) {
        state.pointee.modify(direction) { $0.result.dropIOs &+= 1 }
    }

    /// Queue depth seen when submitting (how many I/Os were in flight after this submit).
    @inline(__always)
    public func recordDepth(_ inFlight: Int) {
        state.pointee.distributions.depth[Distributions.depthIndex(inFlight)] &+= 1
    }

    /// How many I/Os one submit call handed to the kernel (fio's iodepth_submit).
    @inline(__always)
    public func recordSubmitBatch(_ count: Int) {
        state.pointee.distributions.submit[Distributions.batchIndex(count)] &+= 1
    }

    /// How many completions one wait for completions returned (engine efficiency figure;
    /// also fio's iodepth_complete).
    @inline(__always)
    public func recordCompletionsPerWait(_ count: Int) {
        state.pointee.distributions.recordReap(count)
    }

    /// Closes the current sampling windows up to `now` (call a few times a second or at
    /// the end; cheap when no window has ended).
    public func tick(now: UInt64) {
        state.pointee.tick(now: now)
    }

    /// Figures of the last finished interval for the series file and the status line:
    /// per-interval, not cumulative (since the previous call, or the start).
    public func takeInterval(now: UInt64) -> IntervalFigures {
        state.pointee.takeInterval(now: now, jobStartNs: startNs)
    }

    /// The job's result. `endNs` is when the job stopped; cpu figures are the thread's own.
    /// The last, partial sampling window counts if it covers at least half a window (fio
    /// likewise drops a tail too short to be a fair sample), scaled to its real width.
    public func finish(name: String, endNs: UInt64, cpu: CPUUsage) -> JobResult {
        state.pointee.tick(now: endNs)
        let s = state.pointee
        let openStart = s.windowEndNs - sampleWindowNs
        let tailNs = endNs > openStart ? endNs - openStart : 0
        let runtime = endNs > startNs ? endNs - startNs : 0
        var job = JobResult(name: name)
        job.iodepth = maxDepth
        job.jobRuntimeNs = runtime
        job.elapsedNs = runtime
        job.cpu = cpu
        job.distributions = s.distributions
        job.sync = syncStats
        for d in IODirection.allCases {
            let acc = s.get(d)
            var r = acc.result
            if !tracksLatencyFromDue { r.latFromDue = r.lat }
            if tailNs * 2 >= sampleWindowNs || (r.windowNs.isEmpty && tailNs > 0) {
                r.windowIOs.append(acc.windowIOs)
                r.windowBytes.append(acc.windowBytes)
                r.windowNs.append(tailNs)
            }
            if let prioStats, d.rawValue < 2 {
                r.prios = zip(prioValues[d.rawValue], prioStats.pointee[d.rawValue]).map { PrioLatency(prio: $0, stats: $1) }
            }
            if r.ios == 0 {
                // fio reports no samples and no runtime for a direction that did nothing.
                r.windowIOs = []
                r.windowBytes = []
                r.windowNs = []
            } else {
                r.runtimeNs = runtime
            }
            job.directions[d.rawValue] = r
        }
        return job
    }
}

/// One direction's accumulators.
struct DirectionAccumulator {
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

    @inline(__always)
    mutating func record(bytes: UInt64, slat: UInt64, clat: UInt64, lat: UInt64) {
        result.ios &+= 1
        result.bytes &+= bytes
        result.slat.record(slat)
        result.clat.record(clat)
        result.lat.record(lat)
        windowIOs &+= 1
        windowBytes &+= bytes
        intervalIOs &+= 1
        intervalBytes &+= bytes
        intervalLatSum &+= lat
    }

    mutating func closeWindow(widthNs: UInt64) {
        result.windowIOs.append(windowIOs)
        result.windowBytes.append(windowBytes)
        result.windowNs.append(widthNs)
        windowIOs = 0
        windowBytes = 0
    }
}

/// JobRecorder's mutable state (see JobRecorder.state).
struct RecorderState {
    // Room for about 34 minutes of 500 ms windows before a window array grows.
    var read = DirectionAccumulator(reserve: 4096)
    var write = DirectionAccumulator(reserve: 4096)
    var trim = DirectionAccumulator(reserve: 4096)
    var distributions = Distributions()
    let windowNs: UInt64
    var windowEndNs: UInt64
    var intervalStartNs: UInt64

    init(startNs: UInt64, windowNs: UInt64) {
        self.windowNs = windowNs
        windowEndNs = startNs + windowNs
        intervalStartNs = startNs
    }

    @inline(__always)
    mutating func modify(_ d: IODirection, _ body: (inout DirectionAccumulator) -> Void) {
        switch d {
        case .read: body(&read)
        case .write: body(&write)
        case .trim: body(&trim)
        }
    }

    func get(_ d: IODirection) -> DirectionAccumulator {
        switch d {
        case .read: return read
        case .write: return write
        case .trim: return trim
        }
    }

    @inline(__always)
    mutating func complete(_ d: IODirection, bytes: UInt64, slat: UInt64, clat: UInt64, lat: UInt64, now: UInt64) {
        if now >= windowEndNs { tick(now: now) }
        switch d {
        case .read: read.record(bytes: bytes, slat: slat, clat: clat, lat: lat)
        case .write: write.record(bytes: bytes, slat: slat, clat: clat, lat: lat)
        case .trim: trim.record(bytes: bytes, slat: slat, clat: clat, lat: lat)
        }
        distributions.recordLatency(clat)
    }

    @inline(__always)
    mutating func recordFromDue(_ d: IODirection, _ ns: UInt64) {
        switch d {
        case .read: read.result.latFromDue.record(ns)
        case .write: write.result.latFromDue.record(ns)
        case .trim: trim.result.latFromDue.record(ns)
        }
    }

    /// Closes every full window ending at or before `now`. A window without I/O is a sample
    /// of zero (a stall is part of the distribution).
    mutating func tick(now: UInt64) {
        while now >= windowEndNs {
            read.closeWindow(widthNs: windowNs)
            write.closeWindow(widthNs: windowNs)
            trim.closeWindow(widthNs: windowNs)
            windowEndNs += windowNs
        }
    }

    mutating func takeInterval(now: UInt64, jobStartNs: UInt64) -> IntervalFigures {
        var f = IntervalFigures(startNs: intervalStartNs, endNs: max(now, intervalStartNs))
        f.relativeStartNs = intervalStartNs &- jobStartNs
        for d in [IODirection.read, .write] {
            let i = d.rawValue
            modify(d) { a in
                f.ios[i] = a.intervalIOs
                f.bytes[i] = a.intervalBytes
                f.meanLatNs[i] = a.intervalIOs == 0 ? 0 : a.intervalLatSum / a.intervalIOs
                a.intervalIOs = 0
                a.intervalBytes = 0
                a.intervalLatSum = 0
            }
        }
        intervalStartNs = f.endNs
        return f
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

    /// Takes in the interval that follows this one: a run's last, partial interval joins the
    /// one before it instead of being extrapolated to a rate on its own.
    public mutating func absorb(_ next: IntervalFigures) {
        for i in 0..<2 {
            let n = ios[i] + next.ios[i]
            meanLatNs[i] = n == 0 ? 0 : (meanLatNs[i] * ios[i] + next.meanLatNs[i] * next.ios[i]) / n
            ios[i] = n
            bytes[i] += next.bytes[i]
        }
        endNs = Swift.max(endNs, next.endNs)
    }
    /// IOPS of direction `d` over the interval.
    public func iops(_ d: IODirection) -> Double {
        durationNs == 0 || d.rawValue > 1 ? 0 : Double(ios[d.rawValue]) * 1e9 / Double(durationNs)
    }
    /// Bandwidth of direction `d` over the interval, bytes per second.
    public func bwBytesPerSec(_ d: IODirection) -> Double {
        durationNs == 0 || d.rawValue > 1 ? 0 : Double(bytes[d.rawValue]) * 1e9 / Double(durationNs)
    }
}
