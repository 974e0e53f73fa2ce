import BlockLabCore
import CSupport
import Glibc
import Metrics
import Verify
import Workload

extension JobLoop {
    /// Runs the planner to its end (or to the runtime limit, an error or Ctrl-C).
    func runPhase(_ planner: inout IOPlanner, mode: LoopMode) throws {
        var now = clock.now()
        let rateStart = now
        var rateDone: [UInt64] = [0, 0, 0]   // I/Os per direction under rate_iops
        var rateBytesDone: [UInt64] = [0, 0, 0]
        // rate_process=poisson: each direction's next arrival, from rateStart.
        var poisson = cfg.ratePoisson ? PoissonArrivals(seed: cfg.ratePoissonSeed) : nil
        var poissonAt: [UInt64] = [0, 0, 0]
        let rated = cfg.rateIOPS.contains { $0 > 0 } || cfg.rateBytes.contains { $0 > 0 }
        var deferred: PlannedIO?
        /// The deferred I/O is a backlog verify read expecting this numberio.
        var deferredVerify: UInt64?
        var plannerDone = false
        // Flow control held the next I/O back in this pass.
        var flowHeld = false
        // A replayed write's numberio: the replay issues the writes in their original order.
        var replayNumberio: UInt64 = 0
        let backlogOn = backlog != nil && mode == .normal
        while true {
            if stop.isStopped { interrupted = true; stopping = true }
            if groupEnd.isSet { stopping = true }
            if recorder == nil, now >= rampEnd { startRecording(now) }
            if endNs != 0, now >= endNs { stopping = true }
            if heldCount > 0 { releaseHeld(now) }
            while schedCount > 0, slots[Int(scheduled[schedHead])].issueAt <= now {
                let s = scheduled[schedHead]
                schedHead = (schedHead + 1) % cfg.depth
                schedCount -= 1
                issue(s, now: now)
            }
            var wake = UInt64.max
            flowHeld = false
            if !stopping && (!plannerDone || (backlogOn && backlogCount > 0)) && !flowDraining {
                // At most one queue's worth per pass, so time limits and Ctrl-C are seen
                // even when I/Os complete as fast as they are issued (psync, page cache).
                var filled = 0
                while freeCount > freeFloor && filled < cfg.depth {
                    filled += 1
                    if thinkUntil > now { wake = thinkUntil; break }
                    // fio checks the flow before taking up each I/O (an I/O a rate deferred
                    // was counted when first taken).
                    if deferred == nil, let flow = cfg.flow, flow.group.exceeded(count: &flowCount, weight: flow.weight) {
                        flowHeld = true
                        break
                    }
                    let io: PlannedIO
                    var expect = noNumberio
                    var fromBacklog = false
                    if let d = deferred {
                        io = d
                        deferred = nil
                        if let v = deferredVerify { expect = v; fromBacklog = true; deferredVerify = nil }
                    } else if backlogOn, let w = nextBacklogVerify(drain: plannerDone) {
                        io = PlannedIO(direction: .read, offset: w.offset, length: w.length)
                        expect = cfg.checkNumberio ? w.numberio : noNumberio
                        fromBacklog = true
                    } else if plannerDone {
                        break
                    } else if let n = planner.next() {
                        io = n
                        if mode == .normal, case .write = n.direction { writesTaken &+= 1 }
                    } else { plannerDone = true; continue }
                    var dir = io.direction
                    var verifyRead = fromBacklog
                    if mode == .verifyReplay {
                        if dir != .write { continue }
                        // Only what the write phase wrote: it may have ended early (fill_device
                        // at ENOSPC) or gone on past failed writes (continue_on_error), as fio
                        // verifies only the writes it logged.
                        replayWrites &+= 1
                        if replayWrites > writesTaken { plannerDone = true; break }
                        if !failedWrites.isEmpty, failedWrites.contains(io.offset) {
                            replayNumberio &+= 1
                            continue
                        }
                        dir = .read
                        verifyRead = true
                        if cfg.checkNumberio { expect = replayNumberio }
                        replayNumberio &+= 1
                    } else if cfg.checkReads && dir == .read {
                        verifyRead = true
                    }
                    var due = now
                    let d = dir.rawValue
                    if rated && (cfg.rateIOPS[d] > 0 || cfg.rateBytes[d] > 0) {
                        if poisson != nil {
                            due = rateStart &+ poissonAt[d]
                        } else {
                            due = rateStart + max(
                                cfg.rateIOPS[d] > 0 ? mulDiv(rateDone[d], NS.perSecond, cfg.rateIOPS[d]) : 0,
                                cfg.rateBytes[d] > 0 ? mulDiv(rateBytesDone[d], NS.perSecond, cfg.rateBytes[d]) : 0)
                        }
                        if due > now {
                            deferred = io
                            if fromBacklog { deferredVerify = expect }
                            wake = due
                            break
                        }
                        rateDone[d] += 1
                        rateBytesDone[d] += UInt64(io.length)
                        if poisson != nil {
                            // The mean gap of the tighter limit, as fio turns a byte rate
                            // into I/Os of this size.
                            let iops = Swift.min(cfg.rateIOPS[d] > 0 ? Double(cfg.rateIOPS[d]) : .infinity,
                                                 cfg.rateBytes[d] > 0 ? Double(cfg.rateBytes[d]) / Double(Swift.max(io.length, 1)) : .infinity)
                            poissonAt[d] &+= poisson!.gapNs(meanNs: 1e9 / iops)
                        }
                    }
                    freeCount -= 1
                    let slot = free[freeCount]
                    let p = slots + Int(slot)
                    p.pointee.direction = dir
                    p.pointee.offset = io.offset
                    p.pointee.length = io.length
                    p.pointee.due = due
                    p.pointee.started = now
                    p.pointee.verifyRead = verifyRead
                    p.pointee.numberio = expect
                    if cmdPrioOn { p.pointee.prioIndex = chooser!.pick(dir, length: io.length) }
                    if dir == .write { fillWriteBuffer(slot, offset: io.offset, length: io.length, now: now) }
                    if backlogOn {
                        lastIssuedWrite = dir == .write
                        if dir == .write { backlogPending += 1 }
                    }
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
                    issue(slot, now: now)
                    if pendingCount >= batchSubmit { now = try flushPending() }
                }
            }
            if schedCount > 0 { wake = Swift.min(wake, slots[Int(scheduled[schedHead])].issueAt) }
            // An I/O that completed inside the fill (an inline completion at flush) may have
            // started a think time the fill loop did not see.
            if thinkUntil > now { wake = Swift.min(wake, thinkUntil) }
            if heldCount > 0 { wake = Swift.min(wake, earliestRelease()) }
            // Time limits apart from what issues I/O: see the wait below.
            let scheduledWake = wake
            if !stopping, endNs != 0 { wake = Swift.min(wake, endNs) }
            if recorder == nil { wake = Swift.min(wake, rampEnd) }

            let outstanding = inKernel + syncsInFlight
            if flowHeld, let flow = cfg.flow, flow.sleepNs > 0 {
                // fio's flow_sleep: the I/Os in flight finish first (io_u_quiesce), then the job sleeps.
                flowDraining = true
            }
            if outstanding == 0 {
                if flowDraining || flowHeld {
                    // Held back by the flow: sleep flow_sleep (within the runtime), or, as fio
                    // without it, retry at once (now and then yielding the CPU, should the
                    // jobs it waits for need it).
                    flowDraining = false
                    if let flow = cfg.flow, flow.sleepNs > 0, !stopping {
                        sleepUntil(Swift.min(now &+ flow.sleepNs, wake))
                    } else {
                        flowSpins &+= 1
                        if flowSpins & 63 == 0 { sched_yield() }
                    }
                    now = clock.now()
                    publish(now)
                    continue
                }
                if stopping || (plannerDone && deferred == nil && !(backlogOn && backlogCount > 0)) {
                    // Admitted but never issued: capacity the shaper reserved goes unused.
                    while schedCount > 0 {
                        free[freeCount] = scheduled[schedHead]; freeCount += 1
                        schedHead = (schedHead + 1) % cfg.depth; schedCount -= 1
                    }
                    if heldCount == 0 { break }
                }
                // Sleep only when something time-bound holds the next I/O back (rate,
                // thinktime, shaper, emulated latency, ramp); otherwise refill at once.
                let canFill = !stopping && (!plannerDone || (backlogOn && backlogCount > 0)) && freeCount > freeFloor && deferred == nil && thinkUntil <= now
                    // A latency_target drain that has just emptied the queue ends at once.
                    || (draining != nil && freeCount == cfg.depth)
                if !canFill, wake != .max, wake > now { sleepUntil(wake) }
                now = clock.now()
                publish(now)
                continue
            }
            let submit = pendingCount > 0 || syncUnsubmitted
            if submit && !B.performsInSubmit {
                // Submit on its own, then wait: fio's issue time (the end of the submitting
                // call) needs the submission's end apart from the wait's. What completed
                // inline is reaped here, so the wait below may need no syscall at all.
                now = try flushPending()
                continue
            }
            syncUnsubmitted = false
            let submittedAlready = outstanding - (submit ? 0 : pendingCount)
            // Held back by the flow without flow_sleep: fio re-checks at once rather than wait
            // for its own I/Os (reaping here only what is ready), so it goes on the moment the
            // other jobs' I/Os make room.
            let minComplete = flowHeld && !flowDraining ? 0 : Swift.min(cfg.completeMin, Swift.max(submittedAlready, 0))
            if minComplete == 0 && flowHeld {
                flowSpins &+= 1
                if flowSpins & 63 == 0 { sched_yield() }
            }
            // A pure wait needs no fresh time (the deadline is absolute; `now` is at most the
            // loop's own processing time old).
            let tSubmit = submit ? clock.now() : now
            if submit {
                for i in 0..<pendingCount { slots[Int(pendingList[i])].submitted = tSubmit }
                if pendingCount > 0 { rec?._withUnsafeGuaranteedRef { $0.recordSubmitBatch(pendingCount) } }
                pendingCount = 0
            }
            // A wait for I/Os in flight is timed only when something must be issued at a
            // given time (rate, think time, shaper, emulated latency). The runtime's end and
            // the ramp's are checked when the next completion comes, as fio checks them
            // between I/Os: a timed wait arms a kernel timer on every call, a cost each I/O at
            // depth 1 would pay for a deadline seconds away.
            let deadline = minComplete > 0 ? scheduledWake : wake
            let n = try backend.submitAndReap(submit: submit, minComplete: minComplete,
                                              deadline: deadline == .max ? 0 : deadline, now: tSubmit,
                                              out: completions, max: completeMax)
            now = clock.now()
            if n > 0 { rec?._withUnsafeGuaranteedRef { $0.recordCompletionsPerWait(n) } }
            for i in 0..<n { complete(completions[i], now: now) }
            publish(now)
        }
    }

