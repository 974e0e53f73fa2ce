import BlockLabCore
import Throttle
import Synchronization

/// A thread-safe single-dimension token bucket (GCRA): one `Atomic<UInt64>` holds `k`, the
/// state described in `GCRA`. Admission is a load, some integer arithmetic and one
/// compare-exchange, retried only if another thread reserved in between: no lock, no
/// allocation. This is the bucket several job threads or volumes share.
///
/// Fairness: every admission reserves its tokens before returning, so the order in which
/// the compare-exchanges succeed is the order of service; a thread that arrives later is
/// always scheduled after the ones before it (FIFO by arrival), and a thread can never be
/// starved by others taking the tokens it waited for, because its own go-time is fixed the
/// moment it is answered. With equal demand, threads therefore share the rate equally.
public final class TokenBucket: @unchecked Sendable {
    public let gcra: GCRA
    /// Time zero of the emission grid (ns, caller's clock).
    public let epoch: UInt64
    private let state: Atomic<UInt64>

    /// - initialBalance: tokens in the bucket at `epoch` (default full).
    public init(rate: UInt64, burst: UInt64, initialBalance: UInt64? = nil, epoch: UInt64) {
        gcra = GCRA(rate: rate, burst: burst)
        self.epoch = epoch
        state = Atomic(gcra.initialState(balance: initialBalance ?? burst))
    }

    @inline(__always) func elapsed(_ t: UInt64) -> UInt64 { t > epoch ? t - epoch : 0 }

    /// Reserves `cost` tokens for a request arriving at `now`.
    @inline(__always)
    public func admit(cost: UInt64, now: UInt64) -> Admission {
        guard let go = reserve(cost: cost, arrival: now, allowDebt: false) else { return .tooLarge }
        return go <= now ? .go : .wait(until: go)
    }

    /// Reserves and returns the absolute go-time (>= arrival), or nil if `cost > burst`
    /// and `allowDebt` is false.
    @inline(__always)
    public func reserve(cost: UInt64, arrival: UInt64, allowDebt: Bool) -> UInt64? {
        let el = elapsed(arrival)
        var k = state.load(ordering: .relaxed)
        while true {
            guard let s = gcra.schedule(k: k, cost: cost, elapsed: el, allowDebt: allowDebt) else { return nil }
            let r = state.compareExchange(expected: k, desired: s.k, ordering: .relaxed)
            if r.exchanged { return max(arrival, epoch + s.go) }
            k = r.original
        }
    }

    /// The go-time a reservation would get now, without reserving (debt allowed).
    public func peek(cost: UInt64, arrival: UInt64) -> UInt64 {
        let s = gcra.schedule(k: state.load(ordering: .relaxed), cost: cost, elapsed: elapsed(arrival), allowDebt: true)!
        return max(arrival, epoch + s.go)
    }

    /// Tokens available at `now` (negative while in debt).
    public func balance(now: UInt64) -> Int64 {
        gcra.balance(k: state.load(ordering: .relaxed), elapsed: elapsed(now))
    }

    /// When the bucket will be full again if nothing more is taken (absolute ns).
    public func fullAt() -> UInt64 { epoch + gcra.fullAt(k: state.load(ordering: .relaxed)) }
}
