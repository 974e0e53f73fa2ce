import BlockLabCore
import CSupport
import Glibc
import JobSpec
import Metrics
import Verify
import Workload

/// Per-slot state of one I/O. Times are monotonic ns.
struct Slot {
    var direction: IODirection = .read
    var offset: UInt64 = 0
    var length: UInt32 = 0
    /// When the I/O became due: its slot freed, or its time under `rate`. BlockLab's own
    /// latency (`lat from due`) counts from here, so a stalled queue or a rate that falls
    /// behind shows up (no coordinated omission).
    var due: UInt64 = 0
    /// When the loop took it up (fio's start_time: fio's slat and lat count from here).
    var started: UInt64 = 0
    /// When the shaper let it go (= due without a shaper).
    var issueAt: UInt64 = 0
    /// When it was prepared for the engine (= started unless a shaper held it back).
    var prepared: UInt64 = 0
    /// fio's issue_time: when the call that submitted it returned (an async engine), or
    /// just before the call that performed it (a synchronous one, as fio's FIO_SYNCIO).
    var submitted: UInt64 = 0
    /// Emulated completion time under a shaper's service-time model.
    var releaseAt: UInt64 = 0
    var verifyRead = false
    /// A write's numberio (fio's count of the job's writes before it); for a verify read,
    /// the numberio the block must hold (`noNumberio`: not known).
    var numberio: UInt64 = 0
    /// Emulated extra latency the backend reported for this I/O (a restored chunk's first
    /// touch), added to its completion time.
    var penaltyNs: UInt64 = 0
    /// Under cmdprio: the index of the I/O's priority among its direction's values.
    var prioIndex: UInt8 = 0
}

/// What a job loop needs beyond the planner: the queue policy and limits, all resolved.
struct LoopConfig {
    var depth: Int
    /// Submit as soon as this many I/Os are prepared (the rest go with the next wait).
    var batchSubmit: Int
    var completeMin: Int
    var completeMax: Int
    var rampNs: UInt64
    /// Length of the measured phase (nil: until the work is done).
    var runtimeNs: UInt64?
    var thinktimeNs: UInt64
    /// rate_iops per direction (0 = none) and rate in bytes/s per direction (0 = none):
    /// read, write, trim.
    var rateIOPS: [UInt64]
    var rateBytes: [UInt64]
    var fsyncEvery: Int
    var datasync: Bool
    var checkReads: Bool
    var refillBuffers: Bool
    /// buffer_pattern refilled before each write (reads share the buffers).
    var refillPattern: [UInt8]? = nil
    /// fio's scramble_buffers: each write's buffer gets its offset and time (`scramble`).
    var scramble: Bool = false
    var seriesIntervalNs: UInt64
    /// Most kernel operations one I/O can need (1 unless the backend splits I/Os).
    var sqesPerIO: Int = 1
    /// No iodepth_batch_* option was given: choose the batches as the run goes
    /// (see `JobLoop.adaptBatching`).
    var adaptive: Bool = false
    var sampleWindowNs: UInt64 = 500 * NS.perMillisecond
    /// fio's log files to collect (nil: none, and no per-I/O logging cost).
    var log: IOLogConfig?
    /// fio's job number of this thread (1-based over the run's clones), for the series.
    var jobNumber: Int?
    /// fio's rate_min (bytes/s) and rate_iops_min per direction (0 = none), checked at
    /// completions once per `rateCycleNs` after a 2 s settling time, as fio does.
    var rateMin: [UInt64] = [0, 0]
    var rateIOPSMin: [UInt64] = [0, 0]
    var rateCycleNs: UInt64 = NS.perSecond
    /// rate_process=poisson: exponential gaps under the rate, from this seed.
    var ratePoisson = false
    var ratePoissonSeed: UInt64 = 0
    /// fio's flow control: the job's place in its flow group (nil: not flow-controlled).
    var flow: FlowMember?
    /// cmdprio: how each I/O picks its priority (nil: all carry the job's own).
    var priorities: PriorityPlan?
    var prioritySeed: UInt64 = 0
    /// The job's own priority value (prio/prioclass; 0 when not set), for the logs' prio column.
    var basePriority: UInt16 = 0
    /// Per-priority figures hold lat instead of clat (lat_percentiles=1, as fio).
    var prioStatsOnLat = false
    var checksMinRate: Bool { rateMin != [0, 0] || rateIOPSMin != [0, 0] }
    /// verify_backlog (0: off) and verify_backlog_batch (resolved: never 0 when on).
    var verifyBacklog: UInt64 = 0
    var verifyBacklogBatch: UInt64 = 0
    /// A verify read checks the numberio it expects (fio: a writing job with one block
    /// size, not time-based, not verify_only; and here, no block written twice).
    var checkNumberio = false
    /// verify_fatal: stop at a block's first bad interval.
    var verifyFatal = false
    /// verify_dump: where to write a failed block (nil: not dumped), and the file's name
    /// as fio uses it (`<basename>.<offset>.received`).
    var dumpDirectory: String?
    var dumpName = ""
    /// fio's continue_on_error classes (ErrorPolicy bits; 0: stop at the first error), the
    /// errnos continued per class (read, write, verify), error_dump, and fill_device.
    var continueOn: UInt8 = 0
    var ignoreErrors: [[Int32]] = [[], [], []]
    var errorDump = false
    var fillDevice = false
    /// fio's latency_target profile (nil: off, and no cost per I/O beyond one branch).
    var latencyTarget: LatencyTargetOptions?
    /// Any of the above: failed I/Os go through `handleError`.
    var handlesErrors: Bool { continueOn != 0 || fillDevice }
}

