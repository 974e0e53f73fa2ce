import BlockLabCore
import Foundation

/// The figures of a fio JSON result (fio's own `--output-format=json` or BlockLab's), for
/// comparing the two tools and for reporting.
public struct FioJSONSummary: Sendable {
    public struct Direction: Sendable, Equatable {
        public var ios: UInt64 = 0
        public var bytes: UInt64 = 0
        public var iops: Double = 0
        public var bwBytesPerSec: Double = 0
        /// lat_ns mean (fio: submit -> completion; BlockLab: due -> completion).
        public var meanLatNs: Double = 0
        public var meanClatNs: Double = 0
        /// clat_ns percentile "99.000000" (0 if absent).
        public var p99ClatNs: Double = 0
        /// p99 of lat (fio: only with lat_percentiles=1; BlockLab: always, under blocklab);
        /// 0 if absent.
        public var p99LatNs: Double = 0
        public var runtimeMs: UInt64 = 0
    }

    public struct Job: Sendable {
        public var name: String
        public var groupID: Int
        public var read: Direction
        public var write: Direction
        public var usrCPU: Double
        public var sysCPU: Double
        /// job_runtime (ms; summed over jobs for a group, as fio).
        public var runtimeMs: UInt64

        public func direction(_ d: IODirection) -> Direction { d == .write ? write : read }
    }

    /// Sum over the jobs of one direction's IOPS and bandwidth (bytes/s).
    public func total(_ d: IODirection) -> (iops: Double, bwBytesPerSec: Double) {
        jobs.reduce((0, 0)) { ($0.0 + $1.direction(d).iops, $0.1 + $1.direction(d).bwBytesPerSec) }
    }

    public var source: String
    /// "fio version": e.g. "fio-3.33" or "blocklab-0.1.0".
    public var producer: String
    public var jobs: [Job]

    /// Parses `data`; `source` names the file in error messages. Text before the document
    /// (fio may print warnings into its JSON stream) is skipped, and of several concatenated
    /// documents (`--status-interval`) the last, final one is read.
    public static func parse(_ data: [UInt8], source: String) throws -> FioJSONSummary {
        let doc = lastDocument(data)
        guard !doc.isEmpty else { throw BlockLabError.usage("\(source): no JSON document found (is it fio's --output-format=json output?)") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(doc))
        } catch {
            throw BlockLabError.usage("\(source): not valid JSON: \(error.localizedDescription)")
        }
        guard let top = object as? [String: Any], let jobs = top["jobs"] as? [[String: Any]] else {
            throw BlockLabError.usage("\(source): not a fio JSON result (no \"jobs\" array)")
        }
        var out = FioJSONSummary(source: source, producer: top["fio version"] as? String ?? "unknown", jobs: [])
        for (i, j) in jobs.enumerated() {
            guard let name = j["jobname"] as? String else {
                throw BlockLabError.usage("\(source): job \(i) has no \"jobname\"")
            }
            var read = direction(j["read"]), write = direction(j["write"])
            let ours = (j["blocklab"] as? [String: Any])?["lat_percentiles_ns"] as? [String: Any]
            if let p = ours?["read"] as? [String: Any] { read.p99LatNs = double(p["99.000000"]) }
            if let p = ours?["write"] as? [String: Any] { write.p99LatNs = double(p["99.000000"]) }
            out.jobs.append(Job(
                name: name,
                groupID: int(j["groupid"]),
                read: read,
                write: write,
                usrCPU: double(j["usr_cpu"]),
                sysCPU: double(j["sys_cpu"]),
                runtimeMs: UInt64(max(0, double(j["job_runtime"])))))
        }
        return out
    }

    static func direction(_ any: Any?) -> Direction {
        var d = Direction()
        guard let o = any as? [String: Any] else { return d }
        d.ios = UInt64(max(0, double(o["total_ios"])))
        d.bytes = UInt64(max(0, double(o["io_bytes"])))
        d.iops = double(o["iops"])
        // bw_bytes since fio 3.0; older files have only bw in KiB/s.
        d.bwBytesPerSec = o["bw_bytes"] != nil ? double(o["bw_bytes"]) : double(o["bw"]) * 1024
        d.runtimeMs = UInt64(max(0, double(o["runtime"])))
        // *_ns since fio 3.0; fio 2.x wrote lat/clat in microseconds.
        if let lat = o["lat_ns"] as? [String: Any] {
            d.meanLatNs = double(lat["mean"])
            if let p = lat["percentile"] as? [String: Any] { d.p99LatNs = double(p["99.000000"]) }
        } else if let lat = o["lat"] as? [String: Any] {
            d.meanLatNs = double(lat["mean"]) * 1000
        }
        let scale: Double = o["clat_ns"] != nil ? 1 : 1000
        if let clat = (o["clat_ns"] ?? o["clat"]) as? [String: Any] {
            d.meanClatNs = double(clat["mean"]) * scale
            if let p = clat["percentile"] as? [String: Any] { d.p99ClatNs = double(p["99.000000"]) * scale }
        }
        return d
    }

    static func double(_ any: Any?) -> Double {
        if let n = any as? NSNumber { return n.doubleValue }
        if let s = any as? String, let v = Double(s) { return v }
        return 0
    }

    static func int(_ any: Any?) -> Int { Int(double(any)) }

    /// The bytes from the last line that is exactly "{" (fio's pretty-printed top level) or
    /// from the first "{" if no line is, to the last "}".
    public static func lastDocument(_ data: [UInt8]) -> ArraySlice<UInt8> {
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), nl = UInt8(ascii: "\n")
        var start: Int?
        for i in data.indices where data[i] == open && (i == 0 || data[i - 1] == nl)
            && (i + 1 == data.count || data[i + 1] == nl || data[i + 1] == UInt8(ascii: "\r") || data[i + 1] == UInt8(ascii: "\"")) {
            start = i
        }
        if start == nil { start = data.firstIndex(of: open) }
        guard let s = start, let e = data.lastIndex(of: close), e > s else { return [] }
        return data[s...e]
    }
}
