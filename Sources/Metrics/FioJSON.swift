#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore

/// fio-compatible JSON (`--output-format=json`): fio 3.33's field names, nesting, order and
/// units (bw in KiB/s, bw_bytes in B/s, runtime in ms, *_ns in ns, iops a float).
/// What fio has no field for goes under `blocklab` keys, which fio parsers ignore.
public enum FioJSON {
    /// Written as "fio version": honest about who produced the file.
    public static let producer = "blocklab-0.1.0"

    /// - plus: fio's json+ (each latency with percentiles also lists its bins).
    public static func document(_ run: RunResult, plus: Bool = false) -> JSONValue {
        let groupBw = groupAggregateBandwidth(run.jobs)
        var top: [(String, JSONValue)] = [
            ("fio version", .string(producer)),
            ("timestamp", .uint(run.timestampMs / 1000)),
            ("timestamp_ms", .uint(run.timestampMs)),
            ("time", .string(ctime(ms: run.timestampMs))),
            ("global options", options(run.globalOptions)),
            ("jobs", .array(run.jobs.map { job($0, groupBw: groupBw[$0.groupID] ?? [0, 0, 0], plus: plus) })),
        ]
        if let disks = run.diskUtil { top.append(("disk_util", .array(disks.map(diskUtil)))) }
        top.append(("blocklab", .object(run.extras)))
        return .object(top)
    }

    /// A percentile as fio's printf("%f") key: 99.9 -> "99.900000".
    public static func percentileKey(_ p: Double) -> String { Units.formatDecimal(p, places: 6) }

    static func options(_ o: [(key: String, value: String)]) -> JSONValue {
        .object(o.map { ($0.key, .string($0.value)) })
    }

    /// Each group's aggregate bandwidth per direction (bytes/s): the sum of its jobs' bytes
    /// over the longest runtime, which fio's bw_agg is a percentage of.
    static func groupAggregateBandwidth(_ jobs: [JobResult]) -> [Int: [Double]] {
        var bytes: [Int: [UInt64]] = [:], runtime: [Int: [UInt64]] = [:]
        for j in jobs {
            for d in 0..<3 {
                bytes[j.groupID, default: [0, 0, 0]][d] += j.directions[d].bytes
                runtime[j.groupID, default: [0, 0, 0]][d] = max(runtime[j.groupID, default: [0, 0, 0]][d], j.directions[d].runtimeNs)
            }
        }
        var out: [Int: [Double]] = [:]
        for (g, b) in bytes {
            out[g] = (0..<3).map { d in runtime[g]![d] == 0 ? 0 : Double(b[d]) * 1e9 / Double(runtime[g]![d]) }
        }
        return out
    }

    /// fio's disk_util entry.
    static func diskUtil(_ u: DiskUtil) -> JSONValue {
        .object([
            ("name", .string(u.name)), ("read_ios", .uint(u.readIOs)), ("write_ios", .uint(u.writeIOs)),
            ("read_merges", .uint(u.readMerges)), ("write_merges", .uint(u.writeMerges)),
            ("read_ticks", .uint(u.readTicks)), ("write_ticks", .uint(u.writeTicks)),
            ("in_queue", .uint(u.inQueue)), ("util", .double(u.util)),
        ])
    }

