import BlockLabCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JobSpec

/// Draws block indices in 0..<count for `random_distribution=`. Tables are built at init;
/// `sample` does not allocate.
///
/// - zipf:θ uses Gray et al.'s closed-form sampler ("Quickly generating billion-record
///   synthetic databases", 1994), the method fio uses: rank 0 is hottest.
/// - pareto:h gives rank floor(n(1 - u^p)), p = log(h)/log(1-h) as fio: a fraction 1-h of the
///   blocks gets a fraction h of the accesses (pareto:0.8 -> 80/20).
/// - Hot ranks of both are scattered over the region by a fixed keyed bijection (fio hashes
///   them), so the hot set is not one contiguous run at the start. With a centre
///   (`zipf:1.2:0.25`) they are not scattered: rank 0 sits at that fraction of the region and
///   ranks run on from there, wrapping, so the hot spot is where the user put it.
/// - normal:dev is centred (on the middle, or the given centre) with a standard deviation of
///   dev % of the region (Box-Muller), redrawn when it falls outside; not scattered.
/// - zoned:p/r picks a zone by its access percent, then a block uniformly inside the zone.
struct OffsetDistribution: Sendable {
    private enum Kind {
        case uniform
        case zipf(theta: Double, alpha: Double, zetaN: Double, eta: Double)
        case pareto(power: Double)
        case normal(centre: Double, stddev: Double)
        /// Cumulative access thresholds (per million) and each zone's [start, end) blocks.
        case zoned(threshold: [UInt64], start: [UInt64], end: [UInt64])
    }
    private let kind: Kind
    let count: UInt64
    private let scatter: Permutation
    /// Where rank 0 goes when a centre is given (then ranks are not scattered).
    private let rankOffset: UInt64?
    let isUniform: Bool

    init(_ distribution: RandomDistribution, center: Double?, count: UInt64, rng: inout Xoshiro256) {
        self.count = count
        scatter = Permutation(count: count, rng: &rng)
        rankOffset = center.map { min(count - 1, UInt64($0 * Double(count))) }
        isUniform = distribution == .random
        let n = Double(count)
        switch distribution {
        case .random:
            kind = .uniform
        case .zipf(let theta):
            let zetaN = Self.zeta(count, theta)
            let zeta2 = Self.zeta(2, theta)
            let eta = (1 - pow(2 / n, 1 - theta)) / (1 - zeta2 / zetaN)
            kind = .zipf(theta: theta, alpha: 1 / (1 - theta), zetaN: zetaN, eta: eta)
        case .pareto(let h):
            kind = .pareto(power: log(h) / log(1 - h))
        case .normal(let dev):
            kind = .normal(centre: (center ?? 0.5) * n, stddev: dev / 100 * n)
        case .zoned(let zones):
            var threshold: [UInt64] = [], start: [UInt64] = [], end: [UInt64] = []
            var access = 0.0, size = 0.0
            for z in zones {
                let s = UInt64((size / 100 * n).rounded())
                access += z.accessPercent
                size += z.sizePercent
                threshold.append(UInt64((access * 10_000).rounded()))
                start.append(s)
                end.append(max(s, min(count, UInt64((size / 100 * n).rounded()))))
            }
            threshold[threshold.count - 1] = 1_000_000
            kind = .zoned(threshold: threshold, start: start, end: end)
        }
    }

    /// Σ_{i=1..n} i^-θ: summed exactly for the first million terms, the rest by the
    /// Euler-Maclaurin integral (error far below what the sampler can show).
    static func zeta(_ n: UInt64, _ theta: Double) -> Double {
        let exact = min(n, 1_000_000)
        var sum = 0.0
        var i: UInt64 = 1
        while i <= exact { sum += pow(Double(i), -theta); i += 1 }
        if n > exact {
            let a = Double(exact), b = Double(n)
            sum += (pow(b, 1 - theta) - pow(a, 1 - theta)) / (1 - theta)
            sum += (pow(b, -theta) - pow(a, -theta)) / 2
        }
        return sum
    }

    @inline(__always)
    func sample(_ rng: inout Xoshiro256) -> UInt64 {
        switch kind {
        case .uniform:
            return rng.below(count)
        case .zipf(let theta, let alpha, let zetaN, let eta):
            let u = rng.unit()
            let uz = u * zetaN
            var rank: UInt64
            if uz < 1 { rank = 0 } else if uz < 1 + pow(0.5, theta) { rank = 1 } else {
                let x = Double(count) * pow(eta * u - eta + 1, alpha)
                rank = x >= 0 && x < Double(count) ? UInt64(x) : (x.isNaN ? 0 : count - 1)
            }
            return place(rank)
        case .pareto(let power):
            // pareto:h with h near 0 gives an infinite power: range-check before converting.
            let x = Double(count) * (1 - pow(rng.unit(), power))
            return place(x >= 0 && x < Double(count) ? UInt64(x) : (x.isNaN ? 0 : count - 1))
        case .normal(let centre, let stddev):
            for _ in 0..<16 {
                let u1 = 1 - rng.unit(), u2 = rng.unit()
                let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
                let x = centre + z * stddev
                if x >= 0 && x < Double(count) { return UInt64(x) }
            }
            return min(count - 1, UInt64(centre))
        case .zoned(let threshold, let start, let end):
            let r = rng.below(1_000_000)
            var z = 0
            while z < threshold.count - 1 && r >= threshold[z] { z += 1 }
            let len = end[z] - start[z]
            if len == 0 { return rng.below(count) } // a zone smaller than one block
            return start[z] + rng.below(len)
        }
    }

    /// A rank (0 = hottest) to a block: scattered, or counted on from the centre.
    @inline(__always)
    private func place(_ rank: UInt64) -> UInt64 {
        let r = min(rank, count - 1)
        guard let rankOffset else { return scatter.scatter(r) }
        let b = r + rankOffset
        return b >= count ? b - count : b
    }
}
