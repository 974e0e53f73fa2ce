import BlockLabCore
import Glibc

extension JobSpec {
    /// A readable multi-line listing of the resolved job, for `blocklab run --dry-run`.
    public func describe() -> String {
        var lines: [String] = ["job '\(name)' (\(origin))"]
        func add(_ label: String, _ text: String) {
            lines.append("  " + label + String(repeating: " ", count: max(1, 12 - label.count)) + text)
        }
        if let description { add("about", description) }

        var target = filename ?? filenameFormat.map { "(file named \($0))" } ?? "(file named after the job)"
        if let directory { target = directory + "/" + target }
        var where_ = [target]
        if let offsetPercent { where_.append("offset \(Self.percent(offsetPercent))% of the target") }
        else if offset > 0 { where_.append("offset \(Units.formatBytes(offset))") }
        if offsetIncrement > 0 { where_.append("each clone \(Units.formatBytes(offsetIncrement)) further") }
        if let sizePercent { where_.append("size \(Self.percent(sizePercent))% of the target") }
        else if fillDevice && size == nil { where_.append("size: until the device or filesystem is full (fill_device)") }
        else { where_.append(size.map { "size \(Units.formatBytes($0))" } ?? "size: whole file/device") }
        add("target", where_.joined(separator: ", "))

        var work: [String] = []
        if let ioSize { work.append("io_size \(Units.formatBytes(ioSize))") }
        if let numberIOs { work.append("number_ios \(numberIOs)") }
        if loops > 1 { work.append("loops \(loops)") }
        if !work.isEmpty { add("work", work.joined(separator: ", ")) }

        var pattern = rw.rawValue
        if let z = strideZones {
            pattern += ", strided zones (\(Units.formatBytes(z.size)) in each \(Units.formatBytes(z.range)) zone, \(Units.formatBytes(z.skip)) skipped between)"
        }
        if sequentialSkip != 0 {
            pattern += sequentialSkip > 0 ? " skipping \(Units.formatBytes(UInt64(sequentialSkip))) after each I/O"
                : " backwards (\(Units.formatBytes(UInt64(-sequentialSkip))) back from each I/O's end)"
        }
        if rw == .readwrite || rw == .randrw { pattern += " (\(rwmixread)% reads, \(100 - rwmixread)% writes)" }
        if rw.isRandom {
            pattern += ", distribution \(distributionText)"
            if let randomCenter { pattern += " centred at \(Self.percent(randomCenter * 100))% of the region" }
            if randomDistribution == .random && randomGenerator == .lfsr {
                pattern += ", lfsr (each block once per pass, scattered)"
            } else if norandommap {
                pattern += ", norandommap"
            } else if randomDistribution == .random {
                pattern += ", random map (each block once per pass; a taken block gives way to the next free one, as fio)"
            } else {
                pattern += ", no random map (skewed distributions repeat blocks, as fio)"
            }
            pattern += randrepeat ? ", seed \(randseed) (repeatable)" : ", seed from system RNG"
        }
        add("pattern", pattern)

        var bs: [String] = []
        let used = [rw.reads, rw.writes, rw.trims]
        let rules = (0..<3).filter { used[$0] }.map { blockSize[$0] }
        if rules.count > 1 && rules.allSatisfy({ $0 == rules[0] }) {
            bs.append(Self.ruleText(rules[0]))
        } else {
            for (i, dir) in ["read", "write", "trim"].enumerated() where used[i] {
                bs.append((rules.count > 1 ? "\(dir) " : "") + Self.ruleText(blockSize[i]))
            }
        }
        if let blockAlign { bs.append("aligned to \(Units.formatBytes(UInt64(blockAlign)))") }
        add("block size", bs.joined(separator: ", "))

        var queue = [ioengineRequested == ioengine.name ? ioengine.name : "\(ioengineRequested) (run on \(ioengine.name))",
                     effectiveDepth == iodepth ? "iodepth \(iodepth)" : "iodepth \(effectiveDepth) (\(iodepth) asked; \(ioengine.name) keeps \(effectiveDepth))"]
        if let b = iodepthBatchSubmit { queue.append("batch submit \(b)") }
        if iodepthBatchCompleteMin != nil || iodepthBatchCompleteMax != nil {
            queue.append("batch complete \(iodepthBatchCompleteMin ?? 1)-\(iodepthBatchCompleteMax.map(String.init) ?? "any")")
        }
        if numjobs > 1 { queue.append("numjobs \(numjobs)") }
        queue.append(direct ? "direct (O_DIRECT)" : "buffered")
        if !invalidate { queue.append("no cache invalidate") }
        if let cpus = cpusAllowed {
            queue.append("cpus_allowed \(cpus.map(String.init).joined(separator: ",")) (\(cpusAllowedPolicy.rawValue))")
        } else {
            queue.append(pinThreads ? "threads pinned to CPUs when they fit" : "threads not pinned")
        }
        add("queue", queue.joined(separator: ", "))

        if ioengine.options.contains("fixedbufs") {
            var own: [String] = []
            own.append(fixedbufs ? "fixedbufs" : "no fixedbufs")
            own.append(registerfiles ? "registerfiles" : "no registerfiles")
            if sqthreadPoll { own.append("sqthread_poll") }
            if hipri { own.append("hipri") }
            add(ioengine.name, own.joined(separator: ", "))
        }

        var sync: [String] = []
        if fsync > 0 { sync.append("fsync every \(fsync) writes") }
        if fdatasync > 0 { sync.append("fdatasync every \(fdatasync) writes") }
        if endFsync { sync.append("fsync at end") }
        if !sync.isEmpty { add("sync", sync.joined(separator: ", ")) }

        var time: [String] = []
        if let runtimeNs { time.append("runtime \(Units.formatDuration(runtimeNs))") }
        if timeBased { time.append("time_based") }
        if rampTimeNs > 0 { time.append("ramp \(Units.formatDuration(rampTimeNs))") }
        if thinktimeNs > 0 { time.append("thinktime \(Units.formatDuration(thinktimeNs))") }
        if steadyState.enabled {
            let ss = steadyState
            time.append("until steady: \(ss.criterionName) within \(Self.percent(ss.limit))\(ss.percent ? "%" : "") over \(ss.durationSeconds)s"
                + (ss.rampNs > 0 ? " after \(Units.formatDuration(ss.rampNs))" : ""))
        }
        if latencyTarget.enabled {
            let t = latencyTarget
            time.append("latency_target \(Units.formatDuration(t.targetNs)) for \(Self.percent(t.percentile))% of I/Os per "
                + "\(Units.formatDuration(t.windowNs)) window (depth probed from 1 to \(effectiveDepth)\(t.keepAdjusting ? ", for the whole run" : ""))")
        }
        add("time", time.isEmpty ? "until the work is done" : time.joined(separator: ", "))
        var start: [String] = []
        if let waitFor { start.append("after job '\(waitFor)' finished") }
        if startDelayNs > 0 { start.append("startdelay \(Units.formatDuration(startDelayNs))") }
        if exitAll {
            start.append(exitWhat == .group ? "exitall (its finish stops the other jobs of its reporting group)"
                : exitWhat == .stonewall ? "exitall, exit_what=stonewall (its finish stops every running job)"
                : "exitall, exit_what=all (its finish ends the run)")
        }
        if !start.isEmpty { add("start", start.joined(separator: ", ")) }

        var rates: [String] = []
        for (i, dir) in ["read", "write"].enumerated() where i == 0 ? rw.reads : rw.writes {
            if let r = rate[i] { rates.append("\(dir) \(Units.formatRate(Double(r)))") }
            if let r = rateIOPS[i] { rates.append("\(dir) \(r) IOPS") }
        }
        if !rates.isEmpty { add("rate cap", rates.joined(separator: ", ")) }
        var floors: [String] = []
        for (i, dir) in ["read", "write"].enumerated() where i == 0 ? rw.reads : rw.writes {
            if let r = rateMin[i] { floors.append("\(dir) \(Units.formatRate(Double(r)))") }
            if let r = rateIOPSMin[i] { floors.append("\(dir) \(r) IOPS") }
        }
        if flowWeight > 0 {
            add("flow", "weight \(flowWeight) in flow_id \(flowID) (its share of the id's I/Os follows its share of their weights)"
                + (flowSleepNs > 0 ? ", sleeps \(Units.formatDuration(flowSleepNs)) when held back" : ""))
        }
        var prio: [String] = []
        if let base = basePriority { prio.append("class \(IOPriority.priorityClass(base)) level \(IOPriority.level(base)) (ioprio_set on each job thread)") }
        if let plan = PriorityPlan.make(self) {
            for (d, dir) in ["read", "write"].enumerated() {
                switch plan.rules[d] {
                case .none: break
                case .percentage(let p, let i):
                    prio.append("\(p)% of \(dir)s at \(Self.prioText(plan.values[d][Int(i)]))")
                case .split(let groups):
                    for g in groups {
                        var last = 0
                        for e in g.entries {
                            prio.append("\(e.upTo - last)% of \(Units.formatBytes(g.size)) \(dir)s at \(Self.prioText(plan.values[d][Int(e.index)]))")
                            last = e.upTo
                        }
                    }
                }
            }
        }
        if logs.prio { prio.append("log_prio (logs show each I/O's priority value)") }
        if !prio.isEmpty { add("priority", prio.joined(separator: ", ")) }
        if !floors.isEmpty { add("rate floor", floors.joined(separator: ", ") + " over \(Units.formatDuration(rateCycleNs)) (below it the job fails)") }

        var data: [String] = []
        if let verify {
            data.append("verify \(verify.rawValue)" + (doVerify ? (verify == .null ? " (read back, nothing checked)" : "") : " (no read-back)"))
        }
        // verify=null checks nothing: its pattern, header place, dumps and fatal stops do not apply.
        if let verifyPattern, verify != .null { data.append("pattern 0x" + verifyPattern.map { Self.hex($0) }.joined()) }
        if verifyOnly { data.append("verify only") }
        if verify != nil {
            // The interval the run will use (fio's rule), which may differ from the one asked.
            if verify != .pattern && verify != .null {
                let used = effectiveVerifyInterval
                data.append("every \(Units.formatBytes(UInt64(used)))"
                    + (verifyInterval > 0 && Int(verifyInterval) != used ? " (fio's rule for verify_interval=\(verifyInterval) with these block sizes)" : ""))
            }
            if verifyOffset > 0 && verify != .null { data.append("header at +\(verifyOffset)") }
            if verifyBacklog > 0 {
                data.append("read back every \(verifyBacklog) writes"
                    + (verifyBacklogBatch > 0 && verifyBacklogBatch != verifyBacklog ? " (\(verifyBacklogBatch) at a time)" : ""))
            }
            if verifyDump && verify != .null { data.append("dump bad blocks") }
            if verifyFatal && verify != .null { data.append("stop at the first bad interval") }
        }
        if dedupePercentage > 0 {
            data.append("\(dedupePercentage)% dedupable (\(dedupeMode.rawValue)"
                + (dedupeMode == .workingSet ? ", working set \(dedupeWorkingSetPercentage)%" + (dedupeGlobal ? ", global" : "") : "") + ")")
        }
        if compressPercentage > 0 {
            data.append("\(compressPercentage)% compressible" + (compressChunk > 0 ? " per \(Units.formatBytes(UInt64(compressChunk)))" : ""))
        }
        if let bufferPattern { data.append("buffer pattern 0x" + bufferPattern.map { Self.hex($0) }.joined()) }
        else if zeroBuffers { data.append("zero buffers") }
        if rw.writes && refillsWrites { data.append("refill buffers") }
        if scramblesWrites { data.append("each write scrambled (fio's scramble_buffers)") }
        if !data.isEmpty { add("data", data.joined(separator: ", ")) }

        if rw.trims { add("trims", "discard on a block device, hole punch on a file" + (rw.writes ? "; each block trimmed, then written" : "")) }
        var errs: [String] = []
        if errors.continueOn != 0 {
            let classes = [(ErrorPolicy.read, "read"), (ErrorPolicy.write, "write"), (ErrorPolicy.verify, "verify")]
            errs.append("continue on " + classes.filter { errors.continueOn & $0.0 != 0 }.map { c in
                let i = c.0 == ErrorPolicy.read ? 0 : c.0 == ErrorPolicy.write ? 1 : 2
                let names = (errors.ignore[i] ?? [EIO, EILSEQ]).map { Errno.name(of: $0) ?? String($0) }
                return "\(c.1) errors (\(names.joined(separator: ", ")))"
            }.joined(separator: ", "))
        }
        if fillDevice { errs.append("fill_device: ENOSPC ends the job without error") }
        if errors.dump { errs.append("error_dump") }
        if !errs.isEmpty { add("errors", errs.joined(separator: "; ")) }

        var group: [String] = []
        if stonewall { group.append("stonewall") }
        if newGroup && !stonewall { group.append("new_group") }
        if groupReporting { group.append("group_reporting") }
        if !group.isEmpty { add("grouping", group.joined(separator: ", ")) }

        if let volume { add("volume", volume) }
        if let instance { add("instance", instance) }
        return lines.joined(separator: "\n")
    }

    var distributionText: String {
        switch randomDistribution {
        case .random: return "random (uniform)"
        case .zipf(let t): return "zipf:\(t)"
        case .pareto(let h): return "pareto:\(h)"
        case .normal(let d): return "normal:\(d)"
        case .zoned(let zones):
            return "zoned:" + zones.map { "\(Self.percent($0.accessPercent))/\(Self.percent($0.sizePercent))" }.joined(separator: ":")
        }
    }

    static func ruleText(_ rule: BlockSizeRule) -> String {
        switch rule {
        case .fixed(let s): return Units.formatBytes(UInt64(s))
        case .range(let lo, let hi): return "\(Units.formatBytes(UInt64(lo)))-\(Units.formatBytes(UInt64(hi)))"
        case .split(let parts): return parts.map { "\(Units.formatBytes(UInt64($0.size)))/\($0.percent)%" }.joined(separator: ":")
        }
    }

    static func percent(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : Units.formatDecimal(v, places: 2)
    }

    static func prioText(_ v: UInt16) -> String {
        let hint = IOPriority.hint(v)
        return "class \(IOPriority.priorityClass(v)) level \(IOPriority.level(v))" + (hint != 0 ? " hint \(hint)" : "")
    }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}
