import BlockLabCore
import CSupport
import Glibc
import JobSpec
import Metrics
import Verify
import Workload

extension Runner {
    /// One job clone on its own thread: open the target, build the backend on this thread
    /// (io_uring's single-issuer mode ties a ring to the thread that created it), run the
    /// phases, and return the result. Errors become the job's error, never a crash.
    static func runClone(_ plan: ClonePlan, shaper: IOShaper?, progress: JobProgress, options: RunOptions,
                         groupEnd: StopToken = StopToken(), flow: FlowMember? = nil) -> CloneOutcome {
        let spec = plan.spec
        var failed = JobResult(name: spec.name)
        failed.options = spec.options
        do {
            bl_set_timer_slack_min()
            // As fio: prio/prioclass are the job thread's (ioprio_set, before the engine starts).
            if let prio = spec.basePriority {
                let rc = bl_ioprio_set_thread(Int32(prio))
                if rc < 0 { throw SystemError("ioprio_set (prioclass=\(IOPriority.priorityClass(prio)), prio=\(IOPriority.level(prio)))", errno: -rc) }
            }
            var priorities = PriorityPlan.make(spec)
            if priorities != nil, spec.cmdPrio.usesHints, !PriorityCheck.hintsSupported {
                // Older kernels read hint bits as part of the level and refuse the value.
                priorities!.values = priorities!.values.map { $0.map(IOPriority.withoutHint) }
            }
            // Trims change the data as writes do: same open mode, same device claim.
            let writes = spec.rw.modifies && !spec.verifyOnly
            // The path was resolved when checked: a symlink in its place now is not ours. A
            // device a write job checked as unused is claimed (O_EXCL): if it was mounted or
            // claimed since, the kernel refuses.
            var flags = (writes ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW
            if spec.direct { flags |= bl_o_direct_flag() }
            if plan.target.kind == .blockDevice && writes && !options.allowDestructive { flags |= O_EXCL }
            // A job that expects ENOSPC lays nothing out: its file is created here (fio's create_on_open).
            if plan.createOnOpen { flags |= O_CREAT }
            // No access-time update per read: it is a metadata write the workload did not ask
            // for, and its check is a measurable part of a page-cache read (BENCHMARKS.md; fio
            // sets the flag only on devices). The kernel allows it only to the file's owner (or CAP_FOWNER),
            // and a FUSE server may refuse it in its own way: on any failure the open is
            // tried without it, and that one's error is the one reported.
            var fd = open(plan.target.path, flags | bl_o_noatime_flag(), 0o644)
            if fd < 0 { fd = open(plan.target.path, flags, 0o644) }
            guard fd >= 0 else { throw SystemError("open", errno: errno, path: plan.target.path) }
            defer { close(fd) }
            // As fio: drop cached pages first, direct or not (O_DIRECT writes over cached pages
            // pay for invalidating them on every I/O).
            if spec.invalidate { Target.invalidateCache(fd: fd, kind: plan.target.kind) }

            let (codec, arena, baseConfig, filler) = try loopParts(plan, options: options)
            var config = baseConfig
            config.flow = flow
            config.priorities = priorities
            config.prioritySeed = (spec.randseed ^ 0x7072_696F) &+ UInt64(plan.clone) &* 0xD1B5_4A32_D192_ED03
            config.basePriority = spec.basePriority ?? 0
            config.prioStatsOnLat = spec.percentiles.lat
            struct Drive: BackendConsumer {
                let plan: ClonePlan, arena: BufferArena, config: LoopConfig, options: RunOptions
                let shaper: IOShaper?, codec: VerifyCodec?, progress: JobProgress, fd: Int32, groupEnd: StopToken
                // The table reaches here through protocols, so `B` is not known at compile
                // time and the loop would be compiled generic, every backend call and every
                // slot access dispatched at run time. Naming the concrete backends here lets
                // the compiler build one specialised loop per backend.
                func run<B: IOBackend>(_ backend: B) throws -> (JobResult, [String], String?, IOLogData?, [String]) {
                    if let u = backend as? UringBackend { return try mapping(u) }
                    if let p = backend as? PsyncBackend { return try mapping(p) }
                    return try mapping(backend)
                }
                // A mapped target wraps the engine's backend; the loop sees one I/O either way.
                @inline(__always)
                func mapping<B: IOBackend>(_ backend: B) throws -> (JobResult, [String], String?, IOLogData?, [String]) {
                    if let mapped = plan.mapped {
                        return try go(try MappedBackend(inner: backend, target: mapped, depth: plan.depth, sqesPerIO: plan.sqesPerIO))
                    }
                    return try go(backend)
                }
                let filler: ContentFiller?
                func go<B: IOBackend>(_ backend: B) throws -> (JobResult, [String], String?, IOLogData?, [String]) {
                    let loop = JobLoop(name: plan.spec.name, backend: backend, arena: arena, config: config, clock: options.clock,
                                       shaper: shaper, codec: codec, progress: progress, stop: options.stop,
                                       groupEnd: groupEnd)
                    loop.filler = filler
                    return try Runner.drive(loop, plan: plan, fd: fd)
                }
            }
            var (result, series, error, logs, notices) = try Engines.driver(for: plan.engine).run(
                plan, fd: fd, arena: arena,
                Drive(plan: plan, arena: arena, config: config, options: options, shaper: shaper, codec: codec, progress: progress, fd: fd,
                      groupEnd: groupEnd, filler: filler))
            result.engine?.engine = plan.engine.name
            if spec.ioengineRequested != plan.engine.name { result.engine?.requested = spec.ioengineRequested }
            return CloneOutcome(plan: plan, result: result, series: series, error: error, logs: logs, notices: notices)
        } catch {
            let message: String
            if let setup = error as? EngineSetupError {
                message = "\(spec.name): \(setup)"
            } else {
                message = "\(spec.name): \(error)"
            }
            failed.error = 5
            return CloneOutcome(plan: plan, result: failed, series: [], error: message, logs: nil)
        }
    }

    /// What a clone's loop is built from: the verify codec, the buffers (filled as fio
    /// fills them), the loop's configuration and the buffer-content filler.
    static func loopParts(_ plan: ClonePlan, options: RunOptions) throws
        -> (codec: VerifyCodec?, arena: BufferArena, config: LoopConfig, filler: ContentFiller?) {
        let spec = plan.spec
        let verifying = spec.verify != nil || spec.verifyPattern != nil
        let codec: VerifyCodec? = verifying
            ? try VerifyCodec(kind: spec.verify == nil ? nil : spec.verifyRequested ?? spec.verify?.rawValue, pattern: spec.verifyPattern,
                              interval: spec.verify != .pattern && spec.verify != .null ? ClonePlanner.verifyInterval(spec) : 0,
                              headerOffset: Int(spec.verifyOffset), thread: UInt16(truncatingIfNeeded: plan.jobNumber + 1))
            : nil
        let arena = try BufferArena(slots: plan.depth, slotSize: Int(spec.bufferBlockSize))
        // fio: 100 % compressible is zero_buffers (which refill rule applies: JobSpec.refillsWrites).
        let compress = spec.compressPercentage == 100 ? 0 : spec.compressPercentage
        let zero = spec.zeroBuffers || spec.compressPercentage == 100
        let refill = spec.refillsWrites
        // The buffer options decide what is written unless a verify writes its own data
        // (verify=null writes what they say, as fio's fill_io_buffer).
        let optionsFill = codec == nil || codec!.isNull
        var filler: ContentFiller?
        if optionsFill && spec.rw.writes && (compress > 0 || spec.dedupePercentage > 0) {
            var adjusted = spec
            adjusted.compressPercentage = compress
            filler = ContentFiller(spec: adjusted, thread: plan.jobNumber, threads: plan.threads,
                                   size: UInt64(plan.region.count), minWrite: Int(spec.blockSize[1].minimum))
            // Without refilling, each buffer is filled once, as fio fills them at start;
            // refilled, every write takes the next contents in order.
            if !refill { for slot in 0..<plan.depth { filler!.fill(arena.buffer(slot), length: Int(spec.bufferBlockSize)) } }
        } else if optionsFill, let pattern = spec.bufferPattern { arena.fill(pattern: pattern) }
        else if !zero && optionsFill { arena.fillRandom(seed: spec.randseed &+ UInt64(plan.clone)) }
        let config = LoopConfig(
            depth: plan.depth,
            batchSubmit: max(1, spec.iodepthBatchSubmit ?? min(4, plan.depth)),
            completeMin: max(1, min(spec.iodepthBatchCompleteMin ?? 1, plan.depth)),
            completeMax: max(1, spec.iodepthBatchCompleteMax ?? plan.depth * 2 * plan.sqesPerIO),
            rampNs: spec.rampTimeNs,
            runtimeNs: spec.runtimeNs,
            thinktimeNs: spec.thinktimeNs,
            rateIOPS: [spec.rateIOPS[0] ?? 0, spec.rateIOPS[1] ?? 0, 0],
            rateBytes: [spec.rate[0] ?? 0, spec.rate[1] ?? 0, 0],
            fsyncEvery: spec.fsync > 0 ? spec.fsync : spec.fdatasync,
            datasync: spec.fsync == 0 && spec.fdatasync > 0,
            checkReads: codec != nil && !spec.rw.writes,
            // A pattern (zeros too) is refilled only where reads share the buffers (they
            // overwrite it); refilled random data would not be zeros.
            refillBuffers: refill && (spec.bufferPattern == nil || filler != nil) && !(zero && filler == nil),
            refillPattern: refill && filler == nil && optionsFill && (spec.rw.reads || spec.verify == .null)
                ? spec.bufferPattern ?? (zero ? [0] : nil) : nil,
            scramble: spec.scramblesWrites && codec == nil && filler == nil,
            seriesIntervalNs: options.seriesIntervalNs,
            sqesPerIO: plan.sqesPerIO,
            adaptive: spec.iodepthBatchSubmit == nil && spec.iodepthBatchCompleteMin == nil && spec.iodepthBatchCompleteMax == nil,
            log: Runner.logConfig(spec.logs).map { var c = $0; c.maxSamples = plan.logSampleBudget; return c },
            jobNumber: plan.jobNumber + 1,
            rateMin: [spec.rateMin[0] ?? 0, spec.rateMin[1] ?? 0],
            rateIOPSMin: [spec.rateIOPSMin[0] ?? 0, spec.rateIOPSMin[1] ?? 0],
            rateCycleNs: spec.rateCycleNs,
            ratePoisson: spec.ratePoisson,
            ratePoissonSeed: spec.randseed &+ UInt64(plan.clone) &* 0x9E37_79B9_7F4A_7C15,
            verifyBacklog: codec != nil && spec.rw.writes && spec.doVerify && !spec.verifyOnly ? spec.verifyBacklog : 0,
            verifyBacklogBatch: spec.verifyBacklogBatch > 0 ? spec.verifyBacklogBatch : spec.verifyBacklog,
            checkNumberio: Runner.knowsNumberio(spec, regionBytes: UInt64(plan.region.count)),
            verifyFatal: spec.verifyFatal,
            dumpDirectory: spec.verifyDump ? options.dumpDirectory : nil,
            dumpName: AtomicFile.basename(of: plan.target.path),
            continueOn: spec.errors.continueOn,
            ignoreErrors: spec.errors.ignore.map { $0 ?? [EIO, EILSEQ] },
            errorDump: spec.errors.dump,
            fillDevice: spec.fillDevice,
            latencyTarget: spec.latencyTarget.enabled ? spec.latencyTarget : nil)
        return (codec, arena, config, filler)
    }

    static func drive<B: IOBackend>(_ loop: JobLoop<B>, plan: ClonePlan, fd: Int32) throws -> (JobResult, [String], String?, IOLogData?, [String]) {
        let spec = plan.spec
        let salt = UInt64(plan.clone)
        if let flow = loop.cfg.flow {
            flow.arrive()
            flow.start?.wait { loop.stop.isStopped || loop.groupEnd.isSet }
        }
        // The job's I/O count goes into the shared flow figures however the job ends.
        defer { if let f = loop.cfg.flow { f.done.count.store(loop.flowCount, ordering: .relaxed) } }
        loop.start()
        if !spec.verifyOnly {
            var planner = try IOPlanner(spec: spec, region: plan.region, timeBased: spec.timeBased, seedSalt: salt)
            try loop.runPhase(&planner, mode: .normal)
        }
        // Under verify_backlog the write phase itself read back every logged write.
        if loop.codec != nil, spec.rw.writes, spec.doVerify || spec.verifyOnly, !spec.timeBased,
           loop.errorCode == 0, !loop.interrupted, loop.backlog == nil || spec.verifyOnly {
            var replay = try IOPlanner(spec: spec, region: plan.region, timeBased: false, seedSalt: salt)
            // A write phase that ended at a full device ends only its writes.
            if loop.filled { loop.stopping = false }
            // verify_only checks every block the job would write (no write phase ran).
            if spec.verifyOnly { loop.writesTaken = .max }
            try loop.runPhase(&replay, mode: .verifyReplay)
        }
        var finalCommits: UInt64 = 0
        if let mapped = plan.mapped, !mapped.isReadOnly, spec.rw.writes {
            if loop.errorCode != 0 || (loop.backend as? MappedFigures)?.poisoned == true {
                // A failed write may have left new chunks half written: never publish them.
                mapped.abandonPending()
            } else {
                // Data first, then its mappings: the target's commit is its fsync.
                let t = loop.clock.now()
                do {
                    try mapped.commit()
                    finalCommits = 1
                } catch {
                    loop.fail(EIO, "\(mapped.label): commit: \(error)")
                }
                loop.recorder?.recordSync(latNs: loop.clock.now() - t)
            }
        } else if spec.endFsync && spec.rw.writes {
            _ = fsync(fd)
        }
        var result = loop.result(options: spec.options)
        result.percentiles = PercentileSelection(list: spec.percentiles.list, clat: spec.percentiles.clat,
                                                 lat: spec.percentiles.lat, slat: spec.percentiles.slat)
        var engine = EngineSection(
            engine: "", enterCalls: loop.backend.enterCalls,
            submitBatch: loop.cfg.adaptive
                ? .string("adaptive: \(loop.inlineMode ? "inline completions, batches of \(loop.batchSubmit)" : "device completions, one at a time")"
                    + (loop.modeChanges > 1 ? " (changed \(loop.modeChanges) times)" : ""))
                : .int(Int64(loop.cfg.batchSubmit)))
        engine.target = .init(path: plan.target.path, kind: plan.target.kind.rawValue, size: plan.target.size,
                              logicalBlockSize: UInt64(plan.target.logicalBlockSize), regionOffset: plan.region.lowerBound,
                              regionBytes: UInt64(plan.region.count))
        engine.features = loop.backend.features
        if spec.cmdPrio.usesHints {
            engine.features.append(("priority_hints", .string(PriorityCheck.hintsSupported
                ? "set (ioprio hint bits; the device acts on them only with command duration limits enabled)"
                : "dropped: this kernel does not take I/O priority hints (Linux 6.5+)")))
        }
        if let codec = loop.codec, !codec.isNull { engine.verifiedBlocks = loop.verifiedBlocks }
        if loop.backlogDropped > 0 {
            engine.features.append(("verify_backlog_unverified", .string("\(loop.backlogDropped) writes: the backlog reached its memory bound (an eighth of RAM); raise verify_backlog_batch")))
        }
        if loop.syncs > 0 { engine.syncs = loop.syncs }
        engine.errorMessage = loop.errorMessage
        if let p = loop.probe {
            result.latencyTarget = LatencyTargetFigures(depth: p.depth, targetNs: p.targetNs, windowNs: p.windowNs,
                                                        percentile: p.percentile)
        }
        result.engine = engine
        if let shaper = loop.shaper { result.volume = VolumeSection(json: shaper.summary(now: loop.clock.now())) }
        if let mapped = plan.mapped {
            // Copy-on-write moves a whole chunk for a first write after a snapshot: bytes the
            // store wrote per byte the workload wrote.
            let written = Double(loop.writtenBytes)
            let figures = loop.backend as? MappedFigures
            let copies = figures?.copies ?? 0
            let amplification = written > 0 ? (written + Double(copies) * Double(mapped.chunkSize)) / written : 1
            result.mapped = MappedSection(target: mapped.label, cowCopies: copies, writeAmplification: amplification,
                                      commits: (figures?.commits ?? 0) + finalCommits, store: mapped.summary())
        }
        return (result, loop.seriesLines, loop.errorMessage, loop.logData, loop.errorDumps)
    }
}

extension Runner {
    /// Whether a verify read knows which write (numberio) its block must hold. fio checks
    /// it for a writing job with one block size, not time-based and not verify_only; here
    /// also only where no block is written twice (one loop, no random overwrites), since
    /// a replay cannot tell which of two writes was last.
    static func knowsNumberio(_ spec: JobSpec, regionBytes: UInt64) -> Bool {
        let bs = UInt64(max(1, spec.blockSize[1].maximum))
        return spec.rw.writes && !spec.timeBased && !spec.verifyOnly && spec.loops == 1
            && spec.blockSize[1].minimum == spec.blockSize[1].maximum
            && !(spec.rw.isRandom && spec.norandommap)
            // Each block written at most once: a uniform map, one pass, no skips or zones
            // (zipf, pareto and normal draw with repeats; io_size or number_ios past the
            // region starts a second pass).
            && spec.randomDistribution == .random && spec.sequentialSkip == 0 && spec.zoneMode != .strided
            && (spec.ioSize ?? 0) <= regionBytes && (spec.numberIOs ?? 0) <= regionBytes / bs
    }

    /// The job's log options as the recorder takes them (nil: no logs).
    static func logConfig(_ o: LogOptions) -> IOLogConfig? {
        guard o.any else { return nil }
        var c = IOLogConfig()
        c.kinds[FioLogKind.iops.rawValue] = o.iops != nil
        c.kinds[FioLogKind.bw.rawValue] = o.bw != nil
        for k in [FioLogKind.clat, .slat, .lat] { c.kinds[k.rawValue] = o.lat != nil }
        c.kinds[FioLogKind.clatHist.rawValue] = o.hist != nil
        c.avgMsec = o.avgMsec
        c.maxValue = o.maxValue
        c.offset = o.offset
        c.prio = o.prio
        c.histMsec = o.histMsec
        c.histCoarseness = o.histCoarseness
        return c
    }
}
