import BlockLabCore
#if canImport(Glibc)
import Glibc
#endif

/// Number formatting for comparisons: 4 significant digits, SI prefixes for counts, time
/// units for nanoseconds, so columns read like benchstat's.
public enum Format {
    /// `x` with 4 significant digits (at most 3 decimals below 1).
    static func sig4(_ x: Double) -> String {
        guard x.isFinite else { return "∞" }
        if x == 0 { return "0" }
        let mag = Int(floor(log10(abs(x))))
        let places = max(0, min(6, 3 - mag))
        return Units.formatDecimal(x, places: places)
    }

    public static func value(_ v: Double, _ metric: Metric) -> String {
        switch metric {
        case .iops: return si(v)
        case .mibps: return sig4(v)
        case .p50, .p99, .p999, .cpuPerIO: return time(ns: v)
        case .throttled: return time(ns: v * 1e9)
        case .burstBalance: return sig4(v) + "%"
        }
    }

    static func si(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return sig4(v / 1e9) + "G" }
        if a >= 1e6 { return sig4(v / 1e6) + "M" }
        if a >= 1e3 { return sig4(v / 1e3) + "k" }
        return sig4(v)
    }

    public static func time(ns v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return sig4(v / 1e9) + "s" }
        if a >= 1e6 { return sig4(v / 1e6) + "ms" }
        if a >= 1e3 { return sig4(v / 1e3) + "µs" }
        return sig4(v) + "ns"
    }

    /// A figure from a file as a whole number (never trapping on a huge or odd value).
    public static func whole(_ d: Double) -> String {
        d.isFinite && abs(d) < 1e15 ? String(Int64(d.rounded())) : sig4(d)
    }

    /// 4 significant digits.
    public static func sig4Public(_ x: Double) -> String { sig4(x) }

    public static func percent(_ d: Double) -> String {
        (d >= 0 ? "+" : "") + Units.formatDecimal(d, places: 2) + "%"
    }

    static func signedTime(ns v: Double) -> String { (v >= 0 ? "+" : "-") + time(ns: abs(v)) }

    static func pValue(_ p: Double) -> String { Units.formatDecimal(p, places: 3) }

    /// A raw number for CSV and JSON consumers: up to 6 decimals, no grouping.
    static func raw(_ v: Double) -> String { Units.formatDecimal(v, places: 6) }
}

/// The comparison as text: `table` (benchstat's layout), `markdown`, `csv` or `json`.
public enum CompareRenderer {
    public enum Style: String, CaseIterable, Sendable { case table, markdown, csv, json }

    public static func render(_ c: Comparison, style: Style) -> String {
        switch style {
        case .table: return table(c, markdown: false)
        case .markdown: return table(c, markdown: true)
        case .csv: return csv(c)
        case .json: return json(c).serialized() + "\n"
        }
    }

    static let footnoteText = [
        "ci": "need >= 6 samples for a confidence interval at level 0.95",
        "test": "need >= 4 samples per column to detect a difference at alpha level 0.05",
    ]

    static func footnoteMark(_ key: String) -> String { key == "ci" ? "¹" : "²" }

