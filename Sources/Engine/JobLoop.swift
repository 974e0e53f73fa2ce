import BlockLabCore
import CSupport
import Glibc
import Metrics
import Verify
import Workload

/// Per-slot state of one I/O. Times are monotonic ns.
struct Slot {
    var direction: IODirection = .read
    var offset: UInt64 = 0
    var length: UInt32 = 0
    /// When the I/O became due: its slot freed, or its time under `rate`. Latency counts
    /// from here, so a stalled queue shows up (no coordinated omission).
    var due: UInt64 = 0
    /// When the shaper let it go (= due without a shaper).
    var issueAt: UInt64 = 0
    var submitted: UInt64 = 0
    /// Emulated completion time under a shaper's service-time model.
    var releaseAt: UInt64 = 0
    var verifyRead = false
    /// Mapped targets: kernel operations still out for this I/O, the first error among
    /// them, and emulated extra latency (a restored chunk's first touch).
    var segsLeft: Int32 = 0
    var segError: Int32 = 0
    var penaltyNs: UInt64 = 0
}

/// What a job loop needs beyond the planner: the queue policy and limits, all resolved.
struct LoopConfig {
    var depth: Int
    /// Submit once this many I/Os are ready (0: submit whatever is ready, every time).
    var batchSubmit: Int
    var completeMin: Int
    var completeMax: Int
    var rampNs: UInt64
    /// Length of the measured phase (nil: until the work is done).
    var runtimeNs: UInt64?
    var thinktimeNs: UInt64
    /// rate_iops per direction (0 = none) and rate in bytes/s per direction (0 = none).
    var rateIOPS: [UInt64]
    var rateBytes: [UInt64]
    var fsyncEvery: Int
    var datasync: Bool
    var checkReads: Bool
    var refillBuffers: Bool
    var seriesIntervalNs: UInt64
    /// Most kernel operations one I/O can need (1 unless the target is mapped).
    var sqesPerIO: Int = 1
    var sampleWindowNs: UInt64 = 500 * NS.perMillisecond
}

enum LoopMode { case normal, verifyReplay }

/// One job thread's event loop on its own backend (ring). It keeps `depth` I/Os in
/// flight: after each wait it refills every free slot and submits them together with the
/// next wait in one syscall. On a CPU-bound target (page cache) most I/Os complete inline
/// during submission, so one syscall carries a whole queue; on a device-bound target the
/// wait returns as soon as one I/O completes and its slot is refilled at once, so the
/// device is never idle between lock-step batches.
final class JobLoop<B: IOBackend> {
    let name: String
    let backend: B
    let arena: BufferArena
    let cfg: LoopConfig
    let clock: MonotonicClock
    let shaper: IOShaper?
    let codec: VerifyCodec?
    let progress: JobProgress
    let mapped: MappedTarget?
    /// Copy-on-write staging, `maxChunksPerIO` chunks per slot (mapped writable targets only).
    let scratch: UnsafeMutableRawPointer?
    let maxChunksPerIO: Int
    var commitPending = false
    /// Logical chunks with a copy-on-write copy in flight, and the slot doing it: no other
    /// I/O may touch such a chunk until its copy lands (the copy rewrites the whole chunk).
    let copying: UnsafeMutablePointer<(chunk: UInt64, slot: Int32)>
    var copyingCount = 0
    /// I/Os waiting for such a copy, in arrival order.
    let blocked: UnsafeMutablePointer<Int32>
    var blockedCount = 0
    var commits: UInt64 = 0
    var copies: UInt64 = 0

    let slots: UnsafeMutablePointer<Slot>
    private let free: UnsafeMutablePointer<Int32>
    private var freeCount: Int
    private let pendingList: UnsafeMutablePointer<Int32>
    private var pendingCount = 0
    private let scheduled: UnsafeMutablePointer<Int32>
    private var schedHead = 0, schedCount = 0
    private let held: UnsafeMutablePointer<Int32>
    private var heldCount = 0
    private let completions: UnsafeMutablePointer<Completion>
    private var inKernel = 0
    private var syncsInFlight = 0

