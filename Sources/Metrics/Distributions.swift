/// fio's bucketed distributions, kept as counts so that merging jobs is a sum; percentages
/// are computed only for output.
public struct Distributions: Sendable, Equatable {
    /// fio's `iodepth_level` keys: in-flight I/Os after a submit (1, 2-3, 4-7, ... >= 64).
    public static let depthKeys = ["1", "2", "4", "8", "16", "32", ">=64"]
    /// fio's `iodepth_submit` / `iodepth_complete` keys: I/Os per submit or per reap
    /// (0, 1-4, 5-8, 9-16, 17-32, 33-64, > 64).
    public static let batchKeys = ["0", "4", "8", "16", "32", "64", ">=64"]
    /// fio's `latency_ns` and `latency_us` keys (a key is the bucket's exclusive upper bound).
    public static let latencyKeys = ["2", "4", "10", "20", "50", "100", "250", "500", "750", "1000"]
    /// fio's `latency_ms` keys.
    public static let latencyMsKeys = latencyKeys + ["2000", ">=2000"]

    public var depth = [UInt64](repeating: 0, count: 7)
    public var submit = [UInt64](repeating: 0, count: 7)
    public var complete = [UInt64](repeating: 0, count: 7)
    /// Completion latency (clat, as fio) distribution over ns, us and ms ranges.
    public var latencyNs = [UInt64](repeating: 0, count: 10)
    public var latencyUs = [UInt64](repeating: 0, count: 10)
    public var latencyMs = [UInt64](repeating: 0, count: 12)
    /// Sum of completions returned by waits, and the number of waits.
    public var completionsReaped: UInt64 = 0
    public var waits: UInt64 = 0

    public init() {}

    @inline(__always)
    static func depthIndex(_ n: Int) -> Int {
        switch n {
        case ...1: return 0
        case 2...3: return 1
        case 4...7: return 2
        case 8...15: return 3
        case 16...31: return 4
        case 32...63: return 5
        default: return 6
        }
    }

    @inline(__always)
    static func batchIndex(_ n: Int) -> Int {
        switch n {
        case ...0: return 0
        case 1...4: return 1
        case 5...8: return 2
        case 9...16: return 3
        case 17...32: return 4
        case 33...64: return 5
        default: return 6
        }
    }

    /// Index within a 1000-unit range, as fio's io_u_mark_lat_{nsec,usec,msec}.
    @inline(__always)
    static func latencyIndex(_ v: UInt64) -> Int {
        switch v {
        case 0...1: return 0
        case 2...3: return 1
        case 4...9: return 2
        case 10...19: return 3
        case 20...49: return 4
        case 50...99: return 5
        case 100...249: return 6
        case 250...499: return 7
        case 500...749: return 8
        case 750...999: return 9
        case 1000...1999: return 10
        default: return 11
        }
    }

    @inline(__always)
    mutating func recordLatency(_ ns: UInt64) {
        if ns < 1_000 {
            latencyNs[Distributions.latencyIndex(ns)] &+= 1
        } else if ns < 1_000_000 {
            latencyUs[Distributions.latencyIndex(ns / 1_000)] &+= 1
        } else {
            latencyMs[Distributions.latencyIndex(ns / 1_000_000)] &+= 1
        }
    }

    @inline(__always)
    mutating func recordReap(_ count: Int) {
        complete[Distributions.batchIndex(count)] &+= 1
        completionsReaped &+= UInt64(max(0, count))
        waits &+= 1
    }

    public var latencyTotal: UInt64 {
        latencyNs.reduce(0, +) + latencyUs.reduce(0, +) + latencyMs.reduce(0, +)
    }

    /// Mean completions per wait (0 if never recorded).
    public var completionsPerWait: Double { waits == 0 ? 0 : Double(completionsReaped) / Double(waits) }

    public mutating func merge(_ o: Distributions) {
        func add(_ a: inout [UInt64], _ b: [UInt64]) { for i in a.indices { a[i] += b[i] } }
        add(&depth, o.depth)
        add(&submit, o.submit)
        add(&complete, o.complete)
        add(&latencyNs, o.latencyNs)
        add(&latencyUs, o.latencyUs)
        add(&latencyMs, o.latencyMs)
        completionsReaped += o.completionsReaped
        waits += o.waits
    }

    /// Exact percentages of `counts` over `total` (fio floors small non-zero values to
    /// 0.01 or 0.1 for its text output; BlockLab keeps the true figure).
    public static func percentages(_ counts: [UInt64], total: UInt64) -> [Double] {
        counts.map { total == 0 ? 0 : Double($0) * 100 / Double(total) }
    }
}
