import BlockLabCore

/// Integer token-bucket arithmetic, shared by every bucket in this module.
///
/// The model is Firecracker's rate_limiter (a bucket of `burst` tokens refilled at `rate`
/// tokens per second) written as GCRA, the "generic cell rate algorithm": instead of a
/// token count that must be refilled on every call, the state is one number, `k`, the index
/// of the last token already promised to someone. Tokens are emitted on a fixed grid:
///
///     E(t) = floor((t - epoch) * rate / 1e9)      tokens emitted by time t (ns)
///
/// E is computed from the absolute elapsed time with a 128-bit product, so the fractional
/// part of a token is never rounded away between calls: after any number of calls the
/// bucket has emitted exactly floor(elapsed * rate / 1e9) tokens (no drift, no float).
///
/// The bucket holds `burst - (k - E(t))` tokens when `k > E(t)`, and is full (`burst`)
/// when `k <= E(t)` (tokens that would overflow a full bucket are discarded, as in any
/// token bucket, by the `max` below). A request of `c` tokens arriving at `t`:
///
///     base = max(k, E(t));  k' = base + c
///     it may go once E(t') >= k' - burst, i.e. at t' = epoch + ceil((k' - burst) * 1e9 / rate)
///
/// and the reservation is made at once (k := k'), so later arrivals queue behind it: FIFO.
/// A request with c > burst can never be covered by a full bucket: `tooLarge`. Callers that
/// must pass it anyway use `allowDebt`: it waits until the bucket is full, then leaves the
/// bucket in debt by c - burst (Firecracker's "over-consumption").
public struct GCRA: Sendable, Equatable {
    /// Tokens per second (> 0).
    public let rate: UInt64
    /// Bucket capacity in tokens (> 0).
    public let burst: UInt64
    /// The reciprocal for dividing by the rate on the admit path.
    @usableFromInline let byRate: Divisor
    /// The reciprocal of 1e9 as literals (`Divisor(1_000_000_000)`, checked by a test), so
    /// the division by 1e9 compiles to constant multiplications and shifts.
    @inlinable static var byNs: Divisor { Divisor(normalized: 0xEE6B_2800_0000_0000, reciprocal: 0x12E0_BE82_6D69_4B2E, shift: 34) }

    /// Nanoseconds per second, as a literal the optimizer folds (a stored `static let` read
    /// from another module goes through a lazy-initialisation accessor on every call).
    @inlinable static var ns: UInt64 { 1_000_000_000 }

    public init(rate: UInt64, burst: UInt64) {
        precondition(rate > 0 && burst > 0, "a GCRA bucket needs a positive rate and burst")
        self.rate = rate
        self.burst = burst
        byRate = Divisor(rate)
    }

    /// Tokens emitted in `elapsedNs`: floor(elapsed * rate / 1e9), exact.
    @inlinable @inline(__always)
    public func emitted(elapsedNs: UInt64) -> UInt64 {
        let p = elapsedNs.multipliedFullWidth(by: rate)
        // The quotient overflows only after ~1.8e19 * 1e9 / rate ns (centuries at 10 GB/s).
        guard p.high < Self.ns else { return .max }
        return Self.byNs.divide(p).quotient
    }

    /// The earliest elapsed time at which `tokens` tokens have been emitted:
    /// ceil(tokens * 1e9 / rate).
    @inlinable @inline(__always)
    public func elapsedUntil(tokens: UInt64) -> UInt64 {
        let p = tokens.multipliedFullWidth(by: Self.ns)
        guard p.high < rate else { return .max }
        let (q, r) = byRate.divide(p)
        return r == 0 ? q : q + 1
    }

