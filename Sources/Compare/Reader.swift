import BlockLabCore
import Foundation

/// One job's figures from one result file, whoever wrote it (BlockLab, fio's JSON or json+):
/// a sample of a comparison.
public struct RunSample {
    /// The file it came from and the job's index in it.
    public var source: String
    public var jobIndex: Int
    /// `LABEL=PATH` arguments label every sample read from PATH.
    public var label: String?
    public var name: String
    /// "fio version": fio-3.33, blocklab-0.1.0.
    public var producer: String
    public var host: String?
    /// The target: an emulated volume ("gp3 500 GiB on m5.large"), the device (a block
    /// device's path, or "file").
    public var volume: String?
    public var device: String?
    /// The workload's defining options (rw, bs, iodepth, numjobs, rwmixread, direct).
    public var workload: [(key: String, value: String)]
    public var seriesID: String?
    public var repetition: Int?
    public var hostBound: String?
    public var interrupted = false
    public var error = 0
    public var values: [Metric: Double] = [:]
    /// lat of every direction, merged (fio's clat when its file has no lat distribution).
    public var histogram = LatencyHistogram()
    /// Which latency the percentiles are: "lat", "clat" (a fio file without lat's
    /// distribution), "due" (BlockLab's latency from when the I/O was due) or "none" (asked
    /// for latency from due, which the producer does not measure).
    public var latencyBasis: String
    /// The per-window figures and the volume's story, for the report.
    public var windows: Windows?
    public var volumeDocument: [String: Any]?

    public struct Windows {
        public var widthNs: [Double]
        public var ios: [Double]
        public var bytes: [Double]
    }

    public init(source: String, jobIndex: Int = 0, label: String? = nil, name: String, producer: String,
                workload: [(key: String, value: String)] = [], latencyBasis: String = "lat") {
        self.source = source; self.jobIndex = jobIndex; self.label = label; self.name = name
        self.producer = producer; self.workload = workload; self.latencyBasis = latencyBasis
    }

    public var workloadSignature: String { workload.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
}

/// A `--write-series` file's lines (BlockLab's per-interval series), for the report.
public struct SeriesFile {
    public var source: String
    public var lines: [[String: Any]]
}

/// What a set of paths held.
public struct ReadResults {
    public var samples: [RunSample] = []
    public var series: [SeriesFile] = []
    /// Files in walked directories that were neither, with why (shown as notes).
    public var skipped: [String] = []
}

/// Which latency a comparison's percentiles are taken from.
public enum LatencyChoice: String, CaseIterable, Sendable {
    /// fio's lat (slat + clat), in both tools.
    case lat
    /// BlockLab's latency from when each I/O was due under a rate: it counts the time an I/O
    /// waited behind a rate the target could not keep (fio's lat starts after that wait).
    /// Without a rate it is lat. fio does not measure it.
    case due
}

/// Reads BlockLab results, fio 3.x JSON and json+, and BlockLab series files, recognised by
/// content; directories are walked (sorted, so the order is repeatable).
public enum ResultReader {
    /// The workload options kept in a sample's signature (fio's names; BlockLab writes the same).
    static let workloadKeys = ["rw", "bs", "iodepth", "numjobs", "rwmixread", "direct"]
    static let aliases = ["readwrite": "rw", "blocksize": "bs", "rwmixwrite": "rwmixwrite"]

    /// `arguments` are paths or LABEL=PATH. A named file that is not a result is a usage
    /// error naming it; in a directory such files are skipped and listed.
    public static func read(_ arguments: [String], latency: LatencyChoice = .lat) throws -> ReadResults {
        var out = ReadResults()
        var files = 0
        for arg in arguments {
            var label: String?
            var path = arg
            if let eq = arg.firstIndex(of: "="), !FileManager.default.fileExists(atPath: arg) {
                label = String(arg[..<eq])
                path = String(arg[arg.index(after: eq)...])
                if label!.isEmpty { throw BlockLabError.usage("\(Text.escaped(arg)): empty label before '='") }
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw BlockLabError.usage("\(Text.escaped(path)): no such file or directory")
            }
            if isDir.boolValue {
                _ = try PathSafety.check(path, what: "result directory")
                let walked = try walk(path)
                let labs = labSteps(walked)
                for file in walked {
                    files += 1
                    try checkCount(files)
                    let name = (file as NSString).lastPathComponent
                    if let steps = labs[(file as NSString).deletingLastPathComponent], name.hasSuffix(".json"),
                       name != "lab.json", !steps.contains(name) {
                        out.skipped.append("\(Text.escaped(file)): the lab's own run (its snapshot experiment or its validation), "
                            + "not one of its workload steps; name the file to compare it")
                        continue
                    }
                    do {
                        try readFile(file, label: label, latency: latency, into: &out)
                    } catch let e as BlockLabError {
                        out.skipped.append(e.description)
                    }
                }
            } else {
                files += 1
                try checkCount(files)
                try readFile(path, label: label, latency: latency, into: &out)
            }
        }
        return out
    }

