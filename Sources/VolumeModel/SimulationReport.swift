import BlockLabCore

extension SimulationResult {
    /// One row per interval: time, IOPS, MiB/s and the shaper's series (BurstBalance %...).
    public func table() -> String {
        let secs = Double(intervalNs) / 1e9
        let seriesNames = intervals.first?.sample.map(\.0).filter { $0.hasSuffix("_pct") } ?? []
        var lines: [String] = []
        var header = pad("time", 12) + pad("IOPS", 12) + pad("MiB/s", 12)
        for n in seriesNames { header += pad(n == "burst_balance_pct" ? "BurstBalance%" : "Instance%", 14) }
        lines.append(header)
        for iv in intervals {
            var row = pad(Units.formatDuration(iv.startNs + intervalNs), 12)
            row += pad(Units.formatDecimal(Double(iv.ios) / secs, places: 1), 12)
            row += pad(Units.formatDecimal(Double(iv.bytes) / secs / 1_048_576, places: 2), 12)
            for n in seriesNames {
                let v = iv.sample.first { $0.0 == n }?.1 ?? 0
                row += pad(Units.formatDecimal(v, places: 2), 14)
            }
            lines.append(row)
        }
        if case .array(let buckets)? = summary["credit_buckets"] {
            for b in buckets {
                guard case .string(let name)? = b["name"], case .array(let eps)? = b["episodes"] else { continue }
                if eps.isEmpty { lines.append("\(name) credits: never ran empty") }
                for e in eps {
                    let empty = e["empty_ns"].flatMap { $0.doubleValue }.map { Units.formatDuration(UInt64($0)) } ?? "?"
                    let full = e["full_again_ns"].flatMap { $0.doubleValue }.map { Units.formatDuration(UInt64($0)) } ?? "not yet"
                    lines.append("\(name) credits: empty at \(empty), full again at \(full)")
                }
            }
        }
        for p in phases where p.reason != .idle {
            lines.append("job '\(p.name)': \(Units.formatDuration(p.startNs))-\(Units.formatDuration(p.endNs)), "
                + "\(p.ios) I/Os, \(Units.formatBytes(p.bytes)); ended: \(p.reasonText)")
        }
        if case .uint(let t)? = summary["throttled_ns"] { lines.append("throttled: \(Units.formatDuration(t)) in total") }
        if case .uint(let raw)? = summary["raw_ios"], case .uint(let ops)? = summary["ebs_ops"] {
            lines.append("I/Os: \(raw) raw, \(ops) EBS operations")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The series and the shaper's summary (credit episodes per bucket) as JSON.
    public func json() -> JSONValue {
        let series: [JSONValue] = intervals.map { iv in
            var members: [(String, JSONValue)] = [
                ("start_ns", .uint(iv.startNs)), ("end_ns", .uint(iv.startNs + intervalNs)),
                ("ios", .uint(iv.ios)), ("bytes", .uint(iv.bytes)),
                ("iops", .double(Double(iv.ios) * 1e9 / Double(intervalNs))),
                ("mib_per_sec", .double(Double(iv.bytes) * 1e9 / Double(intervalNs) / 1_048_576)),
            ]
            for (k, v) in iv.sample { members.append((k, .double(v))) }
            return .object(members)
        }
        return .object([
            ("interval_ns", .uint(intervalNs)), ("end_ns", .uint(endNs)),
            ("total_ios", .uint(totalIOs)), ("total_bytes", .uint(totalBytes)),
            ("jobs", .array(phases.map { p in
                .object([("name", .string(p.name)), ("start_ns", .uint(p.startNs)), ("end_ns", .uint(p.endNs)),
                         ("ios", .uint(p.ios)), ("bytes", .uint(p.bytes)),
                         ("ended_by", .string(p.reason == .runtime ? "runtime" : p.reason == .idle ? "idle" : "work_done")),
                         ("ended", .string(p.reasonText))])
            })),
            ("series", .array(series)), ("volume", summary),
        ])
    }
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
