import BlockLabCore
import Throttle

/// A burst-credit bucket: credits are earned at the baseline rate and one credit is spent
/// per token of work, while a separate peak limiter caps the spending rate at the burst
/// rate. Running at the burst rate B with baseline b, the balance falls by B - b per
/// second (earning b, spending B), so a full burst lasts balance / (B - b); below baseline
/// the balance grows by the unused part, up to the capacity. That is exactly a token
/// bucket of rate b and size `capacity`, so this is a `DualTokenBucket` with one or both
/// dimensions (gp2: I/O credits; st1/sc1: throughput credits; an instance's 30-minute
/// burst: both) plus the reporting AWS uses (`BurstBalance`, a percentage).
public final class CreditBucket: @unchecked Sendable {
    public let name: String
    public let bucket: DualTokenBucket

    /// - opCredits/byteCredits: (earn rate per second, capacity, starting balance) per dimension.
    public init(name: String, opCredits: (rate: UInt64, capacity: UInt64, start: UInt64)?,
                byteCredits: (rate: UInt64, capacity: UInt64, start: UInt64)?, epoch: UInt64, sharing: Sharing = .shared) {
        self.name = name
        bucket = DualTokenBucket(
            ops: opCredits.map { GCRA(rate: $0.rate, burst: $0.capacity) },
            bytes: byteCredits.map { GCRA(rate: $0.rate, burst: $0.capacity) },
            initialOps: opCredits?.start, initialBytes: byteCredits?.start, epoch: epoch, sharing: sharing)
    }

    /// Credits left as a percentage of capacity (the lower of the dimensions), 0 when in debt.
    public func burstBalancePercent(now: UInt64) -> Double {
        let b = bucket.balance(now: now)
        var pct = 100.0
        if let o = b.ops, let g = bucket.ops { pct = min(pct, Double(max(0, o)) * 100 / Double(g.burst)) }
        if let x = b.bytes, let g = bucket.bytes { pct = min(pct, Double(max(0, x)) * 100 / Double(g.burst)) }
        return pct
    }

    /// Credits left in the one (or first) limited dimension, 0 when in debt.
    public func balance(now: UInt64) -> UInt64 {
        let b = bucket.balance(now: now)
        return UInt64(max(0, b.ops ?? b.bytes ?? 0))
    }

    /// How long a burst at `burstRate` lasts from `balance` credits while earning
    /// `baselineRate`: balance / (burst - baseline), in ns (rounded up); nil if it never ends.
    public static func burstDuration(balance: UInt64, burstRate: UInt64, baselineRate: UInt64) -> UInt64? {
        guard burstRate > baselineRate else { return nil }
        return GCRA(rate: burstRate - baselineRate, burst: 1).elapsedUntil(tokens: balance)
    }
}
