import BlockLabCore

/// A figure compared across runs.
public enum Metric: String, CaseIterable, Sendable, Hashable, Codable {
    case iops, mibps = "mib/s", p50, p99, p999 = "p99.9", cpuPerIO = "cpu/io", throttled, burstBalance = "burst"

    public var title: String {
        switch self {
        case .iops: return "IOPS"
        case .mibps: return "MiB/s"
        case .p50: return "p50 latency"
        case .p99: return "p99 latency"
        case .p999: return "p99.9 latency"
        case .cpuPerIO: return "CPU per I/O"
        case .throttled: return "throttled time"
        case .burstBalance: return "burst balance at end"
        }
    }

    /// The unit the values are in (latency and CPU ns, throttled s, burst %).
    public var unit: String {
        switch self {
        case .iops: return "IOPS"
        case .mibps: return "MiB/s"
        case .p50, .p99, .p999, .cpuPerIO: return "ns"
        case .throttled: return "s"
        case .burstBalance: return "%"
        }
    }

    public var higherIsBetter: Bool { self == .iops || self == .mibps || self == .burstBalance }

    /// The quantile of a tail metric (bootstrapped from the histograms).
    public var tailQuantile: Double? {
        switch self {
        case .p99: return 0.99
        case .p999: return 0.999
        default: return nil
        }
    }

    /// `--metric` accepts the raw names and a few spellings.
    public static func parse(_ text: String) -> Metric? {
        let t = text.lowercased()
        if let m = Metric(rawValue: t) { return m }
        switch t {
        case "mibps", "bw", "throughput": return .mibps
        case "p999", "p99_9": return .p999
        case "cpu", "cpu-per-io", "cpu_per_io": return .cpuPerIO
        case "burst-balance", "burst_balance", "burstbalance": return .burstBalance
        default: return nil
        }
    }
}

public struct CompareOptions: Sendable {
    public var metrics: [Metric] = Metric.allCases
    public var baseline: String?
    public var alpha = 0.05
    public var confidence = 0.95
    public var bootstrapSeed: UInt64 = 0x5EED
    public var bootstrapResamples = 2000
    /// Which latency the samples were read with (said in the JSON output); set by
    /// `Comparison.make` from the samples.
    public var latency: LatencyChoice = .lat
    public init() {}
}

/// A column: one target (tool, host, volume, device, label), clean runs apart from runs
/// that were host-bound, interrupted or failed.
public struct Column: Sendable, Equatable {
    public var components: [String: String]
    /// "host-bound", "interrupted" or "failed": such runs are never mixed with clean ones.
    public var flag: String?
    public var label: String
}

/// One cell's statistics for one metric.
public struct CellStat: Sendable {
    public var n: Int
    public var median: Double?
    public var interval: (lower: Double, upper: Double)?
    /// Change of the median against the baseline, percent.
    public var deltaPercent: Double?
    public var test: Statistics.MannWhitney?
    /// Whether the change is significant at alpha: nil when there is no test.
    public var significant: Bool?
    /// For p99/p99.9: the bootstrap interval of the difference against the baseline (ns).
    public var tail: TailBootstrap.Interval?
    /// Footnote keys: "ci" (fewer than 6 samples), "test" (fewer than 4).
    public var warnings: [String] = []
    /// The change is a significant regression (worse) beyond the threshold asked.
    public func isRegression(beyond pct: Double, higherIsBetter: Bool) -> Bool {
        guard let d = deltaPercent else { return false }
        let worse = higherIsBetter ? -d : d
        let sig = significant ?? tail?.significant ?? false
        return sig && worse > pct
    }
}

public struct MetricTable: Sendable {
    public var metric: Metric
    /// Row labels (workloads) and, per row, one cell per column (nil: no samples).
    public var rows: [(workload: String, cells: [CellStat?])]
    /// Geometric mean of the medians per column and its change (when more than one row).
    public var geomean: [(value: Double?, deltaPercent: Double?)]?
}

/// Results grouped by workload (rows) and target (columns), with statistics per metric.
public struct Comparison: Sendable {
    public var columns: [Column]
    public var baseline: Int
    /// Components every sample shares (printed once above the tables).
    public var common: [(String, String)]
    public var tables: [MetricTable]
    public var notes: [String]
    public var options: CompareOptions

