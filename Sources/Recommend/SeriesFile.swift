import BlockLabCore
import Foundation
import VolumeModel

/// Recorded demand, recognised by content: BlockLab's `--write-series` JSON lines, or a
/// CloudWatch export of VolumeReadOps / VolumeWriteOps / VolumeReadBytes / VolumeWriteBytes
/// (each a Sum per period): CSV with a timestamp column and a column per metric, or the
/// JSON of `aws cloudwatch get-metric-data` (MetricDataResults with Label or Id naming the
/// metric, Timestamps and Values).
public enum SeriesFile {
    public static let metrics = ["VolumeReadOps", "VolumeWriteOps", "VolumeReadBytes", "VolumeWriteBytes"]
    /// The most intervals a series may hold (a year per minute is 525,600).
    public static let maxIntervals = 1_100_000

    public static func load(_ path: String, periodNs: UInt64?) throws -> (intervals: [DemandInterval], format: String) {
        let text = try InputFile.text(path, limit: InputLimits.maxSeriesFileBytes, what: "--series file")
        return try parse(text, path: path, periodNs: periodNs)
    }

    public static func parse(_ text: String, path: String, periodNs: UInt64?) throws -> (intervals: [DemandInterval], format: String) {
        let file = Text.escaped(path)
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\u{FEFF}" }
        if trimmed.hasPrefix("{"), text.contains("MetricDataResults") {
            return (try cloudWatchJSON(text, file: file, periodNs: periodNs), "CloudWatch get-metric-data JSON")
        }
        if let first = trimmed.split(separator: "\n", maxSplits: 1).first, metrics.contains(where: { first.contains($0) }), !first.hasPrefix("{") {
            return (try cloudWatchCSV(String(trimmed), file: file, periodNs: periodNs), "CloudWatch CSV")
        }
        if trimmed.hasPrefix("{") {
            let d: SeriesDemand
            do { d = try SeriesDemand.parse(text: text, path: path) } catch BlockLabError.usage(let m) {
                throw BlockLabError.usage("--series: \(m)")
            }
            return (d.combined(), "BlockLab series")
        }
        throw BlockLabError.usage("--series: \(file): not a series (expected BlockLab's --write-series JSON lines, a CloudWatch CSV with "
            + "\(metrics.joined(separator: "/")) columns, or get-metric-data JSON)")
    }

