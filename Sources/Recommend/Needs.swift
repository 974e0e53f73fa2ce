import BlockLabCore
import Foundation
import Metrics
import VolumeModel

/// Whether the data must outlive the instance's stop or its host's failure (instance store
/// loses it in both).
public enum Durability: String, Sendable, CaseIterable {
    case stop
    case hostFailure = "host-failure"
    case none
}

/// What the workload needs: demand to replay (steady, from flags or a result, or a recorded
/// series), capacity, latency and durability.
public struct Needs: Sendable {
    public var demand: [DemandInterval]
    /// Steady demand (flags, a result) must be met once every credit bucket is empty; a
    /// recorded series must be met as it played.
    public var steady: Bool
    public var pattern: AccessPattern
    /// Capacity to provision, growth included (GiB).
    public var capacityGiB: UInt64
    public var latencyTargetUs: Double?
    public var latencyPercentile: Double
    public var durability: Durability
    /// I/Os the application keeps in flight (for queueing latency when a limit holds it back).
    public var queueDepth: Int
    /// Where the demand came from, for the report.
    public var source: String

    public init(demand: [DemandInterval], steady: Bool, pattern: AccessPattern, capacityGiB: UInt64, latencyTargetUs: Double?,
                latencyPercentile: Double, durability: Durability, queueDepth: Int, source: String) {
        self.demand = demand; self.steady = steady; self.pattern = pattern; self.capacityGiB = capacityGiB
        self.latencyTargetUs = latencyTargetUs; self.latencyPercentile = latencyPercentile; self.durability = durability
        self.queueDepth = queueDepth; self.source = source
    }

    /// Peak and mean demand over the intervals (raw I/Os and bytes per second).
    public var peakIOPS: Double { demand.map { Double($0.ios[0] + $0.ios[1]) * 1e9 / Double($0.durationNs) }.max() ?? 0 }
    public var peakBytesPerSec: Double { demand.map { Double($0.bytes[0] + $0.bytes[1]) * 1e9 / Double($0.durationNs) }.max() ?? 0 }
    public var totalIOs: Double { demand.reduce(0) { $0 + Double($1.ios[0] + $1.ios[1]) } }
    public var totalBytes: Double { demand.reduce(0) { $0 + Double($1.bytes[0] + $1.bytes[1]) } }
    public var meanIOSize: Double { totalIOs == 0 ? 0 : totalBytes / totalIOs }
    public var readPercent: Double {
        let r = demand.reduce(0.0) { $0 + Double($1.ios[0]) }
        return totalIOs == 0 ? 100 : r * 100 / totalIOs
    }
    /// The busiest interval's rates (for validating and emitting).
    public var peakInterval: DemandInterval? {
        demand.max { Double($0.ios[0] + $0.ios[1]) / Double($0.durationNs) < Double($1.ios[0] + $1.ios[1]) / Double($1.durationNs) }
    }
}

/// The needs as given on the command line, before checking (numbers as text, so every
/// message names the option and the value).
public struct NeedsInput: Sendable {
    public var iops: String?
    public var mibps: String?
    public var blockSize: String?
    public var readPercent: String?
    public var sequential = false
    public var capacity: String?
    public var growth: String?
    public var latencyTarget: String?
    public var latencyPercentile: String?
    public var durable: String = "stop"
    public var iodepth: String?
    public var from: String?
    public var series: String?
    public var period: String?

    public init() {}