    /// The cells of one table as a grid: header rows, then body rows.
    static func grid(_ c: Comparison, _ t: MetricTable, markdown: Bool, used: inout Set<String>) -> (header: [[String]], body: [[String]], groups: [Int]) {
        let tail = t.metric.tailQuantile != nil
        var top = [t.metric.title + (t.metric.higherIsBetter ? " (higher is better)" : " (lower is better)")]
        var sub = [""]
        var groups = [1]
        for (i, col) in c.columns.enumerated() {
            let base = i == c.baseline
            let width = base ? 1 : (tail ? 3 : 2)
            groups.append(width)
            if markdown {
                top.append(col.label + (base ? " (base)" : ""))
                if !base {
                    top.append("vs base")
                    if tail { top.append("Δ \(t.metric.rawValue) 95% CI (bootstrap)") }
                }
            } else {
                top.append(col.label + (base ? " (base)" : ""))
                top += Array(repeating: "", count: width - 1)
                sub.append("median")
                if !base {
                    sub.append("vs base")
                    if tail { sub.append("Δ 95% CI (bootstrap)") }
                }
            }
        }
        var body: [[String]] = []
        func cellText(_ cell: CellStat?, base: Bool) -> [String] {
            guard let cell, let m = cell.median else { return base ? [""] : (tail ? ["", "", ""] : ["", ""]) }
            var v = Format.value(m, t.metric)
            if let iv = cell.interval {
                let spread = m == 0 ? 0 : max(iv.upper - m, m - iv.lower) / abs(m) * 100
                v += " ± " + (spread < 0.5 ? "0%" : "\(Format.whole(spread))%")
            } else {
                v += " ± ∞ " + footnoteMark("ci")
                used.insert("ci")
            }
            guard !base else { return [v] }
            var delta = ""
            if let d = cell.deltaPercent {
                let nBase = cell.test.map { _ in "" } ?? ""
                _ = nBase
                if let test = cell.test {
                    let n = "n=\(cell.n)"
                    delta = (cell.significant == true ? Format.percent(d) : "~") + " (p=\(Format.pValue(test.p)) \(n))"
                } else {
                    delta = Format.percent(d) + " ? (n=\(cell.n)) " + footnoteMark("test")
                    used.insert("test")
                }
            }
            var out = [v, delta]
            if tail {
                if let b = cell.tail {
                    out.append("\(Format.signedTime(ns: b.difference)) [\(Format.signedTime(ns: b.lower)), \(Format.signedTime(ns: b.upper))]")
                } else {
                    out.append("")
                }
            }
            return out
        }
        for row in t.rows {
            var line = [row.workload]
            for (i, cell) in row.cells.enumerated() { line += cellText(cell, base: i == c.baseline) }
            body.append(line)
        }
        if let geo = t.geomean {
            var line = ["geomean"]
            for (i, g) in geo.enumerated() {
                line.append(g.value.map { Format.value($0, t.metric) } ?? "")
                if i != c.baseline {
                    line.append(g.deltaPercent.map(Format.percent) ?? "")
                    if tail { line.append("") }
                }
            }
            body.append(line)
        }
        return (markdown ? [top] : [top, sub], body, groups)
    }

    /// One table's cells as the markdown format lays them out (one header row), with the
    /// footnotes its cells use: for other renderings (the HTML report).
    public static func cells(_ c: Comparison, _ t: MetricTable) -> (header: [String], body: [[String]], footnotes: [String]) {
        var used = Set<String>()
        let g = grid(c, t, markdown: true, used: &used)
        return (g.header[0], g.body, ["ci", "test"].filter(used.contains).map { footnoteMark($0) + " " + footnoteText[$0]! })
    }

    static func header(_ c: Comparison) -> [String] {
        c.common.map { "\($0.0): \($0.1)" }
    }

    static func table(_ c: Comparison, markdown: Bool) -> String {
        var out = header(c).map { markdown ? "- \($0)\n" : "\($0)\n" }.joined()
        var used = Set<String>()
        for t in c.tables {
            let (head, body, groups) = grid(c, t, markdown: markdown, used: &used)
            out += "\n"
            if markdown {
                out += "| " + head[0].map(escapeMarkdown).joined(separator: " | ") + " |\n"
                out += "|" + head[0].indices.map { $0 == 0 ? "---|" : "---:|" }.joined() + "\n"
                for line in body { out += "| " + line.map(escapeMarkdown).joined(separator: " | ") + " |\n" }
                continue
            }
            let rows = head + body
            let ncol = rows.map(\.count).max() ?? 0
            var widths = [Int](repeating: 0, count: ncol)
            // Column widths from the sub-header and body; the top header spans its group.
            for r in rows.dropFirst() { for (i, s) in r.enumerated() { widths[i] = max(widths[i], s.count) } }
            var start = 0
            for g in groups {
                let span = widths[start..<start + g].reduce(0, +) + 2 * (g - 1)
                let need = rows[0][start].count
                if need > span { widths[start + g - 1] += need - span }
                start += g
            }
            func render(_ r: [String], centreGroups: Bool) -> String {
                var line = ""
                var k = 0
                for (gi, g) in groups.enumerated() {
                    if centreGroups {
                        let span = widths[k..<k + g].reduce(0, +) + 2 * (g - 1)
                        let s = r[k]
                        line += gi == 0 ? pad(s, span, left: true) : centre(s, span)
                    } else {
                        line += (k..<k + g).map { pad($0 < r.count ? r[$0] : "", widths[$0], left: $0 == 0) }.joined(separator: "  ")
                    }
                    line += gi == groups.count - 1 ? "" : (gi == 0 ? "  │ " : " │ ")
                    k += g
                }
                return line.trimmingTrailingSpaces() + "\n"
            }
            out += render(rows[0], centreGroups: true)
            out += render(rows[1], centreGroups: false)
            for r in body { out += render(r, centreGroups: false) }
        }
        if !used.isEmpty || !c.notes.isEmpty { out += "\n" }
        for key in ["ci", "test"] where used.contains(key) {
            out += (markdown ? "\(footnoteMark(key)) " : "\(footnoteMark(key)) ") + footnoteText[key]! + "\n"
        }
        for n in c.notes { out += (markdown ? "- " : "note: ") + n + "\n" }
        return out
    }