/// A completed write waiting to be read back (fio's io_piece on its io_hist_list).
struct LoggedWrite {
    var offset: UInt64
    var length: UInt32
    var numberio: UInt64
}

/// Slot.numberio of a verify read whose expected write is not known.
let noNumberio = UInt64.max

enum LoopMode { case normal, verifyReplay }

/// One job thread's event loop on its own backend (ring). It keeps `depth` I/Os in
/// flight: it reaps up to `completeMax` completions per wait, refills the freed slots,
/// submitting every `batchSubmit` as it goes and the remainder before it waits (an async
/// engine's submission is a call of its own, so fio's issue time can be taken after it).
/// The wait returns at the first completion.
///
/// Unless the job sets them, the two batch sizes follow the target (`adaptBatching`):
/// where I/Os complete asynchronously (a device), one completion is reaped and its slot
/// resubmitted at once, as fio does, so the device never idles between bunches; where
/// they complete inline during submission (page cache), batches of up to 32 and reaping
/// everything save syscalls. Measured on both benchmarks (BENCHMARKS.md): on the benchmark machine's
/// disk, batches of 2 to 8 cost 2-7 % of IOPS against fio; on the page cache, submitting one at a
/// time would cost a syscall per I/O.
final class JobLoop<B: IOBackend> {
    let name: String
    let backend: B
    let arena: BufferArena
    let cfg: LoopConfig
    /// cfg.checksMinRate, read at every completion.
    let minRateOn: Bool
    let clock: MonotonicClock
    let shaper: IOShaper?
    let codec: VerifyCodec?
    let progress: JobProgress
    let stop: StopToken
    /// Set when another job of the group with exitall finished: stop without counting as interrupted.
    let groupEnd: StopToken

    let slots: UnsafeMutablePointer<Slot>
    let free: UnsafeMutablePointer<Int32>
    var freeCount: Int
    let pendingList: UnsafeMutablePointer<Int32>
    var pendingCount = 0
    let scheduled: UnsafeMutablePointer<Int32>
    var schedHead = 0, schedCount = 0
    let held: UnsafeMutablePointer<Int32>
    var heldCount = 0
    let completions: UnsafeMutablePointer<Completion>
    var inKernel = 0
    var syncsInFlight = 0

