/// Division of a 128-bit number by a fixed 64-bit divisor, by multiplying with a
/// reciprocal computed once (Möller and Granlund, "Improved division by invariant
/// integers", IEEE Transactions on Computers 60(2), 2011, algorithm 4 with the divisor
/// normalised): two multiplications and at most two corrections. Every bucket divides by
/// its own rate and by 1e9 on the admit path; a hardware 128-by-64-bit divide (reached
/// through the runtime's `__udivti3`) cost several times more here. Written by hand because
/// no package offers invariant-divisor division for 128-bit dividends.
@frozen public struct Divisor: Sendable, Equatable {
    /// The divisor shifted left until its top bit is set.
    @usableFromInline let d: UInt64
    /// floor((2^128 - 1) / d) - 2^64.
    @usableFromInline let v: UInt64
    @usableFromInline let shift: UInt64

    /// From constants computed beforehand (a divisor known when the code is written, such
    /// as 1e9, so the optimizer folds them: see `GCRA.byNs`).
    @inlinable init(normalized d: UInt64, reciprocal v: UInt64, shift: UInt64) {
        self.d = d
        self.v = v
        self.shift = shift
    }

    public init(_ divisor: UInt64) {
        precondition(divisor > 0, "division by zero")
        let s = divisor.leadingZeroBitCount
        d = divisor << UInt64(s)
        shift = UInt64(s)
        // (2^128 - 1) - 2^64 * d = (~d) * 2^64 + (2^64 - 1), and the quotient fits in 64 bits.
        v = d.dividingFullWidth((high: ~d, low: .max)).quotient
    }

    /// `n / divisor` and `n % divisor`; requires `n.high < divisor` (the quotient fits in
    /// 64 bits), as every caller checks.
    @inlinable @inline(__always)
    public func divide(_ n: (high: UInt64, low: UInt64)) -> (quotient: UInt64, remainder: UInt64) {
        let s = shift
        let u1 = s == 0 ? n.high : (n.high &<< s) | (n.low &>> (64 &- s))
        let u0 = n.low &<< s
        let p = v.multipliedFullWidth(by: u1)
        let (q0, carry) = p.low.addingReportingOverflow(u0)
        var q1 = p.high &+ u1 &+ (carry ? 1 : 0) &+ 1
        var r = u0 &- q1 &* d
        if r > q0 { q1 &-= 1; r &+= d }
        if r >= d { q1 &+= 1; r &-= d }
        return (q1, r &>> s)
    }
}