    static func escapeMarkdown(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    static func pad(_ s: String, _ w: Int, left: Bool) -> String {
        let n = max(0, w - s.count)
        return left ? s + String(repeating: " ", count: n) : String(repeating: " ", count: n) + s
    }

    static func centre(_ s: String, _ w: Int) -> String {
        let n = max(0, w - s.count)
        return String(repeating: " ", count: n / 2) + s + String(repeating: " ", count: n - n / 2)
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func csv(_ c: Comparison) -> String {
        var out = "metric,unit,workload,column,baseline,n,median,ci_lower,ci_upper,delta_pct,p_value,significant,tail_diff,tail_lower,tail_upper,warnings\n"
        for t in c.tables {
            for row in t.rows {
                for (i, cell) in row.cells.enumerated() {
                    guard let cell else { continue }
                    let f: [String] = [
                        t.metric.rawValue, t.metric.unit, row.workload, c.columns[i].label, i == c.baseline ? "yes" : "no",
                        String(cell.n), cell.median.map(Format.raw) ?? "",
                        cell.interval.map { Format.raw($0.lower) } ?? "", cell.interval.map { Format.raw($0.upper) } ?? "",
                        cell.deltaPercent.map(Format.raw) ?? "", cell.test.map { Format.raw($0.p) } ?? "",
                        cell.significant.map { $0 ? "yes" : "no" } ?? "",
                        cell.tail.map { Format.raw($0.difference) } ?? "", cell.tail.map { Format.raw($0.lower) } ?? "",
                        cell.tail.map { Format.raw($0.upper) } ?? "", cell.warnings.joined(separator: ";"),
                    ]
                    out += f.map(csvField).joined(separator: ",") + "\n"
                }
            }
        }
        return out
    }

    public static func json(_ c: Comparison) -> JSONValue {
        func num(_ v: Double?) -> JSONValue { v.map { .double($0) } ?? .null }
        let tables: [JSONValue] = c.tables.map { t in
            .object([
                ("metric", .string(t.metric.rawValue)), ("title", .string(t.metric.title)), ("unit", .string(t.metric.unit)),
                ("higher_is_better", .bool(t.metric.higherIsBetter)),
                ("rows", .array(t.rows.map { row in
                    .object([("workload", .string(row.workload)), ("cells", .array(row.cells.enumerated().map { i, cell in
                        guard let cell else { return .null }
                        var m: [(String, JSONValue)] = [("column", .string(c.columns[i].label)), ("n", .int(Int64(cell.n))),
                                                        ("median", num(cell.median))]
                        m.append(("ci", cell.interval.map { .array([.double($0.lower), .double($0.upper)]) } ?? .null))
                        if i != c.baseline {
                            m.append(("delta_pct", num(cell.deltaPercent)))
                            m.append(("p_value", num(cell.test?.p)))
                            m.append(("exact_test", cell.test.map { .bool($0.exact) } ?? .null))
                            m.append(("significant", cell.significant.map { .bool($0) } ?? .null))
                            if t.metric.tailQuantile != nil {
                                m.append(("tail_bootstrap", cell.tail.map { .object([("difference", .double($0.difference)),
                                                                                     ("lower", .double($0.lower)), ("upper", .double($0.upper))]) } ?? .null))
                            }
                        }
                        m.append(("warnings", .array(cell.warnings.map { .string(footnoteText[$0] ?? $0) })))
                        return .object(m)
                    }))])
                })),
                ("geomean", t.geomean.map { g in .array(g.map { .object([("value", num($0.value)), ("delta_pct", num($0.deltaPercent))]) }) } ?? .null),
            ])
        }
        return .object([
            ("common", .object(c.common.map { ($0.0, .string($0.1)) })),
            ("columns", .array(c.columns.map { col in
                .object([("label", .string(col.label)), ("flag", col.flag.map { .string($0) } ?? .null),
                         ("components", .object(Comparison.componentOrder.compactMap { k in col.components[k].map { (k, .string($0)) } }))])
            })),
            ("baseline", .string(c.columns[c.baseline].label)),
            ("alpha", .double(c.options.alpha)),
            ("confidence", .double(c.options.confidence)),
            ("latency", .string(c.options.latency.rawValue)),
            ("tables", .array(tables)),
            ("notes", .array(c.notes.map { .string($0) })),
        ])
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
