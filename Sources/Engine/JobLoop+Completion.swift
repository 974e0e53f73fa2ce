import BlockLabCore
import CSupport
import Glibc
import Metrics
import Verify
import Workload

/// Issuing, completing, holding (emulated service time) and freeing slots.
extension JobLoop {
    @inline(__always)
    func issue(_ slot: Int32, now: UInt64) {
        let s = slots[Int(slot)]
        if case .trim = s.direction {
            issueTrim(slot, s)
            return
        }
        slots[Int(slot)].prepared = now
        if cmdPrioOn { backend.ioPriority = prioTable![s.direction.rawValue &* prioStride &+ Int(s.prioIndex)] }
        backend.prepare(tag: slot, direction: s.direction, offset: s.offset, length: s.length, buffer: arena.buffer(Int(slot)))
        pendingList[pendingCount] = slot
        pendingCount += 1
        inKernel += 1
        rec?._withUnsafeGuaranteedRef { $0.recordDepth(inKernel) }
    }

    /// The backend trims at prepare time (see Trimmer): fio's issue time is just before
    /// it, so its duration is the trim's clat; it is in no submit batch.
    func issueTrim(_ slot: Int32, _ s: Slot) {
        let t = clock.now()
        slots[Int(slot)].prepared = t
        slots[Int(slot)].submitted = t
        backend.prepare(tag: slot, direction: .trim, offset: s.offset, length: s.length, buffer: arena.buffer(Int(slot)))
        inKernel += 1
        rec?._withUnsafeGuaranteedRef { $0.recordDepth(inKernel) }
    }

    @inline(__always)
    func fillWriteBuffer(_ slot: Int32, offset: UInt64, length: UInt32, now: UInt64) {
        if let codec {
            let numberio = writesIssued
            slots[Int(slot)].numberio = numberio
            writesIssued &+= 1
            // verify=null writes what the buffer options say (below); nothing is checked.
            if !codec.isNull {
                codec.fill(arena.buffer(Int(slot)), length: Int(length), offset: offset,
                           stamp: VerifyCodec.Stamp(numberio: numberio, timeNs: now))
                return
            }
        }
        if filler != nil {
            if cfg.refillBuffers { filler!.fill(arena.buffer(Int(slot)), length: Int(length)) }
        } else if cfg.refillBuffers {
            refillSeed &+= 0x9E37_79B9_7F4A_7C15
            arena.fillRandom(slot: Int(slot), seed: refillSeed)
        } else if let pattern = cfg.refillPattern {
            arena.fill(slot: Int(slot), pattern: pattern)
        } else if cfg.scramble {
            Self.scramble(arena.buffer(Int(slot)), length: Int(length), offset: offset, now: now)
        }
    }

    /// fio's scramble_buffers (io_u.c small_content_scramble): in every 512-byte block of a
    /// write, the block's offset goes into one of its eight 64-byte lines (picked from the
    /// time and the offset) and the time into bytes 48-63, so no two writes of a run carry
    /// the same blocks. Without it the same few buffers are written again and again, which
    /// a deduplicating target stores once: the run would measure its dedupe, not its writes.
    @inline(__always)
    static func scramble(_ p: UnsafeMutableRawPointer, length: Int, offset: UInt64, now: UInt64) {
        let blocks = length >> 9
        guard blocks > 0 else { return }
        let sec = now / NS.perSecond, nsec = now % NS.perSecond
        let line = Int((nsec ^ offset) & 7) << 6
        var blockOffset = offset
        for i in 0..<blocks {
            let b = p + (i << 9)
            b.storeBytes(of: blockOffset.littleEndian, toByteOffset: line, as: UInt64.self)
            b.storeBytes(of: sec.littleEndian, toByteOffset: 48, as: UInt64.self)
            b.storeBytes(of: nsec.littleEndian, toByteOffset: 56, as: UInt64.self)
            blockOffset &+= 512
        }
    }

