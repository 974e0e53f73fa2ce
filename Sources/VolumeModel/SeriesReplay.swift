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

    /// Limits on what a series may demand, checked as each line is read: `t_ms` within 100
    /// years, at most 10^9 IOPS and 2^50 bytes/s (1 PiB/s) per direction, and 10^12 I/Os in
    /// the whole file (a day or more of simulation: each I/O is stepped).
    public static let maxIOPS = 1e9
    public static let maxBytesPerSec = Double(1 << 50)
    public static let maxTotalIOs: UInt64 = 1_000_000_000_000

    /// Reads a series file (a regular file of at most `InputLimits.maxSeriesFileBytes`).
    public static func load(path: String) throws -> SeriesDemand {
        try parse(text: InputFile.text(path, limit: InputLimits.maxSeriesFileBytes, what: "series file"), path: path)
    }

    /// Parses series text; errors name `path` and the line.
    public static func parse(text: String, path: String) throws -> SeriesDemand {
        var jobs: [(name: String, intervals: [Interval])] = []
        var index: [String: Int] = [:]
        var total: UInt64 = 0
        let maxMs = Double(InputLimits.maxDurationNs / 1_000_000)
        let file = Text.escaped(path)
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let place = "\(file):\(n + 1)"
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw BlockLabError.usage("\(place): not a JSON object (expected a line of a --write-series file)")
            }
            func number(_ v: Any?, _ key: String, atMost limit: Double, _ what: String) throws -> Double {
                guard let x = (v as? NSNumber)?.doubleValue, x.isFinite, x >= 0 else {
                    throw BlockLabError.usage("\(place): '\(key)' must be a number of at least 0")
                }
                guard x <= limit else {
                    throw BlockLabError.usage("\(place): '\(key)' is \(x), more than \(what)")
                }
                return x
            }
            let end = try number(obj["t_ms"], "t_ms", atMost: maxMs, "100 years")
            let dur = try number(obj["dur_ms"], "dur_ms", atMost: maxMs, "100 years")
            guard dur > 0, dur <= end else { throw BlockLabError.usage("\(place): 'dur_ms' must be more than 0 and at most 't_ms'") }
            // Both within 100 years in ns: the conversions cannot fail.
            var iv = Interval(startNs: InputLimits.uint64(((end - dur) * 1e6).rounded()) ?? 0,
                              durationNs: max(1, InputLimits.uint64((dur * 1e6).rounded()) ?? 1),
                              ios: [0, 0], bytes: [0, 0])
            for (i, d) in ["read", "write"].enumerated() {
                guard let o = obj[d] else { continue }
                guard let dir = o as? [String: Any] else { throw BlockLabError.usage("\(place): '\(d)' must be an object") }
                let iops = try number(dir["iops"], "\(d).iops", atMost: maxIOPS, "10^9 I/Os per second")
                let bw = try number(dir["bw_bytes"], "\(d).bw_bytes", atMost: maxBytesPerSec, "2^50 bytes (1 PiB) per second")
                // At most 10^9 x 3.2e9 s and 2^50 x 3.2e9 s: the I/O count fits; the bytes are
                // held to 2^60 per interval.
                guard let ios = InputLimits.uint64((iops * dur / 1000).rounded(), atMost: maxTotalIOs),
                      let bytes = InputLimits.uint64((bw * dur / 1000).rounded(), atMost: InputLimits.maxBytes) else {
                    throw BlockLabError.usage("\(place): '\(d)': \(iops) IOPS and \(bw) bytes/s over \(dur) ms is more than "
                        + "10^12 I/Os or 2^60 bytes in one interval")
                }
                iv.ios[i] = ios
                iv.bytes[i] = bytes
                if iv.ios[i] > 0 && iv.bytes[i] < iv.ios[i] {
                    throw BlockLabError.usage("\(place): '\(d)' has fewer bytes than I/Os")
                }
                total += ios
                guard total <= maxTotalIOs else {
                    throw BlockLabError.usage("\(place): the series demands more than 10^12 I/Os in all (a limit of the replay)")
                }
            }
            let name = obj["job"] as? String ?? ""
            // Clones of one job share its name; `jobnum` (fio's job number) tells them apart.
            let key = (obj["jobnum"] as? NSNumber).map { "\(name)\u{0}\($0.intValue)" } ?? name
            if let j = index[key] { jobs[j].intervals.append(iv) } else { index[key] = jobs.count; jobs.append((name, [iv])) }
        }
        guard !jobs.isEmpty else { throw BlockLabError.usage("\(file): no intervals (empty series file)") }
        return SeriesDemand(jobs: jobs)
    }

    /// Total I/Os demanded (at most `maxTotalIOs` for a parsed series).
    public var totalIOs: UInt64 { jobs.reduce(0) { $0 &+ $1.intervals.reduce(0) { $0 &+ $1.ios[0] &+ $1.ios[1] } } }

    /// The virtual time the replay plays (the end of the last phase), nil if it overflows.
    public var playedNs: UInt64? {
        var clock: UInt64 = 0
        let count = jobs.map(\.intervals.count).max() ?? 0
        for k in 0..<count {
            let members = jobs.compactMap { k < $0.intervals.count ? $0.intervals[k] : nil }
            clock = max(clock, members.map(\.startNs).min()!)
            let (next, overflow) = clock.addingReportingOverflow(members.map(\.durationNs).max()!)
            if overflow { return nil }
            clock = next
        }
        return clock
    }

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
            clock = clock.addingReportingOverflow(duration).overflow ? .max : clock + duration
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
        // Products in full width: a series may demand up to 10^12 I/Os and 2^60 bytes.
        let behind = Self.lessOrEqual(done[0].multipliedFullWidth(by: total), n.multipliedFullWidth(by: ios[0]))
        let d = done[0] < ios[0] && (done[1] >= ios[1] || behind) ? 0 : 1
        let i = done[d]
        // The i-th of n I/Os carrying B bytes: floor((i+1)B/n) - floor(iB/n), so they sum to B.
        let length = Self.share(i + 1, bytes[d], ios[d]) - Self.share(i, bytes[d], ios[d])
        done[d] += 1
        let slots = volumeSize > length ? (volumeSize - length) / 4096 + 1 : 1
        let offset = (rng.next() % slots) * 4096
        return PlannedIO(direction: d == 0 ? .read : .write, offset: offset, length: UInt32(min(length, UInt64(UInt32.max))))
    }

    /// floor(a × b / c) for a ≤ c (so the quotient fits).
    static func share(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        c.dividingFullWidth(a.multipliedFullWidth(by: b)).quotient
    }

    static func lessOrEqual(_ x: (high: UInt64, low: UInt64), _ y: (high: UInt64, low: UInt64)) -> Bool {
        x.high < y.high || (x.high == y.high && x.low <= y.low)
    }
}
