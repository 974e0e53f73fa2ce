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

    public static func document(_ run: RunResult) -> JSONValue {
        let groupBw = groupAggregateBandwidth(run.jobs)
        var top: [(String, JSONValue)] = [
            ("fio version", .string(producer)),
            ("timestamp", .uint(run.timestampMs / 1000)),
            ("timestamp_ms", .uint(run.timestampMs)),
            ("time", .string(ctime(ms: run.timestampMs))),
            ("global options", options(run.globalOptions)),
            ("jobs", .array(run.jobs.map { job($0, groupBw: groupBw[$0.groupID] ?? [0, 0, 0]) })),
            ("disk_util", .array([])),
        ]
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

    static func job(_ j: JobResult, groupBw: [Double]) -> JSONValue {
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
            members.append((d.name, direction(j.directions[d.rawValue], groupBw: groupBw[d.rawValue])))
        }
        members += [
            ("sync", .object([("total_ios", .uint(j.sync.count)), ("lat_ns", latency(j.sync, percentiles: j.sync.count > 0))])),
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
            ("latency_depth", .int(Int64(j.iodepth))),
            ("latency_target", .int(0)),
            ("latency_percentile", .double(100)),
            ("latency_window", .int(0)),
            ("blocklab", blocklab(j)),
        ]
        return .object(members)
    }

    static func direction(_ d: DirectionResult, groupBw: Double) -> JSONValue {
        let bw = d.bwSamples, io = d.iopsSamples
        let bwAgg = groupBw == 0 ? 0 : min(100, bw.mean * 100 / groupBw)
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
            ("slat_ns", latency(d.slat, percentiles: false)),
            ("clat_ns", latency(d.clat, percentiles: true)),
            ("lat_ns", latency(d.lat, percentiles: false)),
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

    /// fio's {min, max, mean, stddev, N[, percentile]} (percentiles only when N > 0, as fio).
    static func latency(_ s: LatencyStats, percentiles: Bool) -> JSONValue {
        var m: [(String, JSONValue)] = [
            ("min", .uint(s.min)), ("max", .uint(s.max)), ("mean", .double(s.mean)),
            ("stddev", .double(s.stddev)), ("N", .uint(s.count)),
        ]
        if percentiles && s.count > 0 { m.append(("percentile", percentileObject(s))) }
        return .object(m)
    }

    static func percentileObject(_ s: LatencyStats) -> JSONValue {
        .object(s.percentiles().map { (percentileKey($0.0), .uint($0.1)) })
    }

    /// BlockLab's additions to a job: what fio cannot say.
    static func blocklab(_ j: JobResult) -> JSONValue {
        var lat: [(String, JSONValue)] = []
        for d in IODirection.allCases where j.directions[d.rawValue].lat.count > 0 {
            lat.append((d.name, percentileObject(j.directions[d.rawValue].lat)))
        }
        var m: [(String, JSONValue)] = [
            ("latency_basis", .string("slat counts from when the I/O was due (scheduled), so lat has no coordinated omission")),
            ("lat_percentiles_ns", .object(lat)),
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
