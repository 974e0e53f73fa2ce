import BlockLabCore
import Foundation

/// Service-time model: floor + lognormal excess with the profile's median and p99. The
/// quantile function is tabulated once (4,096 points), and each I/O picks a point with a
/// hash of (offset, issue time, direction): deterministic, no shared mutable state, no
/// allocation, so any number of threads (or the simulator) can sample it at once. The table
/// is a buffer owned by this object rather than an Array, so sampling does no reference
/// counting (an Array would be retained and released on every I/O).
public final class LatencyModel: @unchecked Sendable {
    public let spec: LatencySpec
    private let table: UnsafeMutableBufferPointer<UInt64>
    static let points = 4096

    public init(_ spec: LatencySpec) {
        self.spec = spec
        let excessMedian = spec.medianUs - spec.floorUs
        let excessP99 = spec.p99Us - spec.floorUs
        let sigma = log(excessP99 / excessMedian) / 2.326_347_874 // z of the 99th percentile
        table = .allocate(capacity: Self.points)
        for i in 0..<Self.points {
            let u = (Double(i) + 0.5) / Double(Self.points)
            let us = spec.floorUs + excessMedian * exp(sigma * Self.inverseNormal(u))
            table[i] = UInt64((us * 1000).rounded())
        }
    }

    deinit { table.deallocate() }

    /// The mean service time the model hands out (ns): the mean of the table it samples.
    public var meanNs: Double {
        var sum: UInt64 = 0
        for i in 0..<Self.points { sum += table[i] }
        return Double(sum) / Double(Self.points)
    }

    @inline(__always)
    public func sample(offset: UInt64, issuedAt: UInt64, direction: IODirection) -> UInt64 {
        var z = offset &* 0x9E37_79B9_7F4A_7C15 ^ issuedAt &+ UInt64(direction.rawValue) &* 0xD1B5_4A32_D192_ED03
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return table[Int(z % UInt64(Self.points))]
    }

    /// The modelled quantile (for descriptions and tests), q in (0, 1).
    public func quantileUs(_ q: Double) -> Double {
        let excessMedian = spec.medianUs - spec.floorUs
        let sigma = log((spec.p99Us - spec.floorUs) / excessMedian) / 2.326_347_874
        return spec.floorUs + excessMedian * exp(sigma * Self.inverseNormal(q))
    }

    /// Acklam's rational approximation of the standard normal quantile (relative error
    /// < 1.2e-9), written out because no package in use provides it.
    static func inverseNormal(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let lo = 0.02425
        if p < lo {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - lo { return -inverseNormal(1 - p) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