    private(set) var recorder: JobRecorder?
    private(set) var measuredStart: UInt64 = 0
    private var rampEnd: UInt64 = 0
    private(set) var endNs: UInt64 = 0
    private var cpuAtStart = (UInt64(0), UInt64(0))
    private var counts: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var writesSinceSync = 0
    private var thinkUntil: UInt64 = 0
    private var refillSeed: UInt64 = 1
    private(set) var syncs: UInt64 = 0
    private(set) var stopping = false
    private(set) var interrupted = false
    private(set) var errorCode: Int32 = 0
    private(set) var errorMessage: String?
    private(set) var seriesLines: [String] = []
    private var nextSeries: UInt64 = 0
    private(set) var verifiedBlocks: UInt64 = 0

    init(name: String, backend: B, arena: BufferArena, config: LoopConfig, clock: MonotonicClock,
         shaper: IOShaper?, codec: VerifyCodec?, progress: JobProgress, mapped: MappedTarget? = nil) {
        self.name = name
        self.backend = backend
        self.arena = arena
        cfg = config
        self.clock = clock
        self.shaper = shaper
        self.codec = codec
        self.progress = progress
        self.mapped = mapped
        let d = config.depth
        if let mapped, !mapped.isReadOnly {
            maxChunksPerIO = config.sqesPerIO / 3
            scratch = UnsafeMutableRawPointer.allocate(byteCount: d * maxChunksPerIO * mapped.chunkSize, alignment: 4096)
        } else {
            maxChunksPerIO = 0
            scratch = nil
        }
        slots = .allocate(capacity: d)
        slots.initialize(repeating: Slot(), count: d)
        free = .allocate(capacity: d)
        for i in 0..<d { free[i] = Int32(d - 1 - i) }
        freeCount = d
        pendingList = .allocate(capacity: d)
        scheduled = .allocate(capacity: d)
        held = .allocate(capacity: d)
        completions = .allocate(capacity: d * config.sqesPerIO * 2 + 8)
        copying = .allocate(capacity: d * max(1, maxChunksPerIO))
        blocked = .allocate(capacity: d)
    }

    deinit {
        slots.deallocate(); free.deallocate(); pendingList.deallocate()
        scheduled.deallocate(); held.deallocate(); completions.deallocate()
        scratch?.deallocate()
        copying.deallocate()
        blocked.deallocate()
    }

    /// Starts the clock for the job: ramp first, then the measured phase.
    func start() {
        let now = clock.now()
        rampEnd = now + cfg.rampNs
        if cfg.rampNs == 0 { startRecording(now) }
    }

    private func startRecording(_ now: UInt64) {
        recorder = JobRecorder(startNs: now, sampleWindowNs: cfg.sampleWindowNs, maxDepth: cfg.depth)
        measuredStart = now
        if let rt = cfg.runtimeNs { endNs = now + rt; progress.deadline.store(endNs, ordering: .relaxed) }
        cpuAtStart = threadCPU()
        nextSeries = cfg.seriesIntervalNs > 0 ? now + cfg.seriesIntervalNs : .max
    }