    static func job(_ j: JobResult, groupBw: [Double], plus: Bool = false) -> JSONValue {
        let dist = j.distributions
        let latTotal = dist.latencyTotal
        func pct(_ keys: [String], _ counts: [UInt64], _ total: UInt64) -> JSONValue {
            .object(zip(keys, Distributions.percentages(counts, total: total)).map { ($0, .double($1)) })
        }
        var members: [(String, JSONValue)] = [
            ("jobname", .string(j.name)),
            ("groupid", .int(Int64(j.groupID))),
            ("error", .int(Int64(j.error))),
            ("eta", .int(0)),
            ("elapsed", .uint((j.elapsedNs + NS.perSecond - 1) / NS.perSecond)),
            ("job options", options(j.options)),
        ]
        for d in IODirection.allCases {
            members.append((d.name, direction(j.directions[d.rawValue], groupBw: groupBw[d.rawValue], selection: j.percentiles, plus: plus)))
        }
        let syncPct = j.sync.count > 0 && (j.percentiles.clat || j.percentiles.lat)
        members += [
            ("sync", .object([("total_ios", .uint(j.sync.count)),
                              ("lat_ns", latency(j.sync, percentiles: syncPct, list: j.percentiles.list, plus: plus))])),
            ("job_runtime", .uint(j.jobRuntimeNs / NS.perMillisecond)),
            ("usr_cpu", .double(j.usrCPUPercent)),
            ("sys_cpu", .double(j.sysCPUPercent)),
            ("ctx", .uint(j.cpu.voluntaryContextSwitches + j.cpu.involuntaryContextSwitches)),
            ("majf", .uint(j.cpu.majorFaults)),
            ("minf", .uint(j.cpu.minorFaults)),
            ("iodepth_level", pct(Distributions.depthKeys, dist.depth, dist.depth.reduce(0, +))),
            ("iodepth_submit", pct(Distributions.batchKeys, dist.submit, dist.submit.reduce(0, +))),
            ("iodepth_complete", pct(Distributions.batchKeys, dist.complete, dist.complete.reduce(0, +))),
            ("latency_ns", pct(Distributions.latencyKeys, dist.latencyNs, latTotal)),
            ("latency_us", pct(Distributions.latencyKeys, dist.latencyUs, latTotal)),
            ("latency_ms", pct(Distributions.latencyMsKeys, dist.latencyMs, latTotal)),
        ]
        if j.continueOnError {
            // fio writes these only when continue_on_error is set, here.
            members += [("total_err", .uint(j.totalErrors)), ("first_error", .int(Int64(j.firstError)))]
        }
        members += [
            // fio writes these for every job: without a target, the depth is iodepth.
            ("latency_depth", .int(Int64(j.latencyTarget?.depth ?? j.iodepth))),
            ("latency_target", .uint(j.latencyTarget?.targetNs ?? 0)),
            ("latency_percentile", .double(j.latencyTarget?.percentile ?? 100)),
            // fio's window is in microseconds.
            ("latency_window", .uint((j.latencyTarget?.windowNs ?? 0) / NS.perMicrosecond)),
        ]
        if let ss = j.steadyState { members.append(("steadystate", ss.json)) }
        members.append(("blocklab", blocklab(j)))
        return .object(members)
    }