    /// Checks every value and builds the needs. Bad input is a usage error naming the
    /// option (or file and line) and the value.
    public func needs() throws -> Needs {
        guard let durability = Durability(rawValue: durable) else {
            throw BlockLabError.usage("--durable: expected stop, host-failure or none, got '\(Text.escaped(durable))'")
        }
        let sources = [iops != nil || mibps != nil, from != nil, series != nil].filter { $0 }.count
        guard sources == 1 else {
            throw BlockLabError.usage(sources == 0
                ? "recommend: give the needs: --iops and/or --mibps, or --from RESULT, or --series FILE"
                : "recommend: give one of --iops/--mibps, --from RESULT or --series FILE, not several")
        }
        let pct = try readPercent.map { try Self.number($0, "--read-pct", atMost: 100) }
        let bs = try blockSize.map { try Self.size($0, "--bs", atMost: 64 * Units.MiB) }
        let depth = try iodepth.map { try Self.number($0, "--iodepth", atMost: 65536, whole: true) }.map { Int($0) } ?? 32
        guard depth >= 1 else { throw BlockLabError.usage("--iodepth: must be at least 1") }
        var capGiB = try capacity.map { try Self.size($0, "--capacity", atMost: 1 << 50) }.map { ($0 + Units.GiB - 1) / Units.GiB }
        if let g = growth {
            let pctGrowth = try Self.number(g.hasSuffix("%") ? String(g.dropLast()) : g, "--growth", atMost: 10_000)
            guard let c = capGiB else { throw BlockLabError.usage("--growth: needs --capacity (growth is a percentage of it)") }
            capGiB = UInt64((Double(c) * (1 + pctGrowth / 100)).rounded(.up))
        }
        let latency = try latencyTarget.map { Double(try Units.parseDuration($0, defaultUnitNs: 1_000_000, what: "--latency-target")) / 1000 }
        if let l = latency, l <= 0 { throw BlockLabError.usage("--latency-target: must be more than 0") }
        let percentile = try latencyPercentile.map { try Self.number($0.hasPrefix("p") ? String($0.dropFirst()) : $0, "--percentile", atMost: 99.999) } ?? 99
        guard percentile >= 50 else { throw BlockLabError.usage("--percentile: must be between 50 and 99.999, got '\(latencyPercentile!)'") }

        var needs = Needs(demand: [], steady: true, pattern: sequential ? .sequential : .random, capacityGiB: capGiB ?? 0,
                          latencyTargetUs: latency, latencyPercentile: percentile, durability: durability, queueDepth: depth, source: "")
        if iops != nil || mibps != nil {
            let ops = try iops.map { try Self.number($0, "--iops", atMost: 1e8) }
            let mib = try mibps.map { try Self.number($0, "--mibps", atMost: 1e7) }
            if let o = ops, o <= 0 { throw BlockLabError.usage("--iops: must be more than 0") }
            if let m = mib, m <= 0 { throw BlockLabError.usage("--mibps: must be more than 0") }
            // I/Os and bytes per second: the I/O size is --bs, else what the two rates imply,
            // else 16 KiB (EBS's rating size for SSD IOPS) or 1 MiB for throughput alone.
            var bytesPerSec = mib.map { $0 * Double(Units.MiB) }
            var ioRate = ops
            switch (ioRate, bytesPerSec, bs) {
            case let (o?, b?, size?):
                bytesPerSec = max(b, o * Double(size)); ioRate = bytesPerSec! / Double(size)
            case let (o?, nil, size): bytesPerSec = o * Double(size ?? 16 * Units.KiB)
            case let (nil, b?, size): ioRate = b / Double(size ?? Units.MiB)
            default: break
            }
            guard capGiB != nil else { throw BlockLabError.usage("--capacity: required with --iops/--mibps (how much data, e.g. 500g)") }
            try Self.checkRates(ioRate: ioRate!, bytesPerSec: bytesPerSec!, what: "--iops/--mibps/--bs")
            needs.demand = Self.steady(ioRate: ioRate!, bytesPerSec: bytesPerSec!, readPercent: pct ?? 100)
            needs.source = "flags"
        } else if let from {
            let r = try Self.fromResult(from)
            try Self.checkRates(ioRate: r.iops, bytesPerSec: r.bytesPerSec, what: "--from \(Text.escaped(from))")
            if pct != nil || bs != nil { throw BlockLabError.usage("--from: the result gives the I/O size and mix; drop --bs and --read-pct") }
            needs.demand = Self.steady(ioRate: r.iops, bytesPerSec: r.bytesPerSec, readPercent: r.readPercent)
            needs.pattern = sequential ? .sequential : r.pattern
            needs.source = "result \(from) (\(r.producer), \(r.jobs) job\(r.jobs == 1 ? "" : "s"))"
            if needs.capacityGiB == 0 { throw BlockLabError.usage("--capacity: required with --from (a result does not say how much data there is)") }
        } else if let series {
            let periodNs = try period.map { try Units.parseDuration($0, defaultUnitNs: NS.perSecond, what: "--period") }
            let s = try SeriesFile.load(series, periodNs: periodNs)
            needs.demand = s.intervals
            needs.steady = false
            needs.source = "series \(series) (\(s.format), \(s.intervals.count) intervals)"
            if pct != nil || bs != nil { throw BlockLabError.usage("--series: the series gives the I/O size and mix; drop --bs and --read-pct") }
            if needs.capacityGiB == 0 { throw BlockLabError.usage("--capacity: required with --series (a series does not say how much data there is)") }
        }
        guard needs.totalIOs > 0 else { throw BlockLabError.usage("recommend: the demand has no I/O (\(needs.source))") }
        return needs
    }