    /// Runs the planner to its end (or to the runtime limit, an error or Ctrl-C).
    func runPhase(_ planner: inout IOPlanner, mode: LoopMode) throws {
        var now = clock.now()
        let rateStart = now
        var rateDone: [UInt64] = [0, 0]   // I/Os per direction under rate_iops
        var rateBytesDone: [UInt64] = [0, 0]
        var deferred: PlannedIO?
        var plannerDone = false
        while true {
            if bl_stop_requested() != 0 { interrupted = true; stopping = true }
            if recorder == nil, now >= rampEnd { startRecording(now) }
            if endNs != 0, now >= endNs { stopping = true }
            if heldCount > 0 { releaseHeld(now) }
            if commitPending && inKernel == 0 && heldCount == 0 { try commitMapped() }
            while schedCount > 0, slots[Int(scheduled[schedHead])].issueAt <= now {
                let s = scheduled[schedHead]
                schedHead = (schedHead + 1) % cfg.depth
                schedCount -= 1
                issue(s)
            }
            var wake = UInt64.max
            if !stopping && !plannerDone && !commitPending {
                while freeCount > 0 {
                    if thinkUntil > now { wake = thinkUntil; break }
                    let io: PlannedIO
                    if let d = deferred { io = d; deferred = nil } else if let n = planner.next() { io = n } else { plannerDone = true; break }
                    var dir = io.direction
                    var verifyRead = false
                    if mode == .verifyReplay {
                        if dir != .write { continue }
                        dir = .read
                        verifyRead = true
                    } else if cfg.checkReads && dir == .read {
                        verifyRead = true
                    }
                    var due = now
                    let d = dir.rawValue
                    if cfg.rateIOPS[d] > 0 || cfg.rateBytes[d] > 0 {
                        due = rateStart + max(
                            cfg.rateIOPS[d] > 0 ? scaled(rateDone[d], NS.perSecond, cfg.rateIOPS[d]) : 0,
                            cfg.rateBytes[d] > 0 ? scaled(rateBytesDone[d], NS.perSecond, cfg.rateBytes[d]) : 0)
                        if due > now { deferred = io; wake = due; break }
                        rateDone[d] += 1
                        rateBytesDone[d] += UInt64(io.length)
                    }
                    freeCount -= 1
                    let slot = free[freeCount]
                    let p = slots + Int(slot)
                    p.pointee.direction = dir
                    p.pointee.offset = io.offset
                    p.pointee.length = io.length
                    p.pointee.due = due
                    p.pointee.verifyRead = verifyRead
                    if dir == .write { fillWriteBuffer(slot, offset: io.offset, length: io.length) }
                    if let shaper {
                        let t = shaper.admit(direction: dir, offset: io.offset, length: io.length, now: now)
                        p.pointee.issueAt = Swift.max(t, due)
                        if t > now {
                            scheduled[(schedHead + schedCount) % cfg.depth] = slot
                            schedCount += 1
                            continue
                        }
                    } else {
                        p.pointee.issueAt = due
                    }
                    issue(slot)
                }
            }
            if schedCount > 0 { wake = Swift.min(wake, slots[Int(scheduled[schedHead])].issueAt) }
            if heldCount > 0 { wake = Swift.min(wake, earliestRelease()) }
            if !stopping, endNs != 0 { wake = Swift.min(wake, endNs) }
            if recorder == nil { wake = Swift.min(wake, rampEnd) }

            let outstanding = inKernel + syncsInFlight
            if outstanding == 0 {
                if stopping || (plannerDone && deferred == nil) {
                    // Admitted but never issued: capacity the shaper reserved goes unused.
                    while schedCount > 0 {
                        free[freeCount] = scheduled[schedHead]; freeCount += 1
                        schedHead = (schedHead + 1) % cfg.depth; schedCount -= 1
                    }
                    if heldCount == 0 { break }
                }
                if wake != .max, wake > now { _ = bl_sleep_until_ns(wake) }
                now = clock.now()
                publish(now)
                continue
            }
            let submit = pendingCount > 0 && (cfg.batchSubmit <= 1 || pendingCount >= cfg.batchSubmit
                || freeCount == 0 || plannerDone || stopping || wake != .max)
            let submittedAlready = outstanding - (submit ? 0 : pendingCount)
            let minComplete = Swift.min(cfg.completeMin, Swift.max(submittedAlready, 0))
            let tSubmit = clock.now()
            if submit {
                for i in 0..<pendingCount { slots[Int(pendingList[i])].submitted = tSubmit }
                pendingCount = 0
            }
            let n = try backend.submitAndReap(submit: submit, minComplete: minComplete,
                                              deadline: wake == .max ? 0 : wake, now: tSubmit,
                                              out: completions, max: cfg.completeMax)
            now = clock.now()
            if n > 0 { recorder?.recordCompletionsPerWait(n) }
            for i in 0..<n { complete(completions[i], now: now) }
            publish(now)
        }
    }

