import BlockLabCore
#if canImport(Glibc)
import Glibc
#endif

/// The statistics of a comparison, as Go's benchstat does them: medians with a
/// distribution-free confidence interval from order statistics, the Mann-Whitney U test for
/// a difference, and a geometric mean across workloads. Nothing here assumes normality.
public enum Statistics {
    /// The median (mean of the two middle values for an even count); nil when empty.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let m = s.count / 2
        return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
    }

    /// The symmetric order-statistic interval for the median: the 0-based indices (k, n-1-k)
    /// of the sorted sample with the largest k whose coverage 1 - 2·P(B ≤ k), B ~ Bin(n, ½),
    /// is at least `confidence`; nil when even (0, n-1) covers less (n < 6 at 95 %).
    public static func medianIntervalIndices(n: Int, confidence: Double = 0.95) -> (lower: Int, upper: Int, coverage: Double)? {
        guard n > 0 else { return nil }
        var best: (Int, Int, Double)?
        var cdf = 0.0
        for k in 0..<((n + 1) / 2) {
            cdf += binomialHalf(n: n, k: k)
            let coverage = 1 - 2 * cdf
            if coverage >= confidence { best = (k, n - 1 - k, coverage) } else { break }
        }
        return best
    }

    /// The median's confidence interval (values), or nil when the sample is too small.
    public static func medianInterval(_ values: [Double], confidence: Double = 0.95) -> (lower: Double, upper: Double)? {
        guard let (l, u, _) = medianIntervalIndices(n: values.count, confidence: confidence) else { return nil }
        let s = values.sorted()
        return (s[l], s[u])
    }

    /// P(B = k) for B ~ Binomial(n, 1/2), through logarithms so large n do not overflow.
    static func binomialHalf(n: Int, k: Int) -> Double {
        exp(lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) - Double(n) * log(2.0))
    }

    /// Geometric mean of positive values; nil if any is not positive or there are none.
    public static func geometricMean(_ values: [Double]) -> Double? {
        guard !values.isEmpty, values.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        return exp(values.reduce(0) { $0 + log($1) } / Double(values.count))
    }

    public struct MannWhitney: Sendable, Equatable {
        /// U of the first sample (scipy's `statistic`).
        public var u: Double
        /// Two-sided p-value.
        public var p: Double
        public var exact: Bool
    }

    /// The two-sided Mann-Whitney U test, with scipy.stats.mannwhitneyu's method choice:
    /// the exact distribution when there are no ties and either sample has at most 8 values,
    /// otherwise the normal approximation with tie correction and continuity correction.
    /// (Unlike scipy, the exact table is used only while the other sample has at most 200
    /// values, so its size stays small; beyond that the two methods agree closely.)
    public static func mannWhitney(_ x: [Double], _ y: [Double]) -> MannWhitney? {
        let n1 = x.count, n2 = y.count
        guard n1 > 0, n2 > 0 else { return nil }
        // Midranks over the pooled sample.
        let pooled = (x.map { ($0, 0) } + y.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        var ranks = [Double](repeating: 0, count: pooled.count)
        var tieTerm = 0.0
        var i = 0
        while i < pooled.count {
            var j = i
            while j + 1 < pooled.count && pooled[j + 1].0 == pooled[i].0 { j += 1 }
            let rank = Double(i + j + 2) / 2
            for k in i...j { ranks[k] = rank }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        var r1 = 0.0
        for (k, item) in pooled.enumerated() where item.1 == 0 { r1 += ranks[k] }
        let u1 = r1 - Double(n1 * (n1 + 1)) / 2
        let u2 = Double(n1 * n2) - u1
        let big = max(u1, u2)
        if tieTerm == 0 && (n1 <= 8 || n2 <= 8) && max(n1, n2) <= 200 {
            // P(U >= big) under H0 from the exact null distribution (counts of arrangements).
            let counts = exactUCounts(n1, n2)
            let total = counts.reduce(0, +)
            var upper = 0.0
            for u in Int(big.rounded())..<counts.count { upper += counts[u] }
            return MannWhitney(u: u1, p: min(1, 2 * upper / total), exact: true)
        }
        let n = Double(n1 + n2)
        let mu = Double(n1 * n2) / 2
        let sigma = (Double(n1 * n2) / 12 * ((n + 1) - tieTerm / (n * (n - 1)))).squareRoot()
        guard sigma > 0 else { return MannWhitney(u: u1, p: 1, exact: false) }
        let z = (big - mu - 0.5) / sigma
        return MannWhitney(u: u1, p: min(1, max(0, erfc(z / 2.0.squareRoot()))), exact: false)
    }

    /// How many of the C(n1+n2, n1) arrangements give each U (0 ... n1·n2): the recurrence
    /// f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u), in doubles (exact up to 2^53).
    static func exactUCounts(_ n1: Int, _ n2: Int) -> [Double] {
        // table[n][u] for the current m.
        var prev = [[Double]](repeating: [1], count: n2 + 1) // m = 0: U = 0 only
        if n1 == 0 { return prev[n2] }
        for m in 1...n1 {
            var cur = [[Double]](repeating: [], count: n2 + 1)
            cur[0] = [1] // n = 0: U = 0 only
            if n2 >= 1 {
                for n in 1...n2 {
                    var row = [Double](repeating: 0, count: m * n + 1)
                    let a = prev[n] // f(m-1, n, u - n)
                    for (u, c) in a.enumerated() where u + n < row.count { row[u + n] += c }
                    let b = cur[n - 1] // f(m, n-1, u)
                    for (u, c) in b.enumerated() where u < row.count { row[u] += c }
                    cur[n] = row
                }
            }
            prev = cur
        }
        return prev[n2]
    }
}

/// A latency distribution as histogram bins (value in ns, count), ascending, as BlockLab
/// writes `lat_histogram_ns` and fio's json+ writes `bins`.
public struct LatencyHistogram: Sendable, Equatable {
    public private(set) var values: [UInt64] = []
    public private(set) var counts: [UInt64] = []
    public var total: UInt64 { counts.reduce(0, +) }

    public init() {}

    public init(bins: [(UInt64, UInt64)]) {
        var merged: [UInt64: UInt64] = [:]
        for (v, c) in bins where c > 0 { merged[v, default: 0] += c }
        values = merged.keys.sorted()
        counts = values.map { merged[$0]! }
    }

    public mutating func add(_ other: LatencyHistogram) {
        self = LatencyHistogram(bins: Array(zip(values, counts)) + Array(zip(other.values, other.counts)))
    }

    public var isEmpty: Bool { values.isEmpty }

    /// The value at fraction `q` (0...1): the smallest bin whose cumulative count reaches
    /// q·total (at least the first I/O), as HDR and fio read percentiles.
    public func quantile(_ q: Double) -> Double? {
        let n = total
        guard n > 0 else { return nil }
        let rank = max(1, UInt64((q * Double(n)).rounded(.up)))
        var seen: UInt64 = 0
        for (v, c) in zip(values, counts) {
            seen += c
            if seen >= rank { return Double(v) }
        }
        return Double(values.last!)
    }
}

/// The confidence interval of a difference of tail percentiles (new − base) by the
/// bootstrap over the merged histograms, deterministic for a seed.
///
/// Resampling n values from a histogram and taking the value at rank k (k = ⌈q·n⌉) is the
/// same, in distribution, as drawing U ~ Beta(k, n−k+1) (the k-th of n sorted uniforms) and
/// reading the histogram's quantile at U: each resample then costs O(log bins), not O(n),
/// so millions of I/Os bootstrap in milliseconds with no approximation.
public enum TailBootstrap {
    public struct Interval: Sendable, Equatable {
        public var difference: Double
        public var lower: Double
        public var upper: Double
        /// The interval excludes 0.
        public var significant: Bool { lower > 0 || upper < 0 }
    }

    public static func differenceInterval(base: LatencyHistogram, new: LatencyHistogram, quantile q: Double,
                                          resamples: Int = 2000, confidence: Double = 0.95, seed: UInt64 = 0x5EED) -> Interval? {
        guard let b0 = base.quantile(q), let n0 = new.quantile(q) else { return nil }
        var rng = Xoshiro256(seed: seed)
        let bs = Sampler(base), ns = Sampler(new)
        var diffs: [Double] = []
        diffs.reserveCapacity(resamples)
        for _ in 0..<resamples {
            diffs.append(ns.resampledQuantile(q, &rng) - bs.resampledQuantile(q, &rng))
        }
        diffs.sort()
        let alpha = (1 - confidence) / 2
        let lo = diffs[min(diffs.count - 1, Int((alpha * Double(resamples)).rounded(.down)))]
        let hi = diffs[min(diffs.count - 1, Int(((1 - alpha) * Double(resamples)).rounded(.up)) - 1)]
        return Interval(difference: n0 - b0, lower: lo, upper: hi)
    }

    struct Sampler {
        let values: [Double]
        /// Cumulative fraction at each bin's end.
        let cumulative: [Double]
        let n: Double

        init(_ h: LatencyHistogram) {
            values = h.values.map { Double($0) }
            let total = Double(h.total)
            var acc = 0.0
            cumulative = h.counts.map { acc += Double($0); return acc / total }
            n = total
        }

        func resampledQuantile(_ q: Double, _ rng: inout Xoshiro256) -> Double {
            let k = max(1, (q * n).rounded(.up))
            let u = Random.beta(k, n - k + 1, &rng)
            var lo = 0, hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] >= u { hi = mid } else { lo = mid + 1 }
            }
            return values[lo]
        }
    }
}

/// Seeded draws for the bootstrap.
enum Random {
    static func uniform(_ rng: inout Xoshiro256) -> Double {
        // 53 random bits in (0, 1).
        (Double(rng.next() >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    static func normal(_ rng: inout Xoshiro256) -> Double {
        let u1 = uniform(&rng), u2 = uniform(&rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Gamma(shape ≥ 1) by Marsaglia and Tsang's method.
    static func gamma(_ shape: Double, _ rng: inout Xoshiro256) -> Double {
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = normal(&rng)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = uniform(&rng)
            if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    /// Beta(a, b) with a, b ≥ 1.
    static func beta(_ a: Double, _ b: Double, _ rng: inout Xoshiro256) -> Double {
        let x = gamma(a, &rng), y = gamma(b, &rng)
        return x / (x + y)
    }
}