    // Made once: a formatter costs far more to make than to use (20,160 rows in a 14-day export).
    nonisolated(unsafe) static let iso = ISO8601DateFormatter()
    nonisolated(unsafe) static let isoFraction: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter(); f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]; return f
    }()
    nonisolated(unsafe) static let isoSpace: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter(); f.formatOptions = [.withFullDate, .withSpaceBetweenDateAndTime, .withTime, .withColonSeparatorInTime]; return f
    }()

    static func timestamp(_ s: String) -> Date? {
        let t = s.trimmingCharacters(in: CharacterSet(charactersIn: "\" \r"))
        if let d = utcFast(t) { return d }
        // "2025-01-02 03:04:05" (the console's CSV download) is read as UTC.
        return iso.date(from: t) ?? isoFraction.date(from: t) ?? isoSpace.date(from: t) ?? isoSpace.date(from: t + "Z")
    }

    /// `YYYY-MM-DDTHH:MM:SS[Z]` (or a space for the T), UTC, read directly: Foundation's
    /// formatter takes about 50 us a call on Linux, most of a 14-day export's time.
    static func utcFast(_ t: String) -> Date? {
        let b = Array(t.utf8)
        guard b.count == 19 || (b.count == 20 && b[19] == UInt8(ascii: "Z")) else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r { guard b[i] >= 48 && b[i] <= 57 else { return nil }; v = v * 10 + Int(b[i] - 48) }
            return v
        }
        guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16), let se = num(17..<19),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61 else { return nil }
        // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
        let yy = mo <= 2 ? y - 1 : y
        let era = yy / 400, yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: Double(days * 86_400 + h * 3600 + mi * 60 + se))
    }

    /// Rows of (time, [read ops, write ops, read bytes, write bytes]) -> intervals of `period`.
    static func intervals(_ rows: [(Date, [Double?])], file: String, periodNs: UInt64?) throws -> [DemandInterval] {
        guard !rows.isEmpty else { throw BlockLabError.usage("--series: \(file): no data points") }
        guard rows.count <= maxIntervals else { throw BlockLabError.usage("--series: \(file): more than \(maxIntervals) data points") }
        let sorted = rows.sorted { $0.0 < $1.0 }
        var period = periodNs
        if period == nil {
            // The smallest step between points is the period (gaps are idle time).
            let steps = zip(sorted, sorted.dropFirst()).map { $1.0.timeIntervalSince($0.0) }.filter { $0 > 0 }
            guard let p = steps.min() else {
                throw BlockLabError.usage("--series: \(file): one data point gives no period; give --period (e.g. 5m)")
            }
            // Checked in seconds before it becomes nanoseconds (points years apart overflow).
            guard p >= 1, p <= 86_400 else {
                throw BlockLabError.usage("--series: \(file): the points are \(Units.formatDecimal(p, places: 0)) s apart at the closest; the period must be between 1s and 1d")
            }
            period = UInt64((p * 1e9).rounded())
        }
        let p = period!
        guard p >= NS.perSecond, p <= 86_400 * NS.perSecond else { throw BlockLabError.usage("--period: must be between 1s and 1d") }
        let t0 = sorted[0].0
        let span = sorted.last!.0.timeIntervalSince(t0)
        guard span * 1e9 <= Double(InputLimits.maxDurationNs) else {
            throw BlockLabError.usage("--series: \(file): the data points span more than 100 years")
        }
        var out: [DemandInterval] = []
        var lastStart: UInt64?
        for (t, v) in sorted {
            let startNs = UInt64((t.timeIntervalSince(t0) * 1e9).rounded())
            if let l = lastStart, startNs < l + p {
                throw BlockLabError.usage("--series: \(file): data points \(Units.formatDuration(startNs - l)) apart, closer than the period "
                    + "\(Units.formatDuration(p)) (two points for one period?)")
            }
            lastStart = startNs
            let secs = Double(p) / 1e9
            func whole(_ x: Double?, _ what: String) throws -> UInt64 {
                guard let x else { return 0 }
                // At most 10^9 I/Os and 2^50 bytes a second, and 2^60 bytes in one period.
                guard x.isFinite, x >= 0, x / secs <= (what.hasSuffix("Ops") ? 1e9 : Double(1 << 50)), x <= Double(InputLimits.maxBytes) else {
                    throw BlockLabError.usage("--series: \(file): \(what) \(x) at \(iso.string(from: t)) is not a count between 0 and "
                        + (what.hasSuffix("Ops") ? "10^9 a second" : "2^50 bytes a second"))
                }
                return UInt64(x.rounded())
            }
            var iv = DemandInterval(startNs: startNs, durationNs: p, ios: [try whole(v[0], metrics[0]), try whole(v[1], metrics[1])],
                                    bytes: [try whole(v[2], metrics[2]), try whole(v[3], metrics[3])])
            for d in 0..<2 where iv.ios[d] > 0 && iv.bytes[d] < iv.ios[d] {
                // CloudWatch without the byte metrics: count 16 KiB an I/O (EBS's SSD rating size).
                if (d == 0 ? v[2] : v[3]) == nil { iv.bytes[d] = iv.ios[d] * 16 * Units.KiB } else {
                    throw BlockLabError.usage("--series: \(file): \(metrics[d + 2]) is below \(metrics[d]) at \(iso.string(from: t))")
                }
            }
            out.append(iv)
        }
        return out
    }

    static func cloudWatchCSV(_ text: String, file: String, periodNs: UInt64?) throws -> [DemandInterval] {
        var lines = text.split(whereSeparator: { $0 == "\n" }).map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let header = lines.removeFirst().split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \r")) }
        guard let tcol = header.firstIndex(where: { $0.lowercased().contains("time") || $0.lowercased() == "date" }) else {
            throw BlockLabError.usage("--series: \(file):1: no timestamp column (expected a column named Timestamp)")
        }
        let cols = metrics.map { m in header.firstIndex { $0.contains(m) } }
        guard cols[0] != nil || cols[1] != nil else {
            throw BlockLabError.usage("--series: \(file):1: needs a VolumeReadOps or VolumeWriteOps column")
        }
        var rows: [(Date, [Double?])] = []
        for (i, line) in lines.enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \r")) }
            guard f.count == header.count else {
                throw BlockLabError.usage("--series: \(file):\(i + 2): \(f.count) fields, the header has \(header.count)")
            }
            guard let t = timestamp(f[tcol]) else { throw BlockLabError.usage("--series: \(file):\(i + 2): '\(Text.escaped(f[tcol]))' is not a timestamp") }
            let vals: [Double?] = try cols.enumerated().map { k, c in
                guard let c, !f[c].isEmpty else { return nil }
                guard let x = Double(f[c]) else {
                    throw BlockLabError.usage("--series: \(file):\(i + 2): \(metrics[k]) '\(Text.escaped(f[c]))' is not a number")
                }
                return x
            }
            rows.append((t, vals))
        }
        return try intervals(rows, file: file, periodNs: periodNs)
    }

    static func cloudWatchJSON(_ text: String, file: String, periodNs: UInt64?) throws -> [DemandInterval] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let results = obj["MetricDataResults"] as? [[String: Any]] else {
            throw BlockLabError.usage("--series: \(file): not valid get-metric-data JSON (no MetricDataResults array)")
        }
        var byTime: [Date: [Double?]] = [:]
        var found = false
        for r in results {
            let name = ((r["Label"] as? String) ?? "") + " " + ((r["Id"] as? String) ?? "")
            guard let k = metrics.firstIndex(where: { name.lowercased().contains($0.lowercased()) }) else { continue }
            guard let ts = r["Timestamps"] as? [String], let vs = r["Values"] as? [Any], ts.count == vs.count else {
                throw BlockLabError.usage("--series: \(file): \(metrics[k]): Timestamps and Values must be arrays of the same length")
            }
            found = true
            for (t, v) in zip(ts, vs) {
                guard let d = timestamp(t) else { throw BlockLabError.usage("--series: \(file): \(metrics[k]): '\(Text.escaped(t))' is not a timestamp") }
                guard let x = (v as? NSNumber)?.doubleValue else { throw BlockLabError.usage("--series: \(file): \(metrics[k]): a value is not a number") }
                byTime[d, default: [nil, nil, nil, nil]][k] = x
            }
        }
        guard found else { throw BlockLabError.usage("--series: \(file): no \(metrics.joined(separator: "/")) results (Label or Id must name the metric)") }
        return try intervals(byTime.map { ($0.key, $0.value) }, file: file, periodNs: periodNs)
    }
}