    static func direction(_ d: DirectionResult, groupBw: Double, selection: PercentileSelection = PercentileSelection(),
                          plus: Bool = false) -> JSONValue {
        let bw = d.bwSamples, io = d.iopsSamples
        let bwAgg = groupBw == 0 ? 0 : min(100, bw.mean * 100 / groupBw)
        var prios: [(String, JSONValue)] = []
        let reported = d.reportedPrios
        if !reported.isEmpty {
            // fio 3.33: after lat_ns, one entry per priority with I/Os; the figures are clat's,
            // or lat's with lat_percentiles (named after which). priohint as newer fio, only
            // when hints are in use.
            let hints = reported.contains { ($0.prio >> 3) & 0x3ff != 0 }
            prios = [("prios", .array(reported.map { p in
                var m: [(String, JSONValue)] = [("prioclass", .uint(UInt64(p.prio >> 13))), ("prio", .uint(UInt64(p.prio & 7)))]
                if hints { m.append(("priohint", .uint(UInt64((p.prio >> 3) & 0x3ff)))) }
                m.append((selection.lat ? "lat_ns" : "clat_ns",
                          latency(p.stats, percentiles: selection.clat || selection.lat, list: selection.list, plus: plus)))
                return .object(m)
            }))]
        }
        return .object([
            ("io_bytes", .uint(d.bytes)),
            ("io_kbytes", .uint(d.bytes / 1024)),
            ("bw_bytes", .uint(UInt64(d.bwBytesPerSec))),
            ("bw", .uint(UInt64(d.bwBytesPerSec / 1024))),
            ("iops", .double(d.iops)),
            ("runtime", .uint(d.runtimeNs / NS.perMillisecond)),
            ("total_ios", .uint(d.ios)),
            ("short_ios", .uint(d.shortIOs)),
            ("drop_ios", .uint(d.dropIOs)),
            ("slat_ns", latency(d.slat, percentiles: selection.slat, list: selection.list, plus: plus)),
            ("clat_ns", latency(d.clat, percentiles: selection.clat, list: selection.list, plus: plus)),
            ("lat_ns", latency(d.lat, percentiles: selection.lat, list: selection.list, plus: plus)),
        ] + prios + [
            ("bw_min", .uint(UInt64(bw.min / 1024))),
            ("bw_max", .uint(UInt64(bw.max / 1024))),
            ("bw_agg", .double(bwAgg)),
            ("bw_mean", .double(bw.mean / 1024)),
            ("bw_dev", .double(bw.stddev / 1024)),
            ("bw_samples", .int(Int64(bw.samples))),
            ("iops_min", .uint(UInt64(io.min))),
            ("iops_max", .uint(UInt64(io.max))),
            ("iops_mean", .double(io.mean)),
            ("iops_stddev", .double(io.stddev)),
            ("iops_samples", .int(Int64(io.samples))),
        ])
    }

    /// fio's {min, max, mean, stddev, N[, percentile[, bins]]} (percentiles only when N > 0,
    /// as fio; bins with them in json+).
    static func latency(_ s: LatencyStats, percentiles: Bool, list: [Double] = fioDefaultPercentiles, plus: Bool = false) -> JSONValue {
        var m: [(String, JSONValue)] = [
            ("min", .uint(s.min)), ("max", .uint(s.max)), ("mean", .double(s.mean)),
            ("stddev", .double(s.stddev)), ("N", .uint(s.count)),
        ]
        if percentiles && s.count > 0 {
            m.append(("percentile", percentileObject(s, list: list)))
            if plus { m.append(("bins", .object(s.fioBins().map { (String($0.value), .uint($0.count)) }))) }
        }
        return .object(m)
    }

    static func percentileObject(_ s: LatencyStats, list: [Double] = fioDefaultPercentiles) -> JSONValue {
        .object(s.percentiles(list).map { (percentileKey($0.0), .uint($0.1)) })
    }