    /// verify_backlog: the next logged write to read back, if one is due. fio's get_io_u:
    /// when the writes issued and not yet read back are a multiple of `verifyBacklog` (and
    /// the last I/O was a write), the next `verifyBacklogBatch` I/Os read back the oldest
    /// logged writes; after the planner is done, every logged write is read back (fio's
    /// verify phase). Writes are logged when they complete, so a read never overtakes its
    /// write; one not complete yet is left for later, as fio's in-flight check does.
    @inline(__always)
    func nextBacklogVerify(drain: Bool) -> LoggedWrite? {
        if !drain && backlogBatchLeft == 0 {
            guard backlogPending > 0, backlogPending % cfg.verifyBacklog == 0, lastIssuedWrite else { return nil }
            backlogBatchLeft = cfg.verifyBacklogBatch
        }
        guard backlogCount > 0 else { backlogBatchLeft = 0; return nil }
        if !drain { backlogBatchLeft -= 1 }
        let w = backlog![backlogHead]
        backlogHead = (backlogHead + 1) % backlogCapacity
        backlogCount -= 1
        backlogPending -= 1
        return w
    }

    /// Logs a completed write for verify_backlog.
    func logWrite(offset: UInt64, length: UInt32, numberio: UInt64) {
        if backlogCount == backlogCapacity && backlogCapacity * 2 > backlogLimit {
            // Bounded: the oldest logged write goes unverified, and the result says how many.
            backlogHead = (backlogHead + 1) % backlogCapacity
            backlogCount -= 1
            backlogDropped &+= 1
        } else if backlogCount == backlogCapacity {
            // Only when batches are smaller than the backlog: the log grows, as fio's does.
            let bigger = UnsafeMutablePointer<LoggedWrite>.allocate(capacity: backlogCapacity * 2)
            for i in 0..<backlogCount { bigger[i] = backlog![(backlogHead + i) % backlogCapacity] }
            backlog!.deallocate()
            backlog = bigger
            backlogHead = 0
            backlogCapacity *= 2
        }
        backlog![(backlogHead + backlogCount) % backlogCapacity] = LoggedWrite(offset: offset, length: length, numberio: numberio)
        backlogCount += 1
    }

