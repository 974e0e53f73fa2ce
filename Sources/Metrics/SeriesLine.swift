import BlockLabCore

/// One compact JSON object per line for the `--write-series` file (JSON Lines).
public enum SeriesLine {
    /// {"t_ms":..., "dur_ms":..., "job":..., "read":{"iops","bw_bytes","mean_lat_ns"},
    /// "write":{...}, then `extra` (e.g. credit balances)}; time relative to the job's start.
    /// `jobNumber` is fio's job number (1-based over every clone of the run), so the clones of
    /// one job are told apart.
    public static func json(interval: IntervalFigures, job: String, jobNumber: Int? = nil, extra: [(String, Double)]) -> String {
        var m: [(String, JSONValue)] = [
            ("t_ms", .double(Double(interval.relativeStartNs + interval.durationNs) / 1e6)),
            ("dur_ms", .double(Double(interval.durationNs) / 1e6)),
            ("job", .string(job)),
        ]
        if let jobNumber { m.append(("jobnum", .int(Int64(jobNumber)))) }
        for d in [IODirection.read, .write] {
            m.append((d.name, .object([
                ("iops", .double(interval.iops(d))),
                ("bw_bytes", .double(interval.bwBytesPerSec(d))),
                ("mean_lat_ns", .uint(interval.meanLatNs[d.rawValue])),
            ])))
        }
        for (k, v) in extra { m.append((k, .double(v))) }
        return JSONValue.object(m).serialized(indent: 0)
    }
}