    /// BlockLab's additions to a job: what fio cannot say.
    static func blocklab(_ j: JobResult) -> JSONValue {
        var lat: [(String, JSONValue)] = []
        var slat: [(String, JSONValue)] = []
        var fromDue: [(String, JSONValue)] = []
        for d in IODirection.allCases where j.directions[d.rawValue].lat.count > 0 {
            lat.append((d.name, percentileObject(j.directions[d.rawValue].lat)))
            slat.append((d.name, percentileObject(j.directions[d.rawValue].slat)))
            fromDue.append((d.name, latency(j.directions[d.rawValue].latFromDue, percentiles: true)))
        }
        var m: [(String, JSONValue)] = [
            ("latency_basis", .string("slat, clat and lat as fio's for the engine (slat ends when the submitting call returns); "
                + "lat_from_due_ns counts from when the I/O was due under rate, so a rate the target cannot keep shows (no coordinated omission)")),
            ("lat_percentiles_ns", .object(lat)),
            ("slat_percentiles_ns", .object(slat)),
            ("lat_from_due_ns", .object(fromDue)),
            ("completions_per_wait", .double(j.distributions.completionsPerWait)),
            ("interrupted", .bool(j.interrupted)),
            ("jobs", .int(Int64(j.jobCount))),
        ]
        if j.jobCount > 1 {
            m.append(("group", .object([
                ("iops_and_bw", .string("group totals: sums over the group's jobs, not a mean of per-job means")),
                ("samples", .string("bw_* and iops_* samples are per-window sums across the group's jobs")),
                ("job_runtime_and_cpu", .string("summed over the group's jobs, as fio")),
                ("mean_iops_per_job", .object(IODirection.allCases.map { d in
                    (d.name, .double(j.directions[d.rawValue].iops / Double(j.jobCount)))
                })),
            ])))
        }
        if let host = j.host { m.append(("host", .string(host))) }
        if let s = j.series {
            m.append(("series", .object([("id", .string(s.id)), ("repetition", .int(Int64(s.repetition))),
                                         ("repetitions", .int(Int64(s.repetitions)))])))
        }
        // The merged lat histogram in fio's json+ shape ("bins": {"value_ns": count}), so a
        // comparison can resample the whole distribution, not only the printed percentiles.
        var hist: [(String, JSONValue)] = []
        for d in IODirection.allCases where j.directions[d.rawValue].lat.count > 0 {
            let bins = j.directions[d.rawValue].lat.bins
            hist.append((d.name, .object([("bins", .object(bins.map { (String($0.valueNs), .uint($0.count)) }))])))
        }
        if !hist.isEmpty {
            m.append(("lat_histogram_ns", .object([("resolution", .string("HDR, 2 significant digits; bucket midpoints"))] + hist)))
        }
        // Latency from due, in the same shape, when it differs from lat (only under a rate;
        // otherwise a reader takes lat's), so a comparison can be made on either.
        var dueHist: [(String, JSONValue)] = []
        for d in IODirection.allCases where j.directions[d.rawValue].latFromDue.count > 0 {
            let r = j.directions[d.rawValue]
            guard r.latFromDue.mean != r.lat.mean || r.latFromDue.max != r.lat.max else { continue }
            dueHist.append((d.name, .object([("bins", .object(r.latFromDue.bins.map { (String($0.valueNs), .uint($0.count)) }))])))
        }
        if !dueHist.isEmpty {
            m.append(("lat_from_due_histogram_ns", .object([("resolution", .string("HDR, 2 significant digits; bucket midpoints"))] + dueHist)))
        }
        if let w = windows(j) { m.append(("windows", w)) }
        m += j.engine?.json ?? []
        if let v = j.volume { m.append(("volume", v.json)) }
        if let p = j.mapped { m.append(("pool_target", p.json)) }
        if let h = j.hostBound { m.append(("host_bound", .string(h))) }
        return .object(m + j.extras)
    }

    /// The per-window figures (fio's 500 ms sampling windows) as arrays, so IOPS and
    /// bandwidth over time can be drawn from the result alone.
    static func windows(_ j: JobResult) -> JSONValue? {
        let active = IODirection.allCases.filter { !j.directions[$0.rawValue].windowIOs.isEmpty }
        guard let first = active.first else { return nil }
        var m: [(String, JSONValue)] = [("width_ns", .array(j.directions[first.rawValue].windowNs.map { .uint($0) }))]
        for d in active {
            let r = j.directions[d.rawValue]
            m.append((d.name, .object([("ios", .array(r.windowIOs.map { .uint($0) })),
                                       ("bytes", .array(r.windowBytes.map { .uint($0) })),
                                       ("width_ns", .array(r.windowNs.map { .uint($0) }))])))
        }
        return .object(m)
    }

    /// fio's "time": ctime(3) in local time, without the newline.
    static func ctime(ms: UInt64) -> String {
        var t = time_t(ms / 1000)
        var buf = [CChar](repeating: 0, count: 64)
        guard ctime_r(&t, &buf) != nil else { return "" }
        return String(cString: buf).trimmingWhitespace()
    }
}