    /// A lab's run directory (its lab.json names the workload steps' results) -> those
    /// result files' names. Its other results, the snapshot experiment's and the
    /// validation's, are runs of other kinds and would add rows no comparison asked for.
    static func labSteps(_ files: [String]) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for file in files where (file as NSString).lastPathComponent == "lab.json" {
            guard let data = FileManager.default.contents(atPath: file), data.count <= InputLimits.maxJobFileBytes,
                  let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any], doc["blocklab_lab"] != nil,
                  let steps = doc["steps"] as? [[String: Any]] else { continue }
            out[(file as NSString).deletingLastPathComponent] = Set(steps.compactMap { $0["result"] as? String })
        }
        return out
    }

    static func checkCount(_ n: Int) throws {
        if n > InputLimits.maxResultFiles {
            throw BlockLabError.usage("more than \(InputLimits.maxResultFiles) result files; give fewer paths")
        }
    }

    /// Regular files under `dir`, sorted; hidden files and symlinked directories skipped.
    static func walk(_ dir: String) throws -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else {
            throw BlockLabError.usage("\(Text.escaped(dir)): cannot list directory")
        }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if name.hasPrefix(".") { e.skipDescendants(); continue }
            let full = dir.hasSuffix("/") ? dir + rel : dir + "/" + rel
            var st = stat()
            if lstat(full, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { out.append(full) }
        }
        return out.sorted()
    }

    static func readFile(_ path: String, label: String?, latency: LatencyChoice = .lat, into out: inout ReadResults) throws {
        let bytes = try InputFile.read(path, limit: InputLimits.maxResultFileBytes, what: "result file")
        let shown = Text.escaped(path)
        if let series = seriesLines(bytes) {
            for line in series where line["repetition"] != nil {
                guard validRepetition(line["repetition"]) != nil else {
                    throw BlockLabError.usage("\(shown): repetition \(Text.escaped(String(describing: line["repetition"]!).prefix(40).description)) is out of range (0 to \(InputLimits.maxRepeat - 1))")
                }
            }
            out.series.append(SeriesFile(source: path, lines: series))
            return
        }
        let doc = jsonDocument(bytes)
        guard !doc.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(doc)) else {
            throw BlockLabError.usage("\(shown): not a result (no JSON document; expected BlockLab's or fio's --output-format=json or json+)")
        }
        guard let top = object as? [String: Any], let jobs = top["jobs"] as? [[String: Any]],
              let producer = top["fio version"] as? String else {
            throw BlockLabError.usage("\(shown): not a result (a JSON document without fio's \"fio version\" and \"jobs\")")
        }
        guard !jobs.isEmpty else { throw BlockLabError.usage("\(shown): the result has no jobs") }
        let global = stringMap(top["global options"])
        let runExtras = top["blocklab"] as? [String: Any]
        for (i, j) in jobs.enumerated() {
            guard let name = j["jobname"] as? String, j["read"] is [String: Any] || j["write"] is [String: Any] else {
                throw BlockLabError.usage("\(shown): job \(i) is not a fio job result (no \"jobname\" and \"read\"/\"write\")")
            }
            out.samples.append(try sample(j, index: i, name: name, producer: producer, global: global,
                                          runExtras: runExtras, source: path, label: label, latency: latency))
        }
    }

    static func sample(_ j: [String: Any], index: Int, name: String, producer: String, global: [String: String],
                       runExtras: [String: Any]?, source: String, label: String?, latency: LatencyChoice = .lat) throws -> RunSample {
        var options = global
        for (k, v) in stringMap(j["job options"]) { options[k] = v }
        for (alias, key) in aliases { if let v = options[alias], options[key] == nil { options[key] = v } }
        let bl = j["blocklab"] as? [String: Any]
        let isBlockLab = bl != nil
        var s = RunSample(source: source, jobIndex: index, label: label, name: name, producer: producer,
                          workload: workloadKeys.compactMap { k in options[k].map { (k, $0) } },
                          latencyBasis: isBlockLab ? "lat" : "clat")
        s.host = (bl?["host"] as? String) ?? (j["hostname"] as? String)
        if let series = bl?["series"] as? [String: Any] {
            s.seriesID = series["id"] as? String
            if series["repetition"] != nil {
                guard let r = validRepetition(series["repetition"]) else {
                    throw BlockLabError.usage("\(Text.escaped(source_(s))): job \(index): series repetition is out of range (0 to \(InputLimits.maxRepeat - 1))")
                }
                s.repetition = r
            }
        }
        s.hostBound = bl?["host_bound"] as? String
        s.interrupted = (bl?["interrupted"] as? Bool ?? false) || (runExtras?["interrupted"] as? Bool ?? false)
        s.error = number(j["error"]) == 0 ? 0 : 1
        // The target.
        if let t = bl?["target"] as? [String: Any] {
            let kind = t["kind"] as? String ?? "file"
            s.device = kind == "block-device" ? (t["path"] as? String) : kind
        } else if let f = options["filename"] {
            s.device = f.hasPrefix("/dev/") ? f : "file"
        }
        if let v = bl?["volume"] as? [String: Any] {
            s.volumeDocument = v
            let model = v["model"] as? [String: Any]
            var text = model?["type"] as? String ?? "volume"
            if let g = model?["size_gib"] { text += " \(Format.whole(number(g))) GiB" }
            if let inst = (v["instance"] as? [String: Any])?["type"] as? String { text += " on \(inst)" }
            s.volume = text
        }
        // Figures.
        let dirs = ["read", "write", "trim"].compactMap { j[$0] as? [String: Any] }
        let ios = dirs.reduce(0.0) { $0 + number($1["total_ios"]) }
        s.values[.iops] = dirs.reduce(0.0) { $0 + number($1["iops"]) }
        s.values[.mibps] = dirs.reduce(0.0) { $0 + ($1["bw_bytes"] != nil ? number($1["bw_bytes"]) : number($1["bw"]) * 1024) } / 1_048_576
        let cpuPct = number(j["usr_cpu"]) + number(j["sys_cpu"])
        if ios > 0 { s.values[.cpuPerIO] = cpuPct / 100 * number(j["job_runtime"]) * 1e6 / ios }
        if let v = s.volumeDocument {
            s.values[.throttled] = number(v["throttled_ns"]) / 1e9
            if let b = (v["credit_buckets"] as? [[String: Any]])?.first, b["burst_balance_pct"] != nil {
                s.values[.burstBalance] = number(b["burst_balance_pct"])
            }
        }
        // Latency: the whole distribution when the file has it, else the printed percentiles
        // of the busiest direction.
        var bins: [(UInt64, UInt64)] = []
        var total: UInt64 = 0
        if !isBlockLab, ["read", "write", "trim"].contains(where: { ((j[$0] as? [String: Any])?["lat_ns"] as? [String: Any])?["bins"] != nil
                                                                    || ((j[$0] as? [String: Any])?["lat_ns"] as? [String: Any])?["percentile"] != nil }) {
            s.latencyBasis = "lat"
        }
        // Latency from due: BlockLab writes its histogram per direction where it differs from
        // lat (under a rate); a file from before it was written has only the percentiles.
        let dueHistogram = bl?["lat_from_due_histogram_ns"] as? [String: Any]
        let dueOnlyPercentiles = isBlockLab && dueHistogram == nil && ["read", "write", "trim"].contains { d in
            guard let due = (bl?["lat_from_due_ns"] as? [String: Any])?[d] as? [String: Any],
                  let lat = (j[d] as? [String: Any])?["lat_ns"] as? [String: Any] else { return false }
            return number(due["mean"]) != number(lat["mean"]) || number(due["max"]) != number(lat["max"])
        }
        if latency == .due { s.latencyBasis = isBlockLab ? "due" : "none" }
        for d in ["read", "write", "trim"] where latency == .lat || (isBlockLab && !dueOnlyPercentiles) {
            // lat in both tools (the same points since BlockLab splits latency as fio does);
            // fio records lat's distribution only with lat_percentiles=1, else its clat.
            let fioDir = j[d] as? [String: Any]
            let latBins = ((bl?["lat_histogram_ns"] as? [String: Any])?[d] as? [String: Any])?["bins"]
            let source: Any? = isBlockLab
                ? (latency == .due ? ((dueHistogram?[d] as? [String: Any])?["bins"] ?? latBins) : latBins)
                : (fioDir?["lat_ns"] as? [String: Any])?["bins"] ?? (fioDir?["clat_ns"] as? [String: Any])?["bins"]
            for (k, c) in (source as? [String: Any]) ?? [:] {
                guard let v = UInt64(k) else { throw BlockLabError.usage("\(Text.escaped(source_(s))): job \(index): histogram bin '\(Text.escaped(k))' is not a number") }
                let count = number(c)
                // 2^48 I/Os per job (9 years at a million IOPS): sums over thousands of files stay in 64 bits.
                guard count >= 0, count <= 281_474_976_710_656, total + UInt64(count) <= 281_474_976_710_656 else { throw BlockLabError.usage("\(Text.escaped(source_(s))): job \(index): histogram count out of range") }
                total += UInt64(count)
                bins.append((v, UInt64(count)))
            }
        }
        s.histogram = LatencyHistogram(bins: bins)
        if !s.histogram.isEmpty {
            s.values[.p50] = s.histogram.quantile(0.5)
            s.values[.p99] = s.histogram.quantile(0.99)
            s.values[.p999] = s.histogram.quantile(0.999)
        } else if latency == .lat || isBlockLab,
                  let busiest = ["read", "write", "trim"].max(by: { number((j[$0] as? [String: Any])?["total_ios"]) < number((j[$1] as? [String: Any])?["total_ios"]) }),
                  number((j[busiest] as? [String: Any])?["total_ios"]) > 0 {
            let table = isBlockLab
                ? (latency == .due
                    ? ((bl?["lat_from_due_ns"] as? [String: Any])?[busiest] as? [String: Any])?["percentile"] as? [String: Any]
                    : (bl?["lat_percentiles_ns"] as? [String: Any])?[busiest] as? [String: Any])
                : ((j[busiest] as? [String: Any])?["lat_ns"] as? [String: Any])?["percentile"] as? [String: Any]
                    ?? ((j[busiest] as? [String: Any])?["clat_ns"] as? [String: Any])?["percentile"] as? [String: Any]
            for (metric, key) in [(Metric.p50, "50.000000"), (.p99, "99.000000"), (.p999, "99.900000")] {
                if let v = table?[key] { s.values[metric] = number(v) }
            }
        }
        if let w = bl?["windows"] as? [String: Any] {
            var width: [Double] = [], ioSum: [Double] = [], byteSum: [Double] = []
            for d in ["read", "write", "trim"] {
                guard let o = w[d] as? [String: Any] else { continue }
                let wi = (o["width_ns"] as? [Any] ?? []).map(number), io = (o["ios"] as? [Any] ?? []).map(number),
                    by = (o["bytes"] as? [Any] ?? []).map(number)
                for k in 0..<min(wi.count, io.count, by.count) {
                    if k < width.count { width[k] = max(width[k], wi[k]); ioSum[k] += io[k]; byteSum[k] += by[k] }
                    else { width.append(wi[k]); ioSum.append(io[k]); byteSum.append(by[k]) }
                }
            }
            if !width.isEmpty { s.windows = RunSample.Windows(widthNs: width, ios: ioSum, bytes: byteSum) }
        }
        for (m, v) in s.values where !v.isFinite || v < 0 {
            throw BlockLabError.usage("\(Text.escaped(source)): job \(index) (\(Text.escaped(name))): \(m.title) is \(v), not a figure")
        }
        return s
    }

    private static func source_(_ s: RunSample) -> String { s.source }

    static func number(_ any: Any?) -> Double {
        if let n = any as? NSNumber { return n.doubleValue }
        if let s = any as? String, let v = Double(s) { return v }
        return 0
    }

    static func stringMap(_ any: Any?) -> [String: String] {
        guard let o = any as? [String: Any] else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in o { out[k] = (v as? String) ?? "\(v)" }
        return out
    }

    /// A repetition index as `run --repeat` writes it (a whole number below maxRepeat), or nil.
    public static func validRepetition(_ any: Any?) -> Int? {
        guard let d = (any as? NSNumber)?.doubleValue, d >= 0, d < Double(InputLimits.maxRepeat), d == d.rounded() else { return nil }
        return Int(d)
    }

    /// A BlockLab series file: every non-empty line a JSON object with t_ms and job.
    static func seriesLines(_ bytes: [UInt8]) -> [[String: Any]]? {
        guard bytes.first == UInt8(ascii: "{") else { return nil }
        var out: [[String: Any]] = []
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  o["t_ms"] != nil, o["job"] != nil else { return nil }
            out.append(o)
        }
        return out.isEmpty ? nil : out
    }

    /// fio may print warnings before its JSON: the document starts at the first line that
    /// begins with "{" and ends at the last "}".
    static func jsonDocument(_ data: [UInt8]) -> ArraySlice<UInt8> {
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), nl = UInt8(ascii: "\n")
        var start: Int?
        for i in data.indices where data[i] == open && (i == 0 || data[i - 1] == nl) { start = i; break }
        guard let s = start, let e = data.lastIndex(of: close), e > s else { return [] }
        return data[s...e]
    }
}