    /// a × b / c without overflow (rate schedules: exact, no drift over long runs).
    @inline(__always)
    private func scaled(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        let full = a.multipliedFullWidth(by: b)
        return c.dividingFullWidth(full).quotient
    }

    @inline(__always)
    private func issue(_ slot: Int32) {
        if let mapped {
            issueMapped(slot, mapped)
            return
        }
        let s = slots[Int(slot)]
        backend.prepare(tag: slot, direction: s.direction, offset: s.offset, length: s.length, buffer: arena.buffer(Int(slot)))
        recordIssued(slot, kernelOps: 1)
    }

    /// Bookkeeping once an I/O's kernel operations are queued. An I/O that needed none
    /// (a read of never-written chunks) completes without a round trip, at its issue time
    /// plus any emulated latency.
    @inline(__always)
    func recordIssued(_ slot: Int32, kernelOps: Int) {
        if kernelOps == 0 {
            let p = slots + Int(slot)
            p.pointee.submitted = p.pointee.issueAt
            if errorCode != 0 { release(slot); return }
            p.pointee.releaseAt = p.pointee.issueAt + p.pointee.penaltyNs
            held[heldCount] = slot
            heldCount += 1
            return
        }
        pendingList[pendingCount] = slot
        pendingCount += 1
        inKernel += 1
        recorder?.recordDepth(inKernel)
    }

    func failMapped(_ message: String) { fail(EIO, message) }

    @inline(__always)
    private func fillWriteBuffer(_ slot: Int32, offset: UInt64, length: UInt32) {
        if let codec {
            codec.fill(arena.buffer(Int(slot)), length: Int(length), offset: offset, generation: 0)
        } else if cfg.refillBuffers {
            refillSeed &+= 0x9E37_79B9_7F4A_7C15
            arena.fillRandom(slot: Int(slot), seed: refillSeed)
        }
    }

    @inline(__always)
    private func complete(_ c: Completion, now: UInt64) {
        if c.tag == syncTag {
            syncsInFlight -= 1
            syncs += 1
            if c.result < 0 { fail(-c.result, "fsync failed: \(String(cString: strerror(-c.result)))") }
            return
        }
        let p = slots + Int(c.tag)
        if mapped != nil {
            // A mapped I/O is done when its last piece is.
            p.pointee.segsLeft -= 1
            if c.result < 0 && p.pointee.segError == 0 { p.pointee.segError = c.result }
            if p.pointee.segsLeft > 0 { return }
            inKernel -= 1
            if copyingCount > 0 { copyLanded(c.tag) }
            if p.pointee.segError < 0 {
                fail(-p.pointee.segError, "\(p.pointee.direction.name) of \(p.pointee.length) bytes at offset \(p.pointee.offset) failed: \(String(cString: strerror(-p.pointee.segError)))")
                release(c.tag)
                return
            }
            hold(c.tag, now: now)
            return
        }
        inKernel -= 1
        if c.result < 0 {
            fail(-c.result, "\(p.pointee.direction.name) of \(p.pointee.length) bytes at offset \(p.pointee.offset) failed: \(String(cString: strerror(-c.result)))")
            release(c.tag)
            return
        }
        if UInt32(c.result) < p.pointee.length {
            recorder?.recordShort(p.pointee.direction)
            release(c.tag)
            return
        }
        hold(c.tag, now: now)
    }

    /// Finishes the I/O now, or holds it until the emulated device would have finished it:
    /// the shaper's service time plus any mapped-target penalty, counted from issue.
    @inline(__always)
    private func hold(_ slot: Int32, now: UInt64) {
        let p = slots + Int(slot)
        if shaper != nil || p.pointee.penaltyNs > 0 {
            let s = p.pointee
            let service = shaper?.serviceTime(direction: s.direction, offset: s.offset, length: s.length, issuedAt: s.issueAt) ?? 0
            let r = s.issueAt + service + s.penaltyNs
            if r > now {
                p.pointee.releaseAt = r
                held[heldCount] = slot
                heldCount += 1
                return
            }
        }
        finish(slot, at: now)
    }

