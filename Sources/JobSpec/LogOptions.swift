import BlockLabCore

/// fio's log files (`write_iops_log`, `write_bw_log`, `write_lat_log`, `write_hist_log`)
/// and how they sample. Names and rows follow fio 3.33 (see Metrics' FioLog).
public struct LogOptions: Sendable, Equatable {
    /// File name stems; nil = that log is not written. A bare option (or an empty value)
    /// takes the job's name, as fio.
    public var iops: String?
    public var bw: String?
    /// `write_lat_log`: the clat, slat and lat logs.
    public var lat: String?
    public var hist: String?
    /// 0: a row per I/O; otherwise one row per direction per window of this many ms.
    public var avgMsec: UInt64 = 0
    /// With avgMsec: the window's maximum instead of its mean.
    public var maxValue = false
    /// Rows carry the I/O's offset.
    public var offset = false
    /// fio's `log_prio`: the last column is the I/O's priority value (`0x2000`), not just
    /// whether it was real-time (1 or 0).
    public var prio = false
    /// `.N` (fio's job number) in file names; without it jobs of one stem share a file.
    public var perJobLogs = true
    /// Histogram log window (0: the histogram log stays empty, as fio).
    public var histMsec: UInt64 = 0
    /// Each step halves the histogram log's bins (0...6).
    public var histCoarseness = 0

    public init() {}

    public var any: Bool { iops != nil || bw != nil || lat != nil || hist != nil }
    /// A row per I/O (no log_avg_msec) in an iops, bw or latency log: held until the run ends.
    public var logsEveryIO: Bool { avgMsec == 0 && (iops != nil || bw != nil || lat != nil) }
}

/// Which latency figures report percentiles, and which percentiles (fio's
/// `percentile_list`, `clat_percentiles`, `lat_percentiles`, `slat_percentiles`).
public struct PercentileOptions: Sendable, Equatable {
    public var list: [Double] = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99]
    public var clat = true
    public var lat = false
    public var slat = false
    public init() {}
}

/// The options above as the parser applies them.
enum LogOptionParser {
    /// Options whose value names a file stem and may stand alone.
    static let stems: Set<String> = ["write_iops_log", "write_bw_log", "write_lat_log", "write_hist_log"]
    static let names: [String] = stems.sorted() + [
        "log_avg_msec", "log_max_value", "log_offset", "log_prio", "per_job_logs", "log_hist_msec", "log_hist_coarseness",
        "percentile_list", "clat_percentiles", "lat_percentiles", "slat_percentiles",
    ]
    /// fio's upper bound on percentile_list's length (FIO_IO_U_LIST_MAX_LEN).
    static let maxPercentiles = 20
    /// Windows longer than a day are no sampling anyone means.
    static let maxWindowMsec: UInt64 = 86_400_000

    /// Applies `opt` when it is one of these options; false otherwise.
    static func apply(_ opt: RawOption, key: String, to s: inout JobSpec) throws -> Bool {
        switch key {
        case "write_iops_log", "write_bw_log", "write_lat_log", "write_hist_log":
            // fio: the value is a stem (a path prefix); none means the job's name.
            let stem = opt.value ?? ""
            if stem.contains("\0") { throw Value.fail(opt, "a file stem may not contain NUL") }
            if stem.utf8.count > 1024 { throw Value.fail(opt, "the file stem is too long (\(stem.utf8.count) bytes)") }
            if stem.hasSuffix("/") { throw Value.fail(opt, "'\(stem)' is a directory; give a file stem such as \(stem)run") }
            switch key {
            case "write_iops_log": s.logs.iops = stem
            case "write_bw_log": s.logs.bw = stem
            case "write_lat_log": s.logs.lat = stem
            default: s.logs.hist = stem
            }
        case "log_avg_msec": s.logs.avgMsec = UInt64(try Value.int(opt, min: 0, max: Int(maxWindowMsec)))
        case "log_hist_msec": s.logs.histMsec = UInt64(try Value.int(opt, min: 0, max: Int(maxWindowMsec)))
        case "log_hist_coarseness": s.logs.histCoarseness = try Value.int(opt, min: 0, max: 6)
        case "log_max_value": s.logs.maxValue = try Value.bool(opt)
        case "log_offset": s.logs.offset = try Value.bool(opt)
        case "log_prio": s.logs.prio = try Value.bool(opt)
        case "per_job_logs": s.logs.perJobLogs = try Value.bool(opt)
        case "clat_percentiles": s.percentiles.clat = try Value.bool(opt)
        case "lat_percentiles": s.percentiles.lat = try Value.bool(opt)
        case "slat_percentiles": s.percentiles.slat = try Value.bool(opt)
        case "percentile_list": s.percentiles.list = try percentileList(opt)
        default: return false
        }
        return true
    }

    /// `99:99.9:99.99`: each in (0, 100], at most 20, as fio.
    static func percentileList(_ opt: RawOption) throws -> [Double] {
        let v = try Value.required(opt)
        let parts = v.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= maxPercentiles else {
            throw Value.fail(opt, "at most \(maxPercentiles) percentiles, got \(parts.count)")
        }
        return try parts.map { part in
            guard let p = Double(part), p.isFinite, p > 0, p <= 100 else {
                throw Value.fail(opt, "each percentile must be a number in (0, 100], got '\(part)'")
            }
            return p
        }
    }
}
