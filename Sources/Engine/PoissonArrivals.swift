import BlockLabCore
import Glibc

/// fio's `rate_process=poisson`: the gaps between I/Os under a rate are exponential with the
/// rate's mean (a Poisson arrival process, as real request streams are), not equal. Seeded
/// per job clone, so a run repeats.
struct PoissonArrivals {
    private var rng: Xoshiro256

    init(seed: UInt64) { rng = Xoshiro256(seed: seed) }

    /// The next gap in ns for a mean gap of `meanNs`: -mean x ln(U), U uniform in (0, 1].
    /// At most 50 means (a U below e^-50 is rarer than 1 in 10^21), so one gap stays finite.
    @inline(__always)
    mutating func gapNs(meanNs: Double) -> UInt64 {
        let u = Double((rng.next() >> 11) + 1) * 0x1.0p-53      // (0, 1]
        return UInt64(min(-log(u), 50) * meanNs)
    }
}