    /// One day of constant demand (one interval): credit buckets start full, so the
    /// replay also says how long a burst lasts.
    static func steady(ioRate: Double, bytesPerSec: Double, readPercent: Double) -> [DemandInterval] {
        let day: UInt64 = 86_400
        let ios = max(1, UInt64((ioRate * Double(day)).rounded()))
        let bytes = max(ios, UInt64((bytesPerSec * Double(day)).rounded()))
        let rIOs = UInt64((Double(ios) * readPercent / 100).rounded()), wIOs = ios - rIOs
        let rBytes = ios == 0 ? 0 : UInt64((Double(bytes) * Double(rIOs) / Double(ios)).rounded())
        return [DemandInterval(startNs: 0, durationNs: day * NS.perSecond, ios: [rIOs, wIOs], bytes: [rBytes, bytes - rBytes])]
    }

    /// A steady day of demand must stay countable in 64 bits: at most 10^9 I/Os and 2^47 bytes
    /// (128 TiB) a second (a day of 2^47 B/s is 1.2 x 10^19 bytes, under 2^64).
    static func checkRates(ioRate: Double, bytesPerSec: Double, what: String) throws {
        guard ioRate.isFinite, bytesPerSec.isFinite, ioRate <= 1e9, bytesPerSec <= Double(1 << 47) else {
            throw BlockLabError.usage("\(what): \(Units.formatDecimal(ioRate, places: 0)) I/Os and \(Units.formatDecimal(bytesPerSec, places: 0)) bytes a second "
                + "is more than 10^9 I/Os or 128 TiB a second")
        }
    }

    static func number(_ text: String, _ option: String, atMost limit: Double, whole: Bool = false) throws -> Double {
        guard let v = Double(text), v.isFinite, v >= 0 else {
            throw BlockLabError.usage("\(option): expected a number of at least 0, got '\(Text.escaped(text))'")
        }
        guard v <= limit else { throw BlockLabError.usage("\(option): must be at most \(limit == limit.rounded() ? Units.formatDecimal(limit, places: 0) : "\(limit)"), got '\(Text.escaped(text))'") }
        guard !whole || v == v.rounded() else { throw BlockLabError.usage("\(option): expected a whole number, got '\(Text.escaped(text))'") }
        return v
    }

    static func size(_ text: String, _ option: String, atMost limit: UInt64) throws -> UInt64 {
        let v = try Units.parseSize(text, what: option)
        guard v > 0 else { throw BlockLabError.usage("\(option): must be more than 0") }
        guard v <= limit else { throw BlockLabError.usage("\(option): must be at most \(Units.formatBytes(limit)), got '\(Text.escaped(text))'") }
        return v
    }

    /// A BlockLab or fio JSON result (recognised by content): total IOPS and bandwidth, the
    /// mix, and random or sequential from the first job's rw.
    static func fromResult(_ path: String) throws -> (iops: Double, bytesPerSec: Double, readPercent: Double, pattern: AccessPattern,
                                                     producer: String, jobs: Int) {
        let data = try InputFile.read(path, limit: InputLimits.maxSeriesFileBytes, what: "--from result")
        let s: FioJSONSummary
        do { s = try FioJSONSummary.parse(data, source: path) } catch BlockLabError.usage(let m) {
            throw BlockLabError.usage("--from: \(m)")
        }
        let r = s.total(.read), w = s.total(.write)
        let iops = r.iops + w.iops, bw = r.bwBytesPerSec + w.bwBytesPerSec
        guard iops > 0, iops.isFinite, bw.isFinite, iops <= 1e8 else {
            throw BlockLabError.usage("--from: \(Text.escaped(path)): the result has no I/O to size a volume for (IOPS \(iops))")
        }
        var pattern = AccessPattern.random
        if let obj = try? JSONSerialization.jsonObject(with: Data(FioJSONSummary.lastDocument(data))) as? [String: Any],
           let jobs = obj["jobs"] as? [[String: Any]], let opts = jobs.first?["job options"] as? [String: Any],
           let rw = (opts["rw"] ?? opts["readwrite"]) as? String, !rw.contains("rand") {
            pattern = .sequential
        }
        return (iops, max(bw, iops), r.iops * 100 / iops, pattern, s.producer, s.jobs.count)
    }
}