    /// Every 64 I/Os submitted without a wait: if most had completed by the time the call
    /// returned, the target completes inline (page cache) and batching saves syscalls;
    /// otherwise completions come from a device and each freed slot is resubmitted at once.
    /// Hysteresis (over 3/4 to switch to batches, under 1/4 to switch back). Direct reads on
    /// the benchmark machine's disk have short spells (a few ms in some runs) where 62 of 64 complete
    /// inside the submit call, the host serving the request before the syscall returns;
    /// batching is then right, and the next window switches back.
    @inline(__always)
    func adaptBatching() {
        let s = backend.submitOnly
        let ios = s.ios &- adaptMark.ios
        guard ios >= 64 else { return }
        let inline = Self.completesInline(wasInline: inlineMode, ios: ios, done: s.inline &- adaptMark.inline)
        adaptMark = s
        if inline != inlineMode {
            inlineMode = inline
            modeChanges += 1
            batchSubmit = inline ? Swift.min(JobLoop.inlineBatch, cfg.depth) : 1
            completeMax = inline ? cfg.completeMax : 1
        }
    }

    /// I/Os per submit call when completions come inline (page cache): each call costs a
    /// syscall and the I/Os gain nothing from going out early, so the batch is large. 32
    /// cut CPU per cached 4 KiB read by 15 % against 4 (BENCHMARKS.md).
    static var inlineBatch: Int { 32 }