    @inline(__always)
    func complete(_ c: Completion, now: UInt64) {
        if c.tag == syncTag {
            syncsInFlight -= 1
            syncs += 1
            if !syncTimes.isEmpty { recorder?.recordSync(latNs: now &- syncTimes.removeFirst()) }
            if c.result < 0 { let err = 0 &- c.result; fail(err, "fsync failed: \(String(cString: strerror(err)))") }
            return
        }
        let p = slots + Int(c.tag)
        inKernel -= 1
        if c.result < 0 {
            let detail = backend.failureDetail.map { " (\($0))" } ?? ""
            let s = p.pointee
            // fio counts a failed I/O as issued (total_ios), with no bytes or latency.
            rec?._withUnsafeGuaranteedRef { $0.recordFailed(s.direction) }
            // (0 &- : a result of Int32.min is no errno, but must not trap either.)
            let err = 0 &- c.result
            if case .write = s.direction, codec != nil, cfg.handlesErrors { failedWrites.insert(s.offset) }
            let message = "\(s.direction.name) of \(s.length) bytes at offset \(s.offset) failed: \(String(cString: strerror(err)))\(detail)"
            if !cfg.handlesErrors || !handleError(err, s.direction, message) { fail(err, message) }
            release(c.tag)
            return
        }
        p.pointee.penaltyNs = c.delayNs
        if UInt32(c.result) < p.pointee.length {
            rec?._withUnsafeGuaranteedRef { $0.recordShort(p.pointee.direction) }
            release(c.tag)
            return
        }
        hold(c.tag, now: now)
    }

