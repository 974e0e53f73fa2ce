import BlockLabCore
import Compare
import Foundation

/// `blocklab report`: one self-contained HTML page (inline CSS and SVG, a content security
/// policy that forbids any fetch) with the recommendation, the comparison table, bars per
/// volume and workload, cost and IOPS per dollar, IOPS and throughput over time with the
/// burst balance and throttled stretches, and HDR-style latency plots.
public enum HTMLReport {
    public struct Input {
        public var results: ReadResults
        public var comparison: Comparison
        public var recommendation: RecommendationSummary?
        public var prices: Pricing?
        public var title: String
        /// When the report was made (shown; injected so tests are repeatable).
        public var generated: String
        /// Further figures the caller has (the lab's snapshot experiment), as plain tables.
        public var tables: [Table] = []

        public init(results: ReadResults, comparison: Comparison, recommendation: RecommendationSummary? = nil,
                    prices: Pricing? = nil, title: String = "BlockLab report", generated: String = "") {
            self.results = results; self.comparison = comparison; self.recommendation = recommendation
            self.prices = prices; self.title = title; self.generated = generated
        }
    }

    /// A plain table of figures: every cell text, escaped when drawn.
    public struct Table: Sendable {
        public var title: String
        public var note: String
        public var header: [String]
        public var rows: [[String]]
        public init(title: String, note: String = "", header: [String], rows: [[String]]) {
            self.title = title; self.note = note; self.header = header; self.rows = rows
        }
    }

    static func table(_ t: Table) -> String {
        let e = SVG.escape
        var out = "<h2>\(e(t.title))</h2>\n"
        if !t.note.isEmpty { out += "<p class=\"note\">\(e(t.note))</p>\n" }
        out += "<table><tr>" + t.header.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
        for r in t.rows { out += "<tr>" + r.map { "<td>\(e($0))</td>" }.joined() + "</tr>\n" }
        return out + "</table>\n"
    }

    static let maxLinesPerChart = 24
    static let maxTimelines = 40

