import BlockLabCore
import Foundation
import Testing
@testable import Compare

/// The statistics against reference values. Mann-Whitney U p-values are scipy 1.17.1's
/// `scipy.stats.mannwhitneyu(x, y, alternative='two-sided')` (method "auto": exact without
/// ties when either sample has at most 8 values, else normal with tie and continuity
/// correction), produced by:
///   python3 -c "from scipy.stats import mannwhitneyu as m; r=m(X, Y, alternative='two-sided'); print(r.statistic, repr(float(r.pvalue)))"
/// The median intervals are the order statistics whose binomial coverage
/// 1 - 2*binom.cdf(k, n, 0.5) >= 0.95 (scipy.stats.binom), which are the published tables'
/// (n = 10: the 2nd and 9th values, 97.85 %).
@Suite struct StatisticsTests {
    struct MWCase { let x: [Double]; let y: [Double]; let u: Double; let p: Double; let exact: Bool }

    static let mwCases: [MWCase] = [
        MWCase(x: [1, 2, 3, 4, 5], y: [6, 7, 8, 9, 10], u: 0, p: 0.007936507936507936, exact: true),
        MWCase(x: [1.1, 2.3, 3.5, 4.2], y: [2.0, 5.1, 6.3, 7.7], u: 3, p: 0.2, exact: true),
        MWCase(x: [10, 11, 12, 13], y: [10.5, 11.5, 12.5, 13.5], u: 6, p: 0.6857142857142857, exact: true),
        MWCase(x: [1, 2, 2, 3, 4, 5], y: [2, 3, 3, 5, 6, 7], u: 9.5, p: 0.19302930133511176, exact: false),
        MWCase(x: [3.1, 4.5, 2.2, 5.8, 6.1, 7.3, 2.9, 4.4, 5.0, 6.6],
               y: [7.9, 8.1, 6.5, 9.2, 10.4, 8.8, 7.1, 9.9, 11.0, 8.4, 6.9, 10.1], u: 4, p: 0.0002526470798258161, exact: false),
        MWCase(x: [5, 5, 5, 5], y: [5, 5, 5, 5], u: 8, p: 1.0, exact: false),
        MWCase(x: Array(stride(from: 100.0, through: 109, by: 1)), y: Array(stride(from: 100.0, through: 109, by: 1)), u: 50, p: 1.0, exact: false),
    ]

    @Test(arguments: mwCases.indices) func mannWhitneyMatchesScipy(_ i: Int) throws {
        let c = Self.mwCases[i]
        let r = try #require(Statistics.mannWhitney(c.x, c.y))
        #expect(r.u == c.u)
        #expect(r.exact == c.exact)
        #expect(abs(r.p - c.p) <= 1e-12 * max(1, c.p), "p \(r.p) vs scipy \(c.p)")
    }

    @Test func exactNullDistributionCountsArrangements() {
        // C(8, 4) = 70 arrangements; U = 0 and U = 16 once each, symmetric.
        let counts = Statistics.exactUCounts(4, 4)
        #expect(counts.count == 17)
        #expect(counts.reduce(0, +) == 70)
        #expect(counts[0] == 1 && counts[16] == 1 && counts[1] == 1 && counts[2] == 2)
        #expect(counts == counts.reversed())
    }