    /// The hysteresis rule of `adaptBatching`: `done` of `ios` submit-only I/Os had completed
    /// when their call returned.
    static func completesInline(wasInline: Bool, ios: UInt64, done: UInt64) -> Bool {
        wasInline ? 4 * done >= ios : 4 * done > 3 * ios
    }

    /// Sleeps until `t` (timer slack is 1 ns on job threads, see runClone).
    func sleepUntil(_ t: UInt64) { _ = bl_sleep_until_ns(t) }

    /// Submits what is prepared without waiting, so the device starts on it while we go on
    /// refilling the queue.
    /// Returns the time after it, the due time of any I/O refilled next.
    func flushPending() throws -> UInt64 {
        // fio's issue time: after the submitting call (before it, for a synchronous engine
        // whose call is the whole I/O). A call that does not wait needs no time of its own.
        let before = B.performsInSubmit ? clock.now() : 0
        let count = pendingCount
        if count > 0 { rec?._withUnsafeGuaranteedRef { $0.recordSubmitBatch(count) } }
        pendingCount = 0
        syncUnsubmitted = false
        let n = try backend.submitAndReap(submit: true, minComplete: 0, deadline: 0, now: before, out: completions, max: completeMax)
        let after = clock.now()
        let issued = B.performsInSubmit ? before : after
        for i in 0..<count { slots[Int(pendingList[i])].submitted = issued }
        if cfg.adaptive { adaptBatching() }
        if n > 0 {
            // Completed inside the call (page cache): reaped now, after their issue time, as
            // fio reaps them after the submitting call returns (clat is never zero).
            let reaped = clock.now()
            rec?._withUnsafeGuaranteedRef { $0.recordCompletionsPerWait(n) }
            for i in 0..<n { complete(completions[i], now: reaped) }
            // A probe below the batch size never fills a batch, and the loop goes from
            // this flush straight back to filling: judge its window here.
            if probeOn { publish(reaped) }
            return reaped
        }
        return after
    }
}
