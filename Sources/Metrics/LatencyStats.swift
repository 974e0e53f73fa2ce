import Histogram

/// fio's default `percentile_list`.
public let fioDefaultPercentiles: [Double] = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99]

/// One latency figure (slat, clat or lat) of one direction, in nanoseconds.
///
/// min/max/mean/stddev are exact (running sums, Welford for the variance); percentiles come
/// from an HDR histogram with 2 significant digits: buckets are at most 1/128 of the value
/// wide (the same resolution as fio's log-linear histogram) and a percentile reports its
/// bucket's midpoint, so its error is under 0.4 %.
public struct LatencyStats: Sendable {
    /// Values above this (1 hour) are counted in the last bucket; min/max stay exact.
    public static let highestTrackableNs: UInt64 = 3_600 * 1_000_000_000

    public private(set) var count: UInt64 = 0
    public private(set) var min: UInt64 = 0
    public private(set) var max: UInt64 = 0
    /// Exact sum of the values (mean = sum / count).
    public private(set) var sum: UInt64 = 0
    private var welfordMean: Double = 0
    private var m2: Double = 0
    var histogram: Histogram<UInt64>

    public init() {
        histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: LatencyStats.highestTrackableNs,
                                      numberOfSignificantValueDigits: .two)
    }

    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    /// Sample standard deviation (n - 1, as fio).
    public var stddev: Double { count > 1 ? (m2 / Double(count - 1)).squareRoot() : 0 }

    @inline(__always)
    public mutating func record(_ value: UInt64) {
        if count == 0 || value < min { min = value }
        if value > max { max = value }
        count &+= 1
        sum &+= value
        let delta = Double(value) - welfordMean
        welfordMean += delta / Double(count)
        m2 += delta * (Double(value) - welfordMean)
        histogram.record(value < LatencyStats.highestTrackableNs ? value : LatencyStats.highestTrackableNs)
    }

    /// The value at percentile `p` (0...100): its histogram bucket's midpoint, clamped to the
    /// exact min and max. 0 when nothing was recorded.
    public func percentile(_ p: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let v = histogram.valueAtPercentile(p)
        let mid = histogram.medianEquivalentForValue(v)
        return Swift.min(Swift.max(mid, min), max)
    }

    /// (percentile, value) for each of `list`.
    public func percentiles(_ list: [Double] = fioDefaultPercentiles) -> [(Double, UInt64)] {
        list.map { ($0, percentile($0)) }
    }

    /// fio's bins (json+): (bin midpoint, count) for each non-empty bin in ascending order.
    /// Exact, not estimated: every histogram bucket (2 significant digits: 128 per power of
    /// two, unit-wide below 256) lies inside one of fio's (64 per power of two, unit-wide
    /// below 128), both aligned to powers of two.
    public func fioBins() -> [(value: UInt64, count: UInt64)] {
        guard count > 0 else { return [] }
        var counts: [Int: UInt64] = [:]
        for v in histogram.recordedValues() where v.count > 0 {
            counts[FioBins.index(histogram.lowestEquivalentForValue(v.value)), default: 0] += UInt64(v.count)
        }
        return counts.keys.sorted().map { (FioBins.value($0), counts[$0]!) }
    }

    /// The histogram's non-empty buckets as (value, count), ascending; each value is its
    /// bucket's midpoint (as `percentile` reports), so the bins stand for the distribution
    /// within the histogram's 2-digit resolution. Written to results for comparisons.
    public var bins: [(valueNs: UInt64, count: UInt64)] {
        guard count > 0 else { return [] }
        var out: [(valueNs: UInt64, count: UInt64)] = []
        for v in histogram.recordedValues() where v.count > 0 {
            out.append((histogram.medianEquivalentForValue(v.value), v.count))
        }
        return out
    }

    /// Adds another set of values (Chan et al.'s parallel variance combination).
    public mutating func merge(_ other: LatencyStats) {
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let n1 = Double(count), n2 = Double(other.count)
        let delta = other.welfordMean - welfordMean
        let n = n1 + n2
        welfordMean += delta * n2 / n
        m2 += other.m2 + delta * delta * n1 * n2 / n
        count += other.count
        sum &+= other.sum
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
        histogram.add(other.histogram)
    }
}

/// min/max/mean/stddev over per-window samples (fio's bw_* and iops_*).
public struct SampleStats: Sendable, Equatable {
    public var samples: Int = 0
    public var min: Double = 0
    public var max: Double = 0
    public var mean: Double = 0
    /// Sample standard deviation (n - 1, as fio).
    public var stddev: Double = 0

    public init() {}

    public init(_ values: [Double]) {
        guard !values.isEmpty else { return }
        samples = values.count
        min = values.min()!
        max = values.max()!
        var m = 0.0, s = 0.0, n = 0.0
        for v in values {
            n += 1
            let d = v - m
            m += d / n
            s += d * (v - m)
        }
        mean = m
        stddev = values.count > 1 ? (s / (n - 1)).squareRoot() : 0
    }
}