    var recorder: JobRecorder? {
        didSet { rec = recorder.map { Unmanaged.passUnretained($0) } }
    }
    /// `recorder` unretained, for the per-I/O calls: reading a class reference from a
    /// stored property retains and releases it around every call (two atomic operations
    /// per call, ~3 % of a device-bound run's CPU); `recorder` keeps it alive.
    var rec: Unmanaged<JobRecorder>?
    /// fio's log files' rows (only when the job writes logs); unretained as `rec`.
    var logRecorder: IOLogRecorder? {
        didSet { logRec = logRecorder.map { Unmanaged.passUnretained($0) } }
    }
    var logRec: Unmanaged<IOLogRecorder>?
    /// The logs' rows, once the job has finished (`result`).
    var logData: IOLogData?
    var measuredStart: UInt64 = 0
    var rampEnd: UInt64 = 0
    var endNs: UInt64 = 0
    var cpuAtStart = CPUUsage()
    var counts: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// Trims completed and their bytes.
    var trimCounts: (ios: UInt64, bytes: UInt64) = (0, 0)
    /// fio's total_err and first_error (continue_on_error), and error_dump's lines (capped).
    var totalErrors: UInt64 = 0
    var firstError: Int32 = 0
    var errorDumps: [String] = []
    /// fill_device: the target filled up (ENOSPC) and the job stopped there.
    var filled = false
    var writesSinceSync = 0
    /// Submission times of the fsyncs in flight, oldest first (they complete in order on
    /// one file in practice; fio times them the same way).
    var syncTimes: [UInt64] = []
    /// An fsync is prepared but not yet submitted (it is not in pendingList).
    var syncUnsubmitted = false
    var thinkUntil: UInt64 = 0
    /// rate_min: per direction, the bytes and I/Os done and the time at the last check.
    var minRateMark: [(bytes: UInt64, ios: UInt64, at: UInt64)?] = [nil, nil]
    var refillSeed: UInt64 = 1
    var syncs: UInt64 = 0
    var stopping = false
    var interrupted = false
    var errorCode: Int32 = 0
    var errorMessage: String?
    var seriesLines: [String] = []
    /// The last interval taken, written once the next one shows it was not the run's last
    /// stub (see `result`).
    var pendingSeries: (IntervalFigures, [(String, Double)])?
    var nextSeries: UInt64 = 0
    var verifiedBlocks: UInt64 = 0
    /// Writes the normal phase took up, and those the verify replay has gone through.
    var writesTaken: UInt64 = 0
    var replayWrites: UInt64 = 0
    /// Offsets of writes that failed and were gone past (continue_on_error, fill_device):
    /// the verify replay skips them.
    var failedWrites: Set<UInt64> = []
    /// The job's writes so far (fio's numberio of the next one).
    var writesIssued: UInt64 = 0
    /// fio's buffer contents for dedupe/compression (nil: not asked for).
    var filler: ContentFiller?
    /// verify_backlog's log of completed, unchecked writes: a ring, oldest first.
    var backlog: UnsafeMutablePointer<LoggedWrite>?
    var backlogCapacity = 0
    /// Logged writes dropped unverified because the log reached its memory bound.
    var backlogDropped: UInt64 = 0
    /// The log's bound in entries: an eighth of the machine's memory (set with the log).
    var backlogLimit = Int.max
    var backlogHead = 0, backlogCount = 0
    /// Verify reads still to issue in the current backlog batch.
    var backlogBatchLeft: UInt64 = 0
    /// Writes issued and not yet read back (fio's io_hist_len).
    var backlogPending: UInt64 = 0
    var lastIssuedWrite = false
    /// Files verify_dump wrote.
    var dumpedFiles: [String] = []
    /// The batch sizes in force (the job's, or `adaptBatching`'s choice).
    var batchSubmit: Int
    var completeMax: Int
    /// Submit-only counters at the last adaptation, and whether I/Os complete inline.
    var adaptMark: (ios: UInt64, inline: UInt64) = (0, 0)
    var inlineMode = false
    var modeChanges = 0
    /// cfg.priorities != nil, read per I/O.
    let cmdPrioOn: Bool
    var chooser: PriorityChooser?
    /// The chooser's values flat, direction-major (`prioStride` per direction): read on every
    /// I/O under cmdprio, so kept where no access copies a struct or retains an array.
    var prioTable: UnsafeMutablePointer<UInt16>?
    var prioStride = 0
    /// Flow control: I/Os this job took up (its own counter), and whether it waits for its
    /// I/Os in flight before a flow_sleep.
    var flowCount: UInt64 = 0
    var flowDraining = false
    var flowSpins: UInt32 = 0
    /// latency_target: the probe, whether it is on (read per I/O), the free slots the fill
    /// leaves unused to hold the queue at the probe's depth (0 without a probe), and a
    /// drain the probe asked for (`.drain` or `.drainAndReset`).
    var probe: LatencyProbe?
    let probeOn: Bool
    var freeFloor = 0
    var draining: LatencyProbe.Action?