    @Test func medianIntervalIndicesMatchTheBinomialTable() {
        // (n, lower, upper) 0-based, from the scipy command in the suite's comment.
        let table: [(Int, Int, Int)] = [(6, 0, 5), (7, 0, 6), (8, 0, 7), (9, 1, 7), (10, 1, 8), (11, 1, 9), (12, 2, 9),
                                        (13, 2, 10), (15, 3, 11), (17, 4, 12), (20, 5, 14), (25, 7, 17), (30, 9, 20)]
        for (n, l, u) in table {
            let got = Statistics.medianIntervalIndices(n: n)
            #expect(got?.lower == l && got?.upper == u, "n=\(n): \(String(describing: got))")
        }
        #expect(abs(Statistics.medianIntervalIndices(n: 10)!.coverage - 0.978515625) < 1e-12)
        #expect(abs(Statistics.medianIntervalIndices(n: 17)!.coverage - 0.950958251953125) < 1e-12)
        for n in 1...5 { #expect(Statistics.medianIntervalIndices(n: n) == nil, "n=\(n) has no 95 % interval") }
    }

    @Test func medianAndGeometricMean() {
        #expect(Statistics.median([3, 1, 2]) == 2)
        #expect(Statistics.median([4, 1, 3, 2]) == 2.5)
        #expect(Statistics.median([]) == nil)
        #expect(abs(Statistics.geometricMean([1, 100])! - 10) < 1e-12)
        #expect(Statistics.geometricMean([1, 0]) == nil)
        let iv = Statistics.medianInterval([9, 1, 8, 2, 7, 3, 6, 4, 5, 10])!
        #expect(iv.lower == 2 && iv.upper == 9)
    }

    @Test func histogramQuantilesReadAsHDRDoes() {
        let h = LatencyHistogram(bins: [(100, 50), (200, 40), (1000, 9), (5000, 1)])
        #expect(h.total == 100)
        #expect(h.quantile(0.5) == 100)
        #expect(h.quantile(0.51) == 200)
        #expect(h.quantile(0.99) == 1000)
        #expect(h.quantile(0.999) == 5000)
        #expect(LatencyHistogram().quantile(0.5) == nil)
    }

    /// A histogram of `n` values spread log-uniformly from `lo` ns, shifted by `scale`.
    static func spread(n: Int, lo: Double, scale: Double = 1) -> LatencyHistogram {
        var bins: [(UInt64, UInt64)] = []
        for i in 0..<200 {
            let v = lo * pow(1.03, Double(i)) * scale
            bins.append((UInt64(v), UInt64(n / 200 + (i > 190 ? 3 : 0))))
        }
        return LatencyHistogram(bins: bins)
    }

    @Test func bootstrapIsDeterministicAndFindsATailShift() throws {
        let base = Self.spread(n: 200_000, lo: 10_000)
        let same = Self.spread(n: 200_000, lo: 10_000)
        let slower = Self.spread(n: 200_000, lo: 10_000, scale: 1.2)
        let a = try #require(TailBootstrap.differenceInterval(base: base, new: same, quantile: 0.99))
        let b = try #require(TailBootstrap.differenceInterval(base: base, new: same, quantile: 0.99))
        #expect(a == b, "same seed, same interval")
        #expect(a.lower <= 0 && a.upper >= 0 && !a.significant)
        let s = try #require(TailBootstrap.differenceInterval(base: base, new: slower, quantile: 0.99))
        #expect(s.significant && s.lower > 0)
        #expect(s.lower <= s.difference && s.difference <= s.upper)
        // The shift is 20 % of the base's p99.
        let p99 = base.quantile(0.99)!
        #expect(abs(s.difference - 0.2 * p99) < 0.02 * p99)
    }

    @Test func bootstrapOfFewValuesMatchesLiteralResampling() throws {
        // 40 values: the Beta shortcut and literal resampling give intervals within a bin or two.
        let values: [UInt64] = (0..<40).map { 1000 + UInt64($0 * $0) * 10 }
        let h = LatencyHistogram(bins: values.map { ($0, 1) })
        let g = LatencyHistogram(bins: values.map { ($0 + 500, 1) })
        let iv = try #require(TailBootstrap.differenceInterval(base: h, new: g, quantile: 0.9, resamples: 4000))
        var rng = Xoshiro256(seed: 7)
        func literal(_ vs: [UInt64]) -> Double {
            var draw = (0..<vs.count).map { _ in vs[Int(rng.next() % UInt64(vs.count))] }
            draw.sort()
            return Double(draw[Int((0.9 * Double(vs.count)).rounded(.up)) - 1])
        }
        var diffs = (0..<4000).map { _ in literal(values.map { $0 + 500 }) - literal(values) }
        diffs.sort()
        let lo = diffs[100], hi = diffs[3899]
        let step = Double(values[39] - values[38])
        #expect(abs(iv.lower - lo) <= 2 * step, "\(iv.lower) vs \(lo)")
        #expect(abs(iv.upper - hi) <= 2 * step, "\(iv.upper) vs \(hi)")
    }
}
