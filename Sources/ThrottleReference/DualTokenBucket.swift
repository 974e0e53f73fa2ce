import BlockLabCore
import Throttle
import Synchronization

/// Two token buckets (operations and bytes), each with its own rate and burst, admitted
/// together: both `k`s live in one 128-bit atomic word (`WordPair`, one cmpxchg16b on
/// x86-64), so a request reserves in both dimensions in a single compare-exchange.
///
/// The request goes at G = max(go_ops, go_bytes), and both reservations are made *at G*
/// (not at arrival): a dimension that would have let the request go earlier must not book
/// the tokens earlier than they are really used, or its window bound would leak. Since a
/// bucket's go-time is monotone in arrival time, re-scheduling at G is conformant in both.
///
/// A dimension with no limit is nil. (An emulated volume books several such groups in one
/// atomic step instead: `BucketTable` over a `MultiWordCell`.)
///
/// Where the state lives, chosen once: a bucket only one thread ever admits to
/// (`.exclusive`) keeps it in two plain 64-bit words; a shared bucket with one limited
/// dimension (a `CreditBucket` of I/O credits) updates that word with a 64-bit
/// compare-exchange; only a shared two-dimension bucket needs the 128-bit one. Measured
/// here: cmpxchg16b 17 ns, cmpxchg 13 ns, plain store ~0.
public final class DualTokenBucket: @unchecked Sendable {
    public let ops: GCRA?
    public let bytes: GCRA?
    public let epoch: UInt64
    @usableFromInline enum Storage { case plain, singleOps, singleBytes, pair }
    @usableFromInline let storage: Storage
    @usableFromInline let state: Atomic<WordPair>
    /// The two halves of the state as 64-bit words. For `.pair` they are copies of `state`
    /// stored after every successful exchange: on x86-64 even an atomic 128-bit *load* is a
    /// locked cmpxchg16b, so plans read these words instead and exchanges use them as the
    /// expected value; if they are stale or torn the exchange fails, returns the true
    /// state, and the caller plans again. Correctness rests on the exchange alone. For the
    /// other storages these words *are* the state.
    @usableFromInline let shadowOps: Atomic<UInt64>
    @usableFromInline let shadowBytes: Atomic<UInt64>

    public init(ops: GCRA?, bytes: GCRA?, initialOps: UInt64? = nil, initialBytes: UInt64? = nil, epoch: UInt64,
                sharing: Sharing = .shared) {
        self.ops = ops
        self.bytes = bytes
        self.epoch = epoch
        storage = sharing == .exclusive ? .plain : ops == nil ? .singleBytes : bytes == nil ? .singleOps : .pair
        let ko = ops.map { $0.initialState(balance: initialOps ?? $0.burst) } ?? 0
        let kb = bytes.map { $0.initialState(balance: initialBytes ?? $0.burst) } ?? 0
        state = Atomic(WordPair(first: UInt(ko), second: UInt(kb)))
        shadowOps = Atomic(ko)
        shadowBytes = Atomic(kb)
    }

    @inlinable @inline(__always) var guess: WordPair {
        WordPair(first: UInt(shadowOps.load(ordering: .relaxed)), second: UInt(shadowBytes.load(ordering: .relaxed)))
    }

    /// The true state, for readers (a locked load only for `.pair`).
    private var current: WordPair { storage == .pair ? state.load(ordering: .relaxed) : guess }

    @inlinable @inline(__always) func elapsed(_ t: UInt64) -> UInt64 { t > epoch ? t - epoch : 0 }

    /// Go-time (elapsed) in both dimensions at `el`, and the new state; nil if too large.
    @inlinable @inline(__always)
    func plan(_ w: WordPair, opCost: UInt64, byteCost: UInt64, el: UInt64, debt: Bool) -> (go: UInt64, w: WordPair)? {
        var go = el
        var ko = UInt64(w.first), kb = UInt64(w.second)
        if let g = ops, opCost > 0 {
            guard let s = g.schedule(k: ko, cost: opCost, elapsed: el, allowDebt: debt) else { return nil }
            go = max(go, s.go); ko = s.k
        }
        if let g = bytes, byteCost > 0 {
            guard let s = g.schedule(k: kb, cost: byteCost, elapsed: el, allowDebt: debt) else { return nil }
            go = max(go, s.go); kb = s.k
        }
        return (go, WordPair(first: UInt(ko), second: UInt(kb)))
    }