    init(name: String, backend: B, arena: BufferArena, config: LoopConfig, clock: MonotonicClock,
         shaper: IOShaper?, codec: VerifyCodec?, progress: JobProgress, stop: StopToken = StopToken(),
         groupEnd: StopToken = StopToken()) {
        self.name = name
        self.backend = backend
        self.arena = arena
        cfg = config
        minRateOn = config.checksMinRate
        cmdPrioOn = config.priorities != nil
        chooser = config.priorities.map { PriorityChooser(plan: $0, seed: config.prioritySeed) }
        if let c = chooser {
            prioStride = Swift.max(1, c.values.map(\.count).max() ?? 1)
            let table = UnsafeMutablePointer<UInt16>.allocate(capacity: c.values.count * prioStride)
            table.initialize(repeating: 0, count: c.values.count * prioStride)
            for (d, row) in c.values.enumerated() { for (i, v) in row.enumerated() { table[d * prioStride + i] = v } }
            prioTable = table
        }
        // Adaptive loops start as for a device: on the page cache the first 64 I/Os,
        // submitted one by one, show it.
        batchSubmit = config.adaptive ? 1 : config.batchSubmit
        completeMax = config.adaptive ? 1 : config.completeMax
        self.clock = clock
        self.shaper = shaper
        self.codec = codec
        self.progress = progress
        self.stop = stop
        self.groupEnd = groupEnd
        if let t = config.latencyTarget, t.enabled {
            probe = LatencyProbe(targetNs: t.targetNs, windowNs: t.windowNs, percentile: t.percentile,
                                 keepAdjusting: t.keepAdjusting, maxDepth: config.depth)
        }
        probeOn = probe != nil
        // fio's probe starts at depth 1, ramp_time included (it judges nothing until after).
        if probeOn { freeFloor = config.depth - 1 }
        let d = config.depth
        slots = .allocate(capacity: d)
        slots.initialize(repeating: Slot(), count: d)
        free = .allocate(capacity: d)
        for i in 0..<d { free[i] = Int32(d - 1 - i) }
        freeCount = d
        pendingList = .allocate(capacity: d)
        scheduled = .allocate(capacity: d)
        held = .allocate(capacity: d)
        completions = .allocate(capacity: d * config.sqesPerIO * 2 + 8)
        if config.verifyBacklog > 0 {
            // Writes stop being taken up once `verifyBacklog` are logged, so at most the
            // queue's worth more complete before the batch drains them.
            backlogCapacity = Int(Swift.min(config.verifyBacklog, 1 << 16)) + d + 1
            backlog = .allocate(capacity: backlogCapacity)
            let memory = Swift.max(0, sysconf(Int32(_SC_PHYS_PAGES))) &* Swift.max(0, sysconf(Int32(_SC_PAGESIZE)))
            backlogLimit = Swift.max(1 << 16, memory / 8 / MemoryLayout<LoggedWrite>.stride)
        }
    }