    static let componentOrder = ["label", "tool", "host", "volume", "device"]

    /// Groups the samples and computes the statistics. Throws a usage error for a
    /// `--baseline` no column matches.
    public static func make(_ samples: [RunSample], options: CompareOptions = CompareOptions()) throws -> Comparison {
        guard !samples.isEmpty else { throw BlockLabError.usage("no results to compare") }
        // Which latency the samples hold is theirs to say (the reader chose it).
        var options = options
        options.latency = samples.contains { $0.latencyBasis == "due" || $0.latencyBasis == "none" } ? .due : .lat
        func components(_ s: RunSample) -> [String: String] {
            var c: [String: String] = ["tool": s.producer]
            if let l = s.label { c["label"] = l }
            if let h = s.host { c["host"] = h }
            if let v = s.volume { c["volume"] = v }
            if let d = s.device { c["device"] = d }
            return c
        }
        func flag(_ s: RunSample) -> String? {
            if s.error != 0 { return "failed" }
            if s.interrupted { return "interrupted" }
            if s.hostBound != nil { return "host-bound" }
            return nil
        }
        // Which components vary: those make the column labels; the rest are common.
        let all = samples.map(components)
        var varying: [String] = []
        var common: [(String, String)] = []
        for key in componentOrder {
            let values = Set(all.map { $0[key] ?? "" })
            if values.count > 1 { varying.append(key) } else if let v = values.first, !v.isEmpty { common.append((key, v)) }
        }
        // Columns in order of first appearance.
        var columns: [Column] = []
        var columnOf: [Int] = []
        for (i, s) in samples.enumerated() {
            let c = all[i].filter { varying.contains($0.key) }
            let f = flag(s)
            if let k = columns.firstIndex(where: { $0.components == c && $0.flag == f }) {
                columnOf.append(k)
            } else {
                var label = varying.compactMap { c[$0] }.joined(separator: " ")
                if label.isEmpty { label = varying.isEmpty ? "runs" : "-" }
                if let f { label += " [\(f)]" }
                columns.append(Column(components: c, flag: f, label: label))
                columnOf.append(columns.count - 1)
            }
        }
        var baseline = columns.firstIndex { $0.flag == nil } ?? 0
        if let want = options.baseline {
            let matches = columns.indices.filter { columns[$0].label == want || columns[$0].components.values.contains(want) }
            guard let first = matches.first else {
                throw BlockLabError.usage("--baseline \(Text.escaped(want)): no column is called that (columns: \(columns.map(\.label).joined(separator: ", ")))")
            }
            baseline = matches.count == 1 ? first : (matches.first { columns[$0].flag == nil } ?? first)
        }
        // Rows: a job name, split by workload signature when runs of the same name differ.
        var notes: [String] = []
        var signaturesOfName: [String: [String]] = [:]
        for s in samples where !(signaturesOfName[s.name]?.contains(s.workloadSignature) ?? false) {
            signaturesOfName[s.name, default: []].append(s.workloadSignature)
        }
        func rowLabel(_ s: RunSample) -> String {
            (signaturesOfName[s.name]?.count ?? 0) > 1 ? "\(s.name) [\(s.workloadSignature)] (mismatched)" : s.name
        }
        for (name, sigs) in signaturesOfName.sorted(by: { $0.key < $1.key }) where sigs.count > 1 {
            notes.append("mismatched: runs named \(name) ran different workloads (\(sigs.map { $0.isEmpty ? "no options" : $0 }.joined(separator: "; "))); kept in separate rows")
        }
        var rowLabels: [String] = []
        for s in samples where !rowLabels.contains(rowLabel(s)) { rowLabels.append(rowLabel(s)) }
        var cellSamples = [[[RunSample]]](repeating: [[RunSample]](repeating: [], count: columns.count), count: rowLabels.count)
        for (i, s) in samples.enumerated() {
            cellSamples[rowLabels.firstIndex(of: rowLabel(s))!][columnOf[i]].append(s)
        }
        let flagged = columns.filter { $0.flag != nil }.map(\.label)
        if !flagged.isEmpty {
            notes.append("marked runs are grouped apart, never mixed with clean ones: \(flagged.joined(separator: ", "))")
        }
        let bases = Set(samples.map(\.latencyBasis))
        if bases.contains("clat") && bases.contains("lat") {
            notes.append("latency: lat where the file has its distribution; fio records it only with lat_percentiles=1, else its clat (from the end of submission) is shown")
        }
        if bases.contains("due") || bases.contains("none") {
            notes.append("latency: from when each I/O was due (BlockLab's; it counts time an I/O waited behind a rate limit, which fio's lat leaves out; without a rate it is lat)"
                + (bases.contains("none") ? "; fio does not measure it, so fio's runs have no latency figures here" : ""))
        }
        var tables: [MetricTable] = []
        for metric in options.metrics {
            var rows: [(workload: String, cells: [CellStat?])] = []
            for (r, label) in rowLabels.enumerated() {
                let base = cellSamples[r][baseline]
                let cells: [CellStat?] = columns.indices.map { c in
                    let cs = cellSamples[r][c]
                    let values = cs.compactMap { $0.values[metric] }
                    guard !values.isEmpty else { return nil }
                    return cellStat(metric, values: values, samples: cs, base: c == baseline ? nil : base, options: options)
                }
                if cells.contains(where: { $0 != nil }) { rows.append((label, cells)) }
            }
            guard !rows.isEmpty else { continue }
            var geo: [(value: Double?, deltaPercent: Double?)]?
            if rows.count > 1 {
                let baseGeo = Statistics.geometricMean(rows.compactMap { $0.cells[baseline]?.median })
                geo = columns.indices.map { c in
                    let complete = rows.allSatisfy { $0.cells[c]?.median != nil }
                    let g = complete ? Statistics.geometricMean(rows.compactMap { $0.cells[c]?.median }) : nil
                    let d = c == baseline ? nil : (g != nil && baseGeo != nil && baseGeo! > 0 ? (g! / baseGeo! - 1) * 100 : nil)
                    return (g, d)
                }
            }
            if geo?.allSatisfy({ $0.value == nil }) == true { geo = nil }
            tables.append(MetricTable(metric: metric, rows: rows, geomean: geo))
        }
        return Comparison(columns: columns, baseline: baseline, common: common, tables: tables, notes: notes, options: options)
    }

