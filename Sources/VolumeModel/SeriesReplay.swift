import BlockLabCore
import Foundation
import Workload

/// The per-interval demand recorded in a result's series file (`blocklab run
/// --write-series`: JSON Lines, one object per job and interval with `t_ms` (the interval's
/// end), `dur_ms`, `job`, and `read`/`write` each {iops, bw_bytes, ...}), replayed on an
/// emulated volume: each interval's I/Os and bytes become the demand for that interval of
/// virtual time.
public struct SeriesDemand: Sendable {
    public struct Interval: Sendable, Equatable {
        public var startNs: UInt64
        public var durationNs: UInt64
        /// I/Os and bytes per direction (read, write) in the interval.
        public var ios: [UInt64]
        public var bytes: [UInt64]
    }

    /// Per job, in the order jobs first appear: its intervals in file order.
    public var jobs: [(name: String, intervals: [Interval])]

    /// Parses series text; errors name `path` and the line.
    public static func parse(text: String, path: String) throws -> SeriesDemand {
        var jobs: [(name: String, intervals: [Interval])] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let place = "\(path):\(n + 1)"
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw BlockLabError.usage("\(place): not a JSON object (expected a line of a --write-series file)")
            }
            func number(_ v: Any?, _ key: String) throws -> Double {
                guard let x = (v as? NSNumber)?.doubleValue, x.isFinite, x >= 0 else {
                    throw BlockLabError.usage("\(place): '\(key)' must be a number of at least 0")
                }
                return x
            }
            let end = try number(obj["t_ms"], "t_ms"), dur = try number(obj["dur_ms"], "dur_ms")
            guard dur > 0, dur <= end else { throw BlockLabError.usage("\(place): 'dur_ms' must be more than 0 and at most 't_ms'") }
            var iv = Interval(startNs: UInt64(((end - dur) * 1e6).rounded()), durationNs: UInt64((dur * 1e6).rounded()),
                              ios: [0, 0], bytes: [0, 0])
            for (i, d) in ["read", "write"].enumerated() {
                guard let o = obj[d] else { continue }
                guard let dir = o as? [String: Any] else { throw BlockLabError.usage("\(place): '\(d)' must be an object") }
                iv.ios[i] = UInt64((try number(dir["iops"], "\(d).iops") * dur / 1000).rounded())
                iv.bytes[i] = UInt64((try number(dir["bw_bytes"], "\(d).bw_bytes") * dur / 1000).rounded())
                if iv.ios[i] > 0 && iv.bytes[i] < iv.ios[i] {
                    throw BlockLabError.usage("\(place): '\(d)' has fewer bytes than I/Os")
                }
            }
            let name = obj["job"] as? String ?? ""
            if let j = jobs.firstIndex(where: { $0.name == name }) { jobs[j].intervals.append(iv) } else { jobs.append((name, [iv])) }
        }
        guard !jobs.isEmpty else { throw BlockLabError.usage("\(path): no intervals (empty series file)") }
        return SeriesDemand(jobs: jobs)
    }

    /// Total I/Os demanded.
    public var totalIOs: UInt64 { jobs.reduce(0) { $0 + $1.intervals.reduce(0) { $0 + $1.ios[0] + $1.ios[1] } } }

    /// Phases: the k-th interval of every job plays together (one stream per job), each
    /// spread evenly over the interval and queued up to `iodepth` deep, so the volume rather
    /// than the queue limits it; demand still queued when its interval ends is dropped (the
    /// next interval brings its own). Offsets are random (a series records no offsets), so
    /// EBS counts each I/O as its own operation(s). Gaps between intervals are idle time.
    public func phases(volumeSize: UInt64, iodepth: Int = 256, seed: UInt64 = 0x5E81E5) -> [SimPhase] {
        var out: [SimPhase] = []
        var clock: UInt64 = 0
        let count = jobs.map(\.intervals.count).max() ?? 0
        for k in 0..<count {
            let members = jobs.enumerated().compactMap { j, job in k < job.intervals.count ? (j, job.intervals[k]) : nil }
            let start = members.map(\.1.startNs).min()!
            if start > clock { out.append(.idle(runtimeNs: start - clock)); clock = start }
            let duration = members.map(\.1.durationNs).max()!
            let streams = members.map { j, iv in
                SimStream(source: DemandSource(iv, volumeSize: volumeSize, seed: seed &+ UInt64(j) &* 0x9E37_79B9 &+ UInt64(k)),
                          iodepth: iodepth, rateIOs: iv.ios, ratePeriodNs: iv.durationNs)
            }
            out.append(SimPhase(name: "interval \(k + 1)", streams: streams, runtimeNs: duration))
            clock += duration
        }
        return out
    }
}

/// One interval's I/Os: reads and writes interleaved in proportion, each direction's bytes
/// split exactly over its I/Os, at random 4 KiB-aligned offsets.
struct DemandSource: SimIOSource {
    let ios: [UInt64], bytes: [UInt64]
    var done: [UInt64] = [0, 0]
    var rng: SplitMix64
    let volumeSize: UInt64

    init(_ iv: SeriesDemand.Interval, volumeSize: UInt64, seed: UInt64) {
        ios = iv.ios; bytes = iv.bytes; self.volumeSize = volumeSize
        rng = SplitMix64(seed: seed)
    }

    mutating func next() -> PlannedIO? {
        let total = ios[0] + ios[1]
        let n = done[0] + done[1]
        guard n < total else { return nil }
        // Read next while reads are behind their share of the I/Os so far.
        let d = done[0] < ios[0] && (done[1] >= ios[1] || done[0] * total <= n * ios[0]) ? 0 : 1
        let i = done[d]
        // The i-th of n I/Os carrying B bytes: floor((i+1)B/n) - floor(iB/n), so they sum to B.
        let length = (i + 1) * bytes[d] / ios[d] - i * bytes[d] / ios[d]
        done[d] += 1
        let slots = volumeSize > length ? (volumeSize - length) / 4096 + 1 : 1
        let offset = (rng.next() % slots) * 4096
        return PlannedIO(direction: d == 0 ? .read : .write, offset: offset, length: UInt32(min(length, UInt64(UInt32.max))))
    }
}
