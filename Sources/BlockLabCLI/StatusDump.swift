import BlockLabCore
import Engine
import Foundation
import Metrics

/// `--status-interval`: every interval while jobs run, each job's figures from its start
/// (cumulative, as fio's status dumps): I/Os, bytes, IOPS and bandwidth per direction, as a
/// JSON document (JSON formats) or a line per job.
final class StatusDump: @unchecked Sendable {
    let intervalNs: UInt64
    let json: Bool
    let clock: MonotonicClock
    private let start: UInt64
    private var next: UInt64

    init(intervalNs: UInt64, json: Bool, clock: MonotonicClock) {
        self.intervalNs = intervalNs
        self.json = json
        self.clock = clock
        start = clock.now()
        next = start + intervalNs
    }

    /// The dump when an interval has passed since the last, else nil.
    func due(_ jobs: [JobProgress]) -> String? {
        let now = clock.now()
        guard now >= next else { return nil }
        next = now + intervalNs
        return render(jobs.map { ($0.name, $0.snapshot()) }, elapsedNs: now - start)
    }

    func render(_ jobs: [(String, JobProgress.Snapshot)], elapsedNs: UInt64) -> String {
        let seconds = Double(elapsedNs) / 1e9
        if json {
            let list: [JSONValue] = jobs.map { name, s in
                var m: [(String, JSONValue)] = [("jobname", .string(name)), ("elapsed", .uint(elapsedNs / NS.perSecond))]
                for (i, d) in ["read", "write"].enumerated() {
                    m.append((d, .object([
                        ("io_bytes", .uint(s.bytes[i])), ("io_kbytes", .uint(s.bytes[i] / 1024)),
                        ("bw_bytes", .uint(seconds > 0 ? UInt64(Double(s.bytes[i]) / seconds) : 0)),
                        ("bw", .uint(seconds > 0 ? UInt64(Double(s.bytes[i]) / seconds / 1024) : 0)),
                        ("iops", .double(seconds > 0 ? Double(s.ios[i]) / seconds : 0)),
                        ("runtime", .uint(elapsedNs / NS.perMillisecond)), ("total_ios", .uint(s.ios[i])),
                    ])))
                }
                m.append(("blocklab", .object([("finished", .bool(s.finished))])))
                return .object(m)
            }
            return JSONValue.object([
                ("fio version", .string(FioJSON.producer)),
                ("timestamp_ms", .uint(WallClock.nowEpochMilliseconds())),
                ("jobs", .array(list)),
                ("blocklab", .object([("status", .string("running; figures from each job's start (cumulative), as fio's status dumps"))])),
            ]).serialized() + "\n"
        }
        return jobs.map { name, s in
            var parts = ["\(name): (\(Units.formatDecimal(seconds, places: 1))s)"]
            for (i, d) in ["read", "write"].enumerated() where s.ios[i] > 0 {
                let iops = seconds > 0 ? Double(s.ios[i]) / seconds : 0
                let bw = seconds > 0 ? Double(s.bytes[i]) / seconds : 0
                parts.append("\(d): IOPS=\(Units.formatDecimal(iops, places: 0)), BW=\(Units.formatRate(bw)), ios=\(s.ios[i])")
            }
            return parts.joined(separator: " ")
        }.joined(separator: "\n") + "\n"
    }
}