    static func cellStat(_ metric: Metric, values: [Double], samples: [RunSample], base: [RunSample]?, options: CompareOptions) -> CellStat {
        var cell = CellStat(n: values.count, median: Statistics.median(values),
                            interval: Statistics.medianInterval(values, confidence: options.confidence))
        if cell.interval == nil { cell.warnings.append("ci") }
        guard let base else { return cell }
        let baseValues = base.compactMap { $0.values[metric] }
        guard !baseValues.isEmpty, let bm = Statistics.median(baseValues), let m = cell.median else { return cell }
        if bm != 0 { cell.deltaPercent = (m / bm - 1) * 100 } else if m == 0 { cell.deltaPercent = 0 }
        if values.count >= 4 && baseValues.count >= 4, let t = Statistics.mannWhitney(baseValues, values) {
            cell.test = t
            cell.significant = t.p < options.alpha
        } else {
            cell.warnings.append("test")
        }
        if let q = metric.tailQuantile {
            var bh = LatencyHistogram(), nh = LatencyHistogram()
            for s in base { bh.add(s.histogram) }
            for s in samples { nh.add(s.histogram) }
            if !bh.isEmpty && !nh.isEmpty {
                cell.tail = TailBootstrap.differenceInterval(base: bh, new: nh, quantile: q, resamples: options.bootstrapResamples,
                                                             confidence: options.confidence, seed: options.bootstrapSeed)
            }
        }
        return cell
    }

    /// Significant changes for the worse beyond `pct` percent, described.
    public func regressions(beyond pct: Double) -> [String] {
        var out: [String] = []
        for t in tables {
            for row in t.rows {
                for (c, cell) in row.cells.enumerated() where c != baseline && columns[c].flag == nil {
                    guard let cell, cell.isRegression(beyond: pct, higherIsBetter: t.metric.higherIsBetter) else { continue }
                    out.append("\(t.metric.title) of \(row.workload) on \(columns[c].label): \(Format.percent(cell.deltaPercent!)) against \(columns[baseline].label)")
                }
            }
        }
        return out
    }
}