    /// The I/O is done (for the emulated device too): record it and free its slot.
    @inline(__always)
    private func finish(_ slot: Int32, at t: UInt64) {
        let s = slots[Int(slot)]
        let lat = t &- s.due
        let slat = s.submitted &- s.issueAt
        let clat = lat &- slat
        if s.verifyRead, let codec {
            if let message = codec.check(arena.buffer(Int(slot)), length: Int(s.length), offset: s.offset) {
                fail(EILSEQ, "verify failed: \(message)")
            } else {
                verifiedBlocks += 1
            }
        }
        recorder?.recordCompletion(s.direction, bytes: s.length, slatNs: slat, clatNs: clat, latNs: lat, now: t)
        if s.direction == .read {
            counts.0 += 1; counts.2 += UInt64(s.length)
        } else {
            counts.1 += 1; counts.3 += UInt64(s.length)
            if cfg.fsyncEvery > 0 {
                writesSinceSync += 1
                if writesSinceSync >= cfg.fsyncEvery {
                    writesSinceSync = 0
                    if mapped != nil {
                        // Data before mappings: drain what is in flight, then commit.
                        commitPending = true
                    } else {
                        backend.prepareSync(datasync: cfg.datasync)
                        syncsInFlight += 1
                    }
                }
            }
        }
        if cfg.thinktimeNs > 0 { thinkUntil = t + cfg.thinktimeNs }
        release(slot)
    }

    @inline(__always)
    private func release(_ slot: Int32) {
        free[freeCount] = slot
        freeCount += 1
    }

    private func releaseHeld(_ now: UInt64) {
        var i = 0
        while i < heldCount {
            let slot = held[i]
            let r = slots[Int(slot)].releaseAt
            if r <= now {
                heldCount -= 1
                held[i] = held[heldCount]
                finish(slot, at: r)
            } else {
                i += 1
            }
        }
    }

    private func earliestRelease() -> UInt64 {
        var m = UInt64.max
        for i in 0..<heldCount { m = Swift.min(m, slots[Int(held[i])].releaseAt) }
        return m
    }

    private func fail(_ code: Int32, _ message: String) {
        if errorCode == 0 {
            errorCode = code
            errorMessage = "\(name): \(message)"
        }
        stopping = true
    }

    @inline(__always)
    private func publish(_ now: UInt64) {
        progress.publish(ios: counts.0, counts.1, bytes: counts.2, counts.3)
        guard let recorder else { return }
        recorder.tick(now: now)
        if now >= nextSeries {
            let interval = recorder.takeInterval(now: now)
            seriesLines.append(SeriesLine.json(interval: interval, job: name, extra: shaper?.sample(now: now) ?? []))
            nextSeries = now + cfg.seriesIntervalNs
        }
    }

    /// The job's result; call once, on the job's own thread, after the last phase.
    func result(options: [(key: String, value: String)]) -> JobResult {
        let now = clock.now()
        if recorder == nil { startRecording(now) }
        let cpuEnd = threadCPU()
        var cpu = CPUUsage()
        cpu.userNs = cpuEnd.0 &- cpuAtStart.0
        cpu.systemNs = cpuEnd.1 &- cpuAtStart.1
        if cfg.seriesIntervalNs > 0, let recorder {
            let interval = recorder.takeInterval(now: now)
            if interval.endNs > interval.startNs {
                seriesLines.append(SeriesLine.json(interval: interval, job: name, extra: shaper?.sample(now: now) ?? []))
            }
        }
        var r = recorder!.finish(name: name, endNs: now, cpu: cpu)
        r.options = options
        r.error = errorCode
        r.interrupted = interrupted
        return r
    }

    /// Bytes written by completed I/Os (all phases).
    var writtenBytes: UInt64 { counts.3 }

    private func threadCPU() -> (UInt64, UInt64) {
        var u: UInt64 = 0, s: UInt64 = 0, a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0, d: UInt64 = 0
        _ = bl_thread_cpu_ns(&u, &s, &a, &b, &c, &d)
        return (u, s)
    }
}