    deinit {
        slots.deallocate(); free.deallocate(); pendingList.deallocate()
        scheduled.deallocate(); held.deallocate(); completions.deallocate()
        backlog?.deallocate()
        prioTable?.deallocate()
    }

    /// Starts the clock for the job: ramp first, then the measured phase.
    func start() {
        let now = clock.now()
        rampEnd = now + cfg.rampNs
        if cfg.rampNs == 0 { startRecording(now) }
    }

    func startRecording(_ now: UInt64) {
        recorder = JobRecorder(startNs: now, sampleWindowNs: cfg.sampleWindowNs, maxDepth: cfg.depth,
                               tracksLatencyFromDue: cfg.rateIOPS.contains { $0 > 0 } || cfg.rateBytes.contains { $0 > 0 },
                               priorities: cfg.priorities?.values)
        if let log = cfg.log { logRecorder = IOLogRecorder(config: log, startNs: now) }
        measuredStart = now
        if let rt = cfg.runtimeNs {
            let (end, overflow) = now.addingReportingOverflow(rt)
            endNs = overflow ? .max : end
            progress.deadline.store(endNs, ordering: .relaxed)
        }
        cpuAtStart = CPUUsage.currentThread()
        if progress.epoch.load(ordering: .relaxed) == 0 {
            progress.epochIOs.store(counts.0 &+ counts.1 &+ trimCounts.ios, ordering: .relaxed)
            progress.epochBytes.store(counts.2 &+ counts.3 &+ trimCounts.bytes, ordering: .relaxed)
            progress.epoch.store(Swift.max(now, 1), ordering: .relaxed)
        }
        if probeOn {
            // fio's lat_target_reset at the end of ramp_time (a no-op once the last window runs).
            probe!.begin(now: now, ios: completedIOs)
            freeFloor = cfg.depth - probe!.depth
        }
        nextSeries = cfg.seriesIntervalNs > 0 ? now + cfg.seriesIntervalNs : .max
    }

    /// The job's result; call once, on the job's own thread, after the last phase.
    func result(options: [(key: String, value: String)]) -> JobResult {
        let now = clock.now()
        if recorder == nil { startRecording(now) }
        let cpu = CPUUsage.currentThread().since(cpuAtStart)
        if cfg.seriesIntervalNs > 0, let recorder {
            let last = recorder.takeInterval(now: now)
            let extra = shaper?.sample(now: now) ?? []
            // A stub shorter than half an interval joins the one before it: alone, a 0.12 ms
            // tail would be extrapolated to a rate (one I/O = thousands of IOPS).
            if var pending = pendingSeries, last.durationNs * 2 < cfg.seriesIntervalNs {
                pending.0.absorb(last)
                pendingSeries = (pending.0, extra)
            } else {
                emitPendingSeries()
                if last.endNs > last.startNs { pendingSeries = (last, extra) }
            }
            emitPendingSeries()
        }
        logData = logRecorder?.finish(endNs: now)
        var r = recorder!.finish(name: name, endNs: now, cpu: cpu)
        r.options = options
        r.ioprio = cfg.basePriority
        // As fio: a job whose errors were all continued reports the first of them.
        r.error = errorCode != 0 ? errorCode : firstError
        r.continueOnError = cfg.continueOn != 0
        r.totalErrors = totalErrors
        r.firstError = firstError
        r.interrupted = interrupted
        return r
    }

    func emitPendingSeries() {
        guard let (interval, extra) = pendingSeries else { return }
        seriesLines.append(SeriesLine.json(interval: interval, job: name, jobNumber: cfg.jobNumber, extra: extra))
        pendingSeries = nil
    }

    /// Bytes written by completed I/Os (all phases).
    var writtenBytes: UInt64 { counts.3 }

}