    /// Finishes the I/O now, or holds it until the emulated device would have finished it:
    /// the shaper's service time plus any delay the backend reported, counted from issue.
    @inline(__always)
    func hold(_ slot: Int32, now: UInt64) {
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
    func finish(_ slot: Int32, at t: UInt64) {
        let s = slots[Int(slot)]
        // fio's split: slat from when the I/O was taken up to when its submission returned,
        // clat the rest. Time a shaper held it before submission is the emulated volume's
        // (a real volume queues the I/O after it is submitted), so it counts in clat.
        let lat = t &- s.started
        let slat = Swift.min(s.submitted &- s.prepared, lat)
        let clat = lat &- slat
        if s.verifyRead, let codec {
            let buffer = arena.buffer(Int(slot))
            let expect: UInt64? = s.numberio == noNumberio ? nil : s.numberio
            if let failure = codec.check(buffer, length: Int(s.length), offset: s.offset, numberio: expect, all: !cfg.verifyFatal) {
                var message = "verify failed: \(failure.message)"
                if cfg.dumpDirectory != nil { message += dump(failure, buffer: buffer, slot: s, codec: codec, expect: expect) }
                if !cfg.handlesErrors || !handleError(EILSEQ, .read, message) { fail(EILSEQ, message) }
            } else {
                verifiedBlocks += 1
            }
        } else if backlog != nil, s.direction == .write {
            logWrite(offset: s.offset, length: s.length, numberio: s.numberio)
        }
        rec?._withUnsafeGuaranteedRef { $0.recordCompletion(s.direction, bytes: s.length, slatNs: slat, clatNs: clat, latNs: lat, dueLatNs: t &- s.due, now: t) }
        if cmdPrioOn { rec?._withUnsafeGuaranteedRef { $0.recordPriority(s.direction, index: s.prioIndex, ns: cfg.prioStatsOnLat ? lat : clat) } }
        if let logRec {
            let prio = cmdPrioOn ? prioTable![s.direction.rawValue &* prioStride &+ Int(s.prioIndex)] : cfg.basePriority
            logRec._withUnsafeGuaranteedRef { $0.record(s.direction, bytes: s.length, offset: s.offset, slat: slat, clat: clat, lat: lat, prio: prio, now: t) }
        }
        // fio judges reads and writes against the target (trims count in the windows).
        if probeOn, rec != nil, s.direction != .trim { latencyCompleted(lat) }
        if s.direction == .read {
            counts.0 += 1; counts.2 += UInt64(s.length)
            if minRateOn { checkMinRate(0, now: t) }
        } else if case .trim = s.direction {
            trimCounts.ios += 1; trimCounts.bytes += UInt64(s.length)
        } else {
            counts.1 += 1; counts.3 += UInt64(s.length)
            if minRateOn { checkMinRate(1, now: t) }
            if cfg.fsyncEvery > 0 {
                writesSinceSync += 1
                if writesSinceSync >= cfg.fsyncEvery {
                    writesSinceSync = 0
                    backend.prepareSync(datasync: cfg.datasync)
                    syncsInFlight += 1
                    syncTimes.append(t)
                    syncUnsubmitted = true
                }
            }
        }
        if cfg.thinktimeNs > 0 { thinkUntil = t + cfg.thinktimeNs }
        release(slot)
    }

    @inline(__always)
    func release(_ slot: Int32) {
        free[freeCount] = slot
        freeCount += 1
    }

    func releaseHeld(_ now: UInt64) {
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

    func earliestRelease() -> UInt64 {
        var m = UInt64.max
        for i in 0..<heldCount { m = Swift.min(m, slots[Int(held[i])].releaseAt) }
        return m
    }

    /// fio's __check_min_rate: after 2 s, at a completion at least one cycle after the last
    /// check, the rate since then must reach rate_min (or rate_iops_min), else the job fails.
    func checkMinRate(_ d: Int, now: UInt64) {
        guard recorder != nil, now >= measuredStart &+ 2 * NS.perSecond else { return }
        let bytes = d == 0 ? counts.2 : counts.3, ios = d == 0 ? counts.0 : counts.1
        if let mark = minRateMark[d] {
            let spent = now - mark.at
            guard spent >= cfg.rateCycleNs, spent > 0 else { return }
            if cfg.rateMin[d] > 0 {
                let rate = (bytes - mark.bytes) * NS.perSecond / spent
                if rate < cfg.rateMin[d] {
                    fail(EIO, "rate_min=\(cfg.rateMin[d])B/s not met, got \(rate)B/s")
                    return
                }
            } else if cfg.rateIOPSMin[d] > 0 {
                let iops = (ios - mark.ios) * NS.perSecond / spent
                if iops < cfg.rateIOPSMin[d] {
                    fail(EIO, "rate_iops_min=\(cfg.rateIOPSMin[d]) not met, got \(iops) IOPS")
                    return
                }
            }
        }
        minRateMark[d] = (bytes, ios, now)
    }

    /// fio's rule for a failed I/O (td_non_fatal_error, break_on_this_error): an error of a
    /// continued class (EILSEQ: verify; a read: read; a write or trim: write) whose errno is in
    /// that class's ignore_error list (default EIO, EILSEQ) is counted and the job goes on;
    /// with fill_device, ENOSPC or EDQUOT ends the job without error; anything else stops
    /// it, counted when its class was continued. Returns whether the job goes on (or ends
    /// cleanly); false: the caller fails the job.
    func handleError(_ err: Int32, _ direction: IODirection, _ message: String) -> Bool {
        let cls = err == EILSEQ ? 2 : direction == .read ? 0 : 1
        let continued = cfg.continueOn & UInt8(1 << cls) != 0
        if continued && cfg.ignoreErrors[cls].contains(err) {
            countError(err)
            if cfg.errorDump {
                if errorDumps.count < Self.maxErrorDumps {
                    errorDumps.append("\(name): \(message)")
                } else if errorDumps.count == Self.maxErrorDumps {
                    errorDumps.append("\(name): further errors not shown (error_dump keeps the first \(Self.maxErrorDumps))")
                }
            }
            return true
        }
        if cfg.fillDevice && (err == ENOSPC || err == EDQUOT) {
            filled = true
            stopping = true
            return true
        }
        if continued { countError(err) }
        return false
    }

    static var maxErrorDumps: Int { 1000 }

    func countError(_ err: Int32) {
        totalErrors += 1
        if totalErrors == 1 { firstError = err }
    }

    /// verify_dump, as fio's dump_buf: the failing interval as read (`<file>.<offset>.received`)
    /// and as it should be (`.expected`), or a bad header alone (`.hdr_fail`), named after
    /// the target file's base name and the interval's offset, in the dump directory.
    /// Returns the message's addition (the files, or why they could not be written).
    func dump(_ failure: VerifyFailure, buffer: UnsafeMutableRawPointer, slot s: Slot, codec: VerifyCodec, expect: UInt64?) -> String {
        guard let dir = cfg.dumpDirectory else { return "" }
        // Bounded, as error_dump is: a device never written fails every block.
        guard dumpedFiles.count < Self.maxErrorDumps else {
            return dumpedFiles.count == Self.maxErrorDumps ? "; verify_dump: no more dumps (\(Self.maxErrorDumps) files written)" : ""
        }
        let at = s.offset &+ UInt64(failure.intervalStart)
        let stem = (dir.hasSuffix("/") ? dir : dir + "/") + cfg.dumpName + ".\(at)."
        var written: [String] = []
        var problems: [String] = []
        func write(_ p: UnsafeRawPointer, _ suffix: String) {
            let path = stem + suffix
            do {
                // Never over an existing file (an earlier run's dump, or anything else).
                if try AtomicFile.writeNew(Array(UnsafeRawBufferPointer(start: p, count: failure.intervalLength)), to: path) {
                    written.append(path)
                    dumpedFiles.append(path)
                } else {
                    problems.append("\(path) exists; not replaced")
                }
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        if failure.headerFailure {
            write(buffer + failure.intervalStart, "hdr_fail")
        } else {
            write(buffer + failure.intervalStart, "received")
            let expected = UnsafeMutableRawPointer.allocate(byteCount: Int(s.length), alignment: 8)
            defer { expected.deallocate() }
            codec.expected(into: expected, length: Int(s.length), offset: s.offset, received: buffer, failure: failure, numberio: expect)
            write(expected + failure.intervalStart, "expected")
        }
        var out = written.isEmpty ? "" : "; dumped as " + written.joined(separator: ", ")
        if !problems.isEmpty { out += "; verify_dump failed: " + problems.joined(separator: "; ") }
        return out
    }

    func fail(_ code: Int32, _ message: String) {
        if errorCode == 0 {
            errorCode = code
            errorMessage = "\(name): \(message)"
        }
        stopping = true
    }

    @inline(__always)
    func publish(_ now: UInt64) {
        // Trims count with writes in the progress line: both change the target.
        progress.publish(ios: counts.0, counts.1 &+ trimCounts.ios, bytes: counts.2, counts.3 &+ trimCounts.bytes)
        if probeOn { latencyStep(now) }
        guard let rec else { return }
        rec._withUnsafeGuaranteedRef { $0.tick(now: now) }
        if now >= nextSeries, let recorder {
            let interval = recorder.takeInterval(now: now)
            emitPendingSeries()
            pendingSeries = (interval, shaper?.sample(now: now) ?? [])
            nextSeries = now + cfg.seriesIntervalNs
        }
    }
}

/// latency_target: carrying out what the probe asks.
extension JobLoop {
    /// A completed I/O's total latency (fio checks it against the target at completion).
    func latencyCompleted(_ lat: UInt64) {
        let action = probe!.completed(latNs: lat)
        if action == .fatal {
            fail(ETIMEDOUT, "latency of \(lat) nsec exceeds specified max (\(probe!.targetNs) nsec) (latency_target at depth 1)")
        } else {
            apply(action)
        }
    }

    /// After each round of completions: ends a drain once the queue is empty, else lets the
    /// probe judge its window. Not during ramp_time (as fio).
    func latencyStep(_ now: UInt64) {
        guard rec != nil else { return }
        let ios = completedIOs
        if let d = draining {
            guard freeCount == cfg.depth else { return }
            draining = nil
            // The last window: statistics (and the runtime) start afresh, as fio's reset.
            if d == .drainAndReset { startRecording(now) }
            probe!.newCycle(now: now, ios: ios)
            freeFloor = cfg.depth - probe!.depth
            return
        }
        apply(probe!.check(now: now, ios: ios))
    }

    /// Data I/Os completed so far, all directions (fio's io_blocks).
    var completedIOs: UInt64 { counts.0 &+ counts.1 &+ trimCounts.ios }

    func apply(_ action: LatencyProbe.Action) {
        switch action {
        case .none:
            if draining == nil { freeFloor = cfg.depth - probe!.depth }
        case .drain, .drainAndReset:
            if draining != .drainAndReset { draining = action }
            freeFloor = cfg.depth
        case .finish:
            stopping = true
        case .fatal:
            break
        }
    }
}