    /// Schedules `cost` tokens arriving at `elapsed` (ns since the bucket's epoch) given
    /// state `k`. Returns the elapsed time at which the request may go (>= `elapsed`) and
    /// the new state, or nil when `cost > burst` and debt is not allowed.
    ///
    /// Divisions are the dearest part (a 128-by-64-bit divide each), so the common cases
    /// avoid them by comparing products instead: "n tokens emitted by `elapsed`" is
    /// n * 1e9 <= elapsed * rate. E(elapsed) itself is computed only when the bucket may be
    /// full (k < E), and the go-time only when the request must wait.
    @inlinable @inline(__always)
    public func schedule(k: UInt64, cost: UInt64, elapsed: UInt64, allowDebt: Bool) -> (go: UInt64, k: UInt64)? {
        let fit: UInt64
        if cost > burst {
            guard allowDebt else { return nil }
            fit = burst
        } else {
            fit = cost
        }
        let now = elapsed.multipliedFullWidth(by: rate)           // elapsed * rate, 128-bit
        let base = base(k: k, elapsed: elapsed, now: now)
        let need = base + fit
        // Conformant iff need - burst tokens are emitted by `elapsed`.
        if need <= burst || Self.lessOrEqual((need - burst).multipliedFullWidth(by: Self.ns), now) {
            return (elapsed, base + cost)
        }
        return (max(elapsed, elapsedUntil(tokens: need - burst)), base + cost)
    }

    /// `schedule` with debt allowed, for the admit path: no optional, and no third product
    /// when the bucket is full (then the request fits at once: fit <= burst).
    @inlinable @inline(__always)
    public func plan(k: UInt64, cost: UInt64, elapsed: UInt64) -> (go: UInt64, k: UInt64) {
        let fit = min(cost, burst)
        let now = elapsed.multipliedFullWidth(by: rate)
        if Self.lessOrEqual((k &+ 1).multipliedFullWidth(by: Self.ns), now) {
            return (elapsed, emitted(elapsedNs: elapsed) &+ cost) // full: base = E(elapsed)
        }
        let need = k &+ fit
        if need <= burst || Self.lessOrEqual((need &- burst).multipliedFullWidth(by: Self.ns), now) { return (elapsed, k &+ cost) }
        return (max(elapsed, elapsedUntil(tokens: need &- burst)), k &+ cost)
    }

    /// Where a reservation at `elapsed` starts counting: max(k, E(elapsed)). The state a
    /// request of cost c leaves is base + c whether it waits or not.
    /// k < E(elapsed)  <=>  (k + 1) * 1e9 <= elapsed * rate: the bucket is full.
    @inlinable @inline(__always)
    public func base(k: UInt64, elapsed: UInt64, now: (high: UInt64, low: UInt64)? = nil) -> UInt64 {
        let product = now ?? elapsed.multipliedFullWidth(by: rate)
        return Self.lessOrEqual((k &+ 1).multipliedFullWidth(by: Self.ns), product) ? emitted(elapsedNs: elapsed) : k
    }

    /// Whether `tokens` tokens have been emitted by `elapsed`: tokens * 1e9 <= elapsed * rate.
    @inlinable @inline(__always)
    public func hasEmitted(_ tokens: UInt64, elapsed: UInt64) -> Bool {
        Self.lessOrEqual(tokens.multipliedFullWidth(by: Self.ns), elapsed.multipliedFullWidth(by: rate))
    }

    @inlinable @inline(__always)
    static func lessOrEqual(_ a: (high: UInt64, low: UInt64), _ b: (high: UInt64, low: UInt64)) -> Bool {
        a.high < b.high || (a.high == b.high && a.low <= b.low)
    }

    /// Tokens in the bucket at `elapsed` for state `k`: negative while in debt.
    @inlinable @inline(__always)
    public func balance(k: UInt64, elapsed: UInt64) -> Int64 {
        let e = emitted(elapsedNs: elapsed)
        if k <= e { return Int64(burst) }
        return Int64(burst) - Int64(k - e)
    }

    /// The state for a bucket holding `tokens` (<= burst) at its epoch.
    public func initialState(balance tokens: UInt64) -> UInt64 { burst - min(tokens, burst) }

    /// Elapsed time at which a bucket in state `k` is full again if nothing more is taken.
    public func fullAt(k: UInt64) -> UInt64 { elapsedUntil(tokens: k) }
}