    public static func render(_ input: Input) -> String {
        let e = SVG.escape
        let c = input.comparison
        var body = "<h1>\(e(input.title))</h1>\n<p class=\"meta\">\(input.results.samples.count) job result(s) from "
        body += "\(Set(input.results.samples.map(\.source)).count) file(s)"
        if !input.results.series.isEmpty { body += ", \(input.results.series.count) series file(s)" }
        if !input.generated.isEmpty { body += "; made \(e(input.generated))" }
        body += ".</p>\n"
        if !c.common.isEmpty {
            body += "<p class=\"meta\">" + c.common.map { "\(e($0.0)): <b>\(e($0.1))</b>" }.joined(separator: " · ") + "</p>\n"
        }
        if let r = input.recommendation { body += recommendation(r) }
        body += "<h2>Comparison</h2>\n" + comparisonTables(c)
        for t in input.tables { body += table(t) }
        body += "<h2>Per volume type and workload</h2>\n" + bars(c)
        body += cost(input)
        body += "<h2>Over time</h2>\n" + timelines(input.results)
        body += "<h2>Latency percentiles</h2>\n<p class=\"note\">HDR-style: the x axis stretches the tail (90 %, 99 %, 99.9 % ...), both axes logarithmic; "
        body += "one line per run, coloured by column. " + (c.options.latency == .lat
            ? "lat in both tools (split as fio splits it); a fio run without lat_percentiles=1 shows its clat.</p>\n"
            : "Latency from when each I/O was due (BlockLab's: it counts time an I/O waited behind a rate limit; without a rate it is lat). fio does not measure it, so fio's runs have no line; nor has a BlockLab result written before it kept that histogram (a rate run without lat_from_due_histogram_ns).</p>\n")
        body += latencyPlots(input.results, c)
        return page(title: input.title, body: body)
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(SVG.escape(title))</title>
        <style>
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
        .meta,.note{color:#555;margin:2px 0}.note{font-size:12px}
        table{border-collapse:collapse;margin:8px 0 14px;font-size:13px;display:block;overflow-x:auto;max-width:100%}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;white-space:nowrap}
        th:first-child,td:first-child{text-align:left}th{background:#f5f5f5}caption{text-align:left;font-weight:600;padding:4px 0}
        figure.chart{margin:10px 0 18px;display:inline-block;width:100%;max-width:780px;vertical-align:top}
        figure.chart svg{width:100%;height:auto;font-size:11px;background:#fff}figcaption{font-weight:600;margin-bottom:2px}
        .axis{font-size:12px;fill:#444}.legend{font-size:12px;color:#333}.legend span{margin-right:14px;display:inline-block}
        .legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
        .reco{border:2px solid #2ca02c;border-radius:6px;padding:8px 14px;background:#f6fff4}.reco b.big{font-size:17px}
        .sig{font-weight:600}
        </style></head>
        <body>
        \(body)
        <script>
        (function () {
          var figs = document.querySelectorAll('figure.chart'), drawn = 0, empty = [];
          for (var i = 0; i < figs.length; i++) {
            var els = figs[i].querySelectorAll('.data'), ok = false;
            for (var k = 0; k < els.length && !ok; k++) { var b = els[k].getBBox(); ok = b.width > 0 || b.height > 0; }
            if (ok) drawn++; else empty.push(figs[i].getAttribute('data-title'));
          }
          document.body.setAttribute('data-charts', String(figs.length));
          document.body.setAttribute('data-charts-drawn', String(drawn));
          if (empty.length) console.error('charts without data: ' + empty.join(', '));
        })();
        </script>
        </body></html>

        """
    }

    static func recommendation(_ r: RecommendationSummary) -> String {
        let e = SVG.escape
        var s = "<h2>Recommendation</h2>\n<div class=\"reco\">"
        if let need = r.need { s += "<p class=\"note\">For: \(e(need))</p>" }
        s += "<p><b class=\"big\">\(e(r.chosen.volume))</b> — \(money(r.chosen.monthlyCostUSD)) a month"
        if let b = r.chosen.bindingLimit { s += "; binding limit: \(e(b))" }
        if let risk = r.chosen.performanceRisk { s += "; performance risk \(risk) of 4" }
        s += "</p>"
        if let p = r.pricing { s += "<p class=\"note\">Prices: \(e(p))</p>" }
        s += "</div>\n"
        if !r.alternatives.isEmpty {
            s += "<table><caption>Also meets the needs</caption><tr><th>volume</th><th>monthly cost</th><th>binding limit</th><th>risk</th></tr>"
            for a in r.alternatives {
                s += "<tr><td>\(e(a.volume))</td><td>\(money(a.monthlyCostUSD))</td><td>\(e(a.bindingLimit ?? ""))</td><td>\(a.performanceRisk.map(String.init) ?? "")</td></tr>"
            }
            s += "</table>\n"
        }
        if !r.rejected.isEmpty {
            s += "<table><caption>Rejected</caption><tr><th>volume</th><th style=\"text-align:left\">why</th><th>monthly cost</th></tr>"
            for x in r.rejected {
                s += "<tr><td>\(e(x.volume))</td><td style=\"text-align:left;white-space:normal\">\(e(x.reason))</td><td>\(x.monthlyCostUSD.map(money) ?? "")</td></tr>"
            }
            s += "</table>\n"
        }
        return s
    }

    static func money(_ v: Double) -> String { "$" + Units.formatDecimal(v, places: 2) }

    static func comparisonTables(_ c: Comparison) -> String {
        let e = SVG.escape
        var s = ""
        var notes = Set<String>()
        for t in c.tables {
            let (header, body, footnotes) = CompareRenderer.cells(c, t)
            notes.formUnion(footnotes)
            s += "<table><tr>" + header.map { "<th>\(e($0))</th>" }.joined() + "</tr>"
            for row in body {
                s += "<tr>" + row.enumerated().map { i, cell in
                    let sig = i > 0 && (cell.hasPrefix("+") || cell.hasPrefix("-")) && cell.contains("(p=")
                    return "<td\(sig ? " class=\"sig\"" : "")>\(e(cell))</td>"
                }.joined() + "</tr>"
            }
            s += "</table>\n"
        }
        for n in notes.sorted() + c.notes { s += "<p class=\"note\">\(e(n))</p>\n" }
        return s
    }

    static func bars(_ c: Comparison) -> String {
        var s = ""
        for metric in [Metric.iops, .mibps] {
            guard let t = c.tables.first(where: { $0.metric == metric }) else { continue }
            let groups = t.rows.map { row in
                SVG.BarGroup(label: row.workload, bars: row.cells.map { ($0?.median, $0?.interval?.lower, $0?.interval?.upper) })
            }
            s += SVG.barChart(title: "\(metric.title): median per workload and column (whiskers: 95 % interval)", kind: "bars",
                              groups: groups, seriesNames: c.columns.map(\.label), yLabel: metric.title,
                              format: { Format.value($0, metric) })
        }
        return s
    }

    /// The model's provisioned figures for pricing: gp3's IOPS and throughput are its
    /// baseline; io1/io2's IOPS their peak.
    static func provisioned(_ doc: [String: Any]) -> (type: String, sizeGiB: Double, iops: Double?, mibps: Double?)? {
        guard let model = doc["model"] as? [String: Any], let type = model["type"] as? String,
              let size = (model["size_gib"] as? NSNumber)?.doubleValue else { return nil }
        let base = type.split(separator: "-").first.map(String.init) ?? type
        let iops = (model[base == "gp3" ? "baseline_iops" : "peak_iops"] as? NSNumber)?.doubleValue
        let mibps = (model["baseline_bytes_per_sec"] as? NSNumber).map { $0.doubleValue / 1_048_576 }
        return (base, size, iops, mibps)
    }

    static func cost(_ input: Input) -> String {
        let e = SVG.escape
        let c = input.comparison
        guard let prices = input.prices, let iopsTable = c.tables.first(where: { $0.metric == .iops }) else {
            if input.prices == nil { return "<h2>Cost</h2>\n<p class=\"note\">No price table (give --prices FILE); monthly cost and IOPS per dollar not shown.</p>\n" }
            return ""
        }
        // Each column's volume, from the first of its samples that has a model.
        var costs: [Int: (Double, String)] = [:]
        for (i, col) in c.columns.enumerated() {
            guard let volume = col.components["volume"] ?? c.common.first(where: { $0.0 == "volume" })?.1,
                  let sample = input.results.samples.first(where: { $0.volume == volume && $0.volumeDocument != nil }),
                  let p = provisioned(sample.volumeDocument!),
                  let monthly = prices.monthlyCost(p.type, p.sizeGiB, p.iops, p.mibps) else { continue }
            costs[i] = (monthly, volume)
        }
        var s = "<h2>Cost</h2>\n"
        guard !costs.isEmpty else {
            return s + "<p class=\"note\">No priced volume among the results (prices: \(e(prices.region)), \(e(prices.source))).</p>\n"
        }
        s += "<table><tr><th>workload</th>" + c.columns.indices.filter { costs[$0] != nil }.map { "<th>\(e(c.columns[$0].label))</th>" }.joined() + "</tr>"
        s += "<tr><td>monthly cost</td>" + c.columns.indices.compactMap { costs[$0] }.map { "<td>\(money($0.0))</td>" }.joined() + "</tr>"
        var groups: [SVG.BarGroup] = []
        for row in iopsTable.rows {
            s += "<tr><td>\(e(row.workload)): IOPS per $ a month</td>"
            var bars: [(value: Double?, lower: Double?, upper: Double?)] = []
            for i in c.columns.indices where costs[i] != nil {
                let v = row.cells[i]?.median.map { $0 / max(costs[i]!.0, 0.01) }
                s += "<td>\(v.map { Units.formatDecimal($0, places: 2) } ?? "")</td>"
                bars.append((v, nil, nil))
            }
            s += "</tr>"
            groups.append(SVG.BarGroup(label: row.workload, bars: bars))
        }
        s += "</table>\n<p class=\"note\">Prices: \(e(prices.region)), \(e(prices.source)); storage, provisioned IOPS and throughput; "
        s += "I/O charges, snapshots and the instance not included.</p>\n"
        s += SVG.barChart(title: "IOPS per dollar a month (median IOPS / monthly cost)", kind: "bars-cost", groups: groups,
                          seriesNames: c.columns.indices.filter { costs[$0] != nil }.map { c.columns[$0].label }, yLabel: "IOPS per $",
                          format: { Format.sig4Public($0) })
        return s
    }

    /// The limits a throttled interval is judged against, from a result's volume model.
    struct Limits {
        var peakIOPS: Double?
        var peakBytes: Double?
        var baselineIOPS: Double?
        var instanceIOPS: Double?
        var instanceBytes: Double?

        init(_ doc: [String: Any]?) {
            let m = doc?["model"] as? [String: Any], i = doc?["instance"] as? [String: Any]
            func n(_ o: [String: Any]?, _ k: String) -> Double? { (o?[k] as? NSNumber)?.doubleValue }
            peakIOPS = n(m, "peak_iops"); peakBytes = n(m, "peak_bytes_per_sec"); baselineIOPS = n(m, "baseline_iops")
            instanceIOPS = n(i, "max_iops"); instanceBytes = n(i, "max_bytes_per_sec")
        }
    }

    /// Which limit held a throttled interval back, judged by where its figures sat: empty
    /// credits first (a cliff to the baseline), then the volume's and the instance's peaks.
    static func attribute(burst: Double?, instanceBurst: Double?, ebsOpsPerSec: Double, bytesPerSec: Double, limits: Limits) -> (String, String) {
        if let b = burst, b <= 0.5 {
            return ("volume burst credits empty" + (limits.baselineIOPS.map { " (baseline \(Format.whole($0)) IOPS)" } ?? ""), "#d62728")
        }
        if let b = instanceBurst, b <= 0.5 { return ("instance burst credits empty", "#8c564b") }
        if let p = limits.peakIOPS, ebsOpsPerSec >= 0.9 * p { return ("volume IOPS limit (\(Format.whole(p)))", "#ff7f0e") }
        if let p = limits.peakBytes, bytesPerSec >= 0.9 * p { return ("volume throughput limit (\(Units.formatRate(p)))", "#9467bd") }
        if let p = limits.instanceIOPS, ebsOpsPerSec >= 0.9 * p { return ("instance IOPS limit (\(Format.whole(p)))", "#e377c2") }
        if let p = limits.instanceBytes, bytesPerSec >= 0.9 * p { return ("instance throughput limit (\(Units.formatRate(p)))", "#17becf") }
        return ("throttled (limit not identified)", "#7f7f7f")
    }

    static func number(_ any: Any?) -> Double? { (any as? NSNumber)?.doubleValue }

    static func timelines(_ results: ReadResults) -> String {
        var s = ""
        var count = 0
        var covered = Set<String>()
        // Series files first: they carry the burst balance and throttled time per interval.
        for file in results.series {
            var groups: [(key: String, lines: [[String: Any]])] = []
            for line in file.lines {
                let key = (line["job"] as? String ?? "?") + (ResultReader.validRepetition(line["repetition"]).map { " #\($0 + 1)" } ?? "")
                if let i = groups.firstIndex(where: { $0.key == key }) { groups[i].lines.append(line) } else { groups.append((key, [line])) }
            }
            for g in groups where count < maxTimelines {
                count += 1
                let job = g.lines.first?["job"] as? String ?? "?"
                covered.insert(job)
                let limits = Limits(results.samples.first { $0.name == job && $0.volumeDocument != nil }?.volumeDocument)
                var iops: [(x: Double, y: Double)] = [], mib: [(x: Double, y: Double)] = [], burst: [(x: Double, y: Double)] = []
                var bands: [SVG.Band] = []
                var prevThrottled = 0.0, prevOps = 0.0, prevT = 0.0
                for l in g.lines {
                    guard let t = number(l["t_ms"]).map({ $0 / 1000 }) else { continue }
                    let dur = (number(l["dur_ms"]) ?? 0) / 1000
                    let r = l["read"] as? [String: Any], w = l["write"] as? [String: Any]
                    let io = (number(r?["iops"]) ?? 0) + (number(w?["iops"]) ?? 0)
                    let bw = (number(r?["bw_bytes"]) ?? 0) + (number(w?["bw_bytes"]) ?? 0)
                    iops.append((t, io)); mib.append((t, bw / 1_048_576))
                    let b = number(l["burst_balance_pct"])
                    if let b { burst.append((t, b)) }
                    let throttled = number(l["throttled_ms"]) ?? prevThrottled
                    let ops = number(l["ebs_ops"]) ?? prevOps
                    if dur > 0, throttled - prevThrottled > dur * 1000 * 0.01 {
                        let (label, colour) = attribute(burst: b, instanceBurst: number(l["instance_burst_balance_pct"]),
                                                        ebsOpsPerSec: (ops - prevOps) / dur, bytesPerSec: bw, limits: limits)
                        if let last = bands.last, last.label == label, abs(last.x1 - (t - dur)) < dur * 0.5 {
                            bands[bands.count - 1].x1 = t
                        } else {
                            bands.append(SVG.Band(x0: max(prevT, t - dur), x1: t, label: label, color: colour))
                        }
                    }
                    prevThrottled = throttled; prevOps = ops; prevT = t
                }
                let x = SVG.Axis.covering([0] + iops.map(\.x), log: false, format: { Format.sig4Public($0) + " s" })
                let right = burst.isEmpty ? nil : SVG.Axis(lower: 0, upper: 100, log: false, format: { "\(Int($0)) %" })
                var lines = [SVG.Line(name: "IOPS", color: SVG.color(0), points: iops)]
                if !burst.isEmpty { lines.append(SVG.Line(name: "burst balance (right axis)", color: "#2ca02c", points: burst, rightAxis: true, dashed: true)) }
                s += SVG.lineChart(title: "\(g.key): IOPS over time (\(SVG.escape((file.source as NSString).lastPathComponent)))", kind: "timeline",
                                   x: x, y: SVG.Axis.covering(iops.map(\.y), log: false, format: { Format.value($0, .iops) }),
                                   xLabel: "time", yLabel: "IOPS", lines: lines, right: right, y2Label: "burst balance", bands: bands)
                s += SVG.lineChart(title: "\(g.key): throughput over time", kind: "timeline", x: x,
                                   y: SVG.Axis.covering(mib.map(\.y), log: false, format: { Format.sig4Public($0) }),
                                   xLabel: "time", yLabel: "MiB/s", lines: [SVG.Line(name: "MiB/s", color: SVG.color(2), points: mib)], bands: bands)
            }
        }
        // Results' own 500 ms windows for the runs no series file covered; credit episodes
        // from the result's volume story shade when the credits were empty.
        for sample in results.samples where count < maxTimelines && !covered.contains(sample.name) {
            guard let w = sample.windows, w.ios.count >= 2 else { continue }
            count += 1
            var t = 0.0
            var iops: [(x: Double, y: Double)] = [], mib: [(x: Double, y: Double)] = []
            for k in w.ios.indices where w.widthNs[k] > 0 {
                t += w.widthNs[k] / 1e9
                iops.append((t, w.ios[k] / (w.widthNs[k] / 1e9)))
                mib.append((t, w.bytes[k] / (w.widthNs[k] / 1e9) / 1_048_576))
            }
            var bands: [SVG.Band] = []
            for bucket in (sample.volumeDocument?["credit_buckets"] as? [[String: Any]]) ?? [] {
                for ep in (bucket["episodes"] as? [[String: Any]]) ?? [] {
                    guard let empty = number(ep["empty_ns"]) else { continue }
                    let full = number(ep["full_again_ns"]) ?? t * 1e9
                    bands.append(SVG.Band(x0: empty / 1e9, x1: full / 1e9, label: "\(bucket["name"] as? String ?? "volume") burst credits empty", color: "#d62728"))
                }
            }
            let name = sample.name + (sample.repetition.map { " #\($0 + 1)" } ?? "") + (sample.volume.map { " on \($0)" } ?? "")
            let x = SVG.Axis.covering([0] + iops.map(\.x), log: false, format: { Format.sig4Public($0) + " s" })
            s += SVG.lineChart(title: "\(name): IOPS and throughput over time (\((sample.source as NSString).lastPathComponent))", kind: "timeline", x: x,
                               y: SVG.Axis.covering(iops.map(\.y), log: false, format: { Format.value($0, .iops) }),
                               xLabel: "time", yLabel: "IOPS", lines: [SVG.Line(name: "IOPS", color: SVG.color(0), points: iops)], bands: bands)
            s += SVG.lineChart(title: "\(name): throughput over time", kind: "timeline", x: x,
                               y: SVG.Axis.covering(mib.map(\.y), log: false, format: { Format.sig4Public($0) }),
                               xLabel: "time", yLabel: "MiB/s", lines: [SVG.Line(name: "MiB/s", color: SVG.color(2), points: mib)], bands: bands)
        }
        if s.isEmpty { s = "<p class=\"note\">No per-interval figures in these results (BlockLab results and --write-series files have them; fio's JSON does not).</p>\n" }
        return s
    }

    /// x position of a percentile on the HDR axis: -log10(1 - p).
    static func hdrX(_ fraction: Double) -> Double { -log10(max(1e-9, 1 - fraction)) }

    static func latencyPlots(_ results: ReadResults, _ c: Comparison) -> String {
        var s = ""
        var byWorkload: [(String, [RunSample])] = []
        for sample in results.samples where !sample.histogram.isEmpty {
            if let i = byWorkload.firstIndex(where: { $0.0 == sample.name }) { byWorkload[i].1.append(sample) } else { byWorkload.append((sample.name, [sample])) }
        }
        for (workload, samples) in byWorkload {
            var lines: [SVG.Line] = []
            var maxX = 2.0
            var values: [Double] = []
            for sample in samples.prefix(maxLinesPerChart) {
                let h = sample.histogram
                let total = Double(h.total)
                var pts: [(x: Double, y: Double)] = []
                var seen = 0.0
                let cap = 1 - 1 / max(total, 10)
                for (v, n) in zip(h.values, h.counts) {
                    let before = seen / total
                    seen += Double(n)
                    let after = min(seen / total, cap)
                    if before <= cap { pts.append((hdrX(before), Double(v))) }
                    pts.append((hdrX(after), Double(v)))
                    if after >= cap { break }
                }
                maxX = max(maxX, hdrX(cap))
                values += pts.map(\.y)
                let column = columnIndex(of: sample, in: c)
                let label = (column.map { c.columns[$0].label } ?? sample.producer) + (sample.repetition.map { " #\($0 + 1)" } ?? "")
                lines.append(SVG.Line(name: label, color: SVG.color(column ?? 0), points: pts, dashed: sample.repetition.map { $0 % 2 == 1 } ?? false))
            }
            // One legend entry per column.
            var legend: [(String, String, Bool)] = []
            for l in lines where !legend.contains(where: { $0.1 == l.color }) {
                legend.append((l.name.split(separator: "#").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? l.name, l.color, false))
            }
            let xMax = ceil(maxX)
            var ticks: [(Double, String)] = []
            for k in 0...Int(xMax) {
                let pct = 100 * (1 - pow(10, -Double(k)))
                ticks.append((Double(k), k == 0 ? "0 %" : Units.formatDecimal(pct, places: max(0, k - 2)) + " %"))
            }
            let x = SVG.Axis(lower: 0, upper: xMax, log: false, format: { "\($0)" })
            let y = SVG.Axis.covering(values, log: true, format: { Format.time(ns: $0) })
            s += SVG.lineChart(title: "\(workload): latency by percentile", kind: "latency", x: x, y: y,
                               xLabel: "percentile", yLabel: "latency", lines: lines, xTicks: ticks, legend: legend)
        }
        if s.isEmpty { s = "<p class=\"note\">No latency histograms in these results (BlockLab results and fio's json+ have them).</p>\n" }
        return s
    }

    static func columnIndex(of sample: RunSample, in c: Comparison) -> Int? {
        c.columns.firstIndex { col in
            col.components.allSatisfy { k, v in
                switch k {
                case "label": return sample.label == v
                case "tool": return sample.producer == v
                case "host": return sample.host == v
                case "volume": return sample.volume == v
                case "device": return sample.device == v
                default: return true
                }
            } && col.flag == flag(sample)
        }
    }

    static func flag(_ s: RunSample) -> String? {
        if s.error != 0 { return "failed" }
        if s.interrupted { return "interrupted" }
        if s.hostBound != nil { return "host-bound" }
        return nil
    }
}