    /// The state after booking the costs at `el` (elapsed): each limited dimension's base
    /// there plus its cost. The go-time is not computed: the caller knows the request
    /// conforms at `el` (a go-time found by `plan`, which is conformant at itself).
    @inlinable @inline(__always)
    func book(_ w: WordPair, opCost: UInt64, byteCost: UInt64, el: UInt64) -> WordPair {
        var ko = UInt64(w.first), kb = UInt64(w.second)
        if let g = ops, opCost > 0 { ko = g.base(k: ko, elapsed: el) + opCost }
        if let g = bytes, byteCost > 0 { kb = g.base(k: kb, elapsed: el) + byteCost }
        return WordPair(first: UInt(ko), second: UInt(kb))
    }

    /// Replaces state `from` with `to`; false (nothing changed) if `from` was not the true
    /// state, with the true state in `from`.
    @inlinable @inline(__always)
    func exchange(_ from: inout WordPair, _ to: WordPair) -> Bool {
        switch storage {
        case .plain:
            shadowOps.store(UInt64(to.first), ordering: .relaxed)
            shadowBytes.store(UInt64(to.second), ordering: .relaxed)
            return true
        case .singleOps:
            let r = shadowOps.compareExchange(expected: UInt64(from.first), desired: UInt64(to.first), ordering: .relaxed)
            from.first = UInt(r.original)
            return r.exchanged
        case .singleBytes:
            let r = shadowBytes.compareExchange(expected: UInt64(from.second), desired: UInt64(to.second), ordering: .relaxed)
            from.second = UInt(r.original)
            return r.exchanged
        case .pair:
            let r = state.compareExchange(expected: from, desired: to, ordering: .relaxed)
            if r.exchanged {
                shadowOps.store(UInt64(to.first), ordering: .relaxed)
                shadowBytes.store(UInt64(to.second), ordering: .relaxed)
            }
            from = r.original
            return r.exchanged
        }
    }

    /// Reserves `opCost` operations and `byteCost` bytes for a request arriving at `now`:
    /// the wait is the longer of the two. `tooLarge` if either cost exceeds its burst.
    @inlinable @inline(__always)
    public func admit(opCost: UInt64, byteCost: UInt64, now: UInt64) -> Admission {
        guard let g = reserve(opCost: opCost, byteCost: byteCost, arrival: now, allowDebt: false) else { return .tooLarge }
        return g <= now ? .go : .wait(until: g)
    }

    /// Absolute go-time after reserving both dimensions at it; nil if too large and no debt.
    @inlinable @inline(__always)
    public func reserve(opCost: UInt64, byteCost: UInt64, arrival: UInt64, allowDebt: Bool) -> UInt64? {
        let el = elapsed(arrival)
        var w = guess
        while true {
            guard let first = plan(w, opCost: opCost, byteCost: byteCost, el: el, debt: allowDebt) else { return nil }
            // Book both dimensions at the common go-time.
            let to = first.go == el ? first.w : book(w, opCost: opCost, byteCost: byteCost, el: first.go)
            if exchange(&w, to) { return max(arrival, epoch + first.go) }
        }
    }

    /// The go-time a reservation at `arrival` would get, without reserving (debt allowed).
    public func peek(opCost: UInt64, byteCost: UInt64, arrival: UInt64) -> UInt64 {
        max(arrival, epoch + plan(guess, opCost: opCost, byteCost: byteCost, el: elapsed(arrival), debt: true)!.go)
    }

    /// Tokens available at `now` per dimension (nil: unlimited; negative: in debt).
    public func balance(now: UInt64) -> (ops: Int64?, bytes: Int64?) {
        let w = current
        let el = elapsed(now)
        return (ops?.balance(k: UInt64(w.first), elapsed: el), bytes?.balance(k: UInt64(w.second), elapsed: el))
    }

    /// Whether both dimensions are full at `now` (no division: compares products).
    @inlinable @inline(__always)
    public func isFull(now: UInt64) -> Bool {
        let el = elapsed(now)
        let w = guess
        if let g = ops, !g.hasEmitted(UInt64(w.first), elapsed: el) { return false }
        if let g = bytes, !g.hasEmitted(UInt64(w.second), elapsed: el) { return false }
        return true
    }

    /// When both dimensions will be full again if nothing more is taken (absolute ns).
    public func fullAt() -> UInt64 {
        let w = current
        let o = ops.map { $0.fullAt(k: UInt64(w.first)) } ?? 0
        let b = bytes.map { $0.fullAt(k: UInt64(w.second)) } ?? 0
        return epoch + max(o, b)
    }
}
