/// Bucket groups that one request passes, booked at one common go-time, over state words
/// held by the caller (a `SnapshotCell`'s copy): the same rule as `BucketChain`, as a flat
/// loop over limits with no atomics, so a caller can make the whole booking one update.
///
/// Each limit is a GCRA bucket charged the request's operations or its bytes, with its own
/// epoch, keeping its `k` at `word` of the state. Groups are planned in order at the
/// running go-time g (a group whose limits cannot all go at g moves g to its own go-time
/// and is "held"); then every limit is booked at the final g: k = max(k, E(g)) + cost.
/// A limit's go-time is max(arrival, T) with T independent of arrival (see `GCRA.schedule`),
/// so the final g is the latest T of all limits, whatever the order; the order only decides
/// which groups count as having held the request back.
public final class BucketTable: @unchecked Sendable {
    @frozen public struct Limit: Sendable {
        public let gcra: GCRA
        /// Index of this limit's `k` in the state.
        public let word: Int
        /// Charged bytes (true) or operations (false).
        public let chargesBytes: Bool
        public let epoch: UInt64
        public init(gcra: GCRA, word: Int, chargesBytes: Bool, epoch: UInt64) {
            self.gcra = gcra; self.word = word; self.chargesBytes = chargesBytes; self.epoch = epoch
        }
    }

    public static let maxGroups = 8
    @usableFromInline let limits: UnsafeMutableBufferPointer<Limit>
    /// groupEnd[i]: one past group i's last limit.
    @usableFromInline let groupEnd: UnsafeMutableBufferPointer<Int>
    public var groupCount: Int { groupEnd.count }

    /// - groups: each group's limits (one or two: operations and bytes).
    public init(groups: [[Limit]]) {
        precondition(groups.count <= Self.maxGroups && groups.allSatisfy { !$0.isEmpty })
        limits = .allocate(capacity: groups.reduce(0) { $0 + $1.count })
        _ = limits.initialize(from: groups.flatMap { $0 })
        groupEnd = .allocate(capacity: groups.count)
        var n = 0
        for (i, g) in groups.enumerated() { n += g.count; groupEnd[i] = n }
    }

    deinit {
        limits.deallocate()
        groupEnd.deallocate()
    }

    public func limits(ofGroup i: Int) -> [Limit] { Array(limits[(i == 0 ? 0 : groupEnd[i - 1])..<groupEnd[i]]) }

    @inlinable @inline(__always)
    static func elapsed(_ t: UInt64, _ epoch: UInt64) -> UInt64 { t > epoch ? t - epoch : 0 }

    /// Books `ops` operations and `bytes` bytes arriving at `arrival` in every group: reads
    /// `k`s from `src`, writes the booked ones to `dst` (other words untouched). Returns the
    /// go-time and the groups that held the request (bit i: group i moved the go-time).
    /// `src` and `dst` must not overlap.
    /// A cost above a bucket's burst goes into debt (waits for a full bucket, as Firecracker).
    @inlinable @inline(__always)
    public func reserve(src: UnsafePointer<UInt64>, dst: UnsafeMutablePointer<UInt64>, ops: UInt64, bytes: UInt64,
                        arrival: UInt64) -> (go: UInt64, heldBy: UInt32) {
        var g = arrival
        var heldBy: UInt32 = 0
        var last = -1 // the last group that held: limits up to its end were planned before g was final
        var start = 0
        let p = limits.baseAddress!
        for i in 0..<groupEnd.count {
            let end = groupEnd[i]
            var go = g
            for j in start..<end {
                // Fields read in place: a copy of the 88-byte limit per step showed in profiles.
                let cost = p[j].chargesBytes ? bytes : ops
                let word = p[j].word
                guard cost > 0 else { dst[word] = src[word]; continue }
                let epoch = p[j].epoch
                let s = p[j].gcra.plan(k: src[word], cost: cost, elapsed: Self.elapsed(g, epoch))
                dst[word] = s.k
                go = max(go, epoch &+ s.go)
            }
            if go > g { heldBy |= 1 << UInt32(i); g = go; last = i }
            start = end
        }
        if last >= 0 {
            // Limits planned at an earlier g (and the holding group, planned before it moved
            // g): book at the final g, where they may have refilled.
            for j in 0..<groupEnd[last] {
                let cost = p[j].chargesBytes ? bytes : ops
                guard cost > 0 else { continue }
                let word = p[j].word
                dst[word] = p[j].gcra.base(k: src[word], elapsed: Self.elapsed(g, p[j].epoch)) &+ cost
            }
        }
        return (g, heldBy)
    }

    /// Books every limit at `at` (a go-time later than the one `reserve` found, set by
    /// buckets elsewhere): k = max(k, E(at)) + cost, from `src` into `dst`.
    @inlinable @inline(__always)
    public func book(src: UnsafePointer<UInt64>, dst: UnsafeMutablePointer<UInt64>, ops: UInt64, bytes: UInt64, at: UInt64) {
        for j in 0..<limits.count {
            let l = limits[j]
            let cost = l.chargesBytes ? bytes : ops
            dst[l.word] = cost == 0 ? src[l.word] : l.gcra.base(k: src[l.word], elapsed: Self.elapsed(at, l.epoch)) &+ cost
        }
    }

    /// Whether every limit of group `i` is full at `now` in `state`.
    @inlinable
    public func isFull(group i: Int, state: UnsafePointer<UInt64>, now: UInt64) -> Bool {
        for j in (i == 0 ? 0 : groupEnd[i - 1])..<groupEnd[i] {
            let l = limits[j]
            if !l.gcra.hasEmitted(state[l.word], elapsed: Self.elapsed(now, l.epoch)) { return false }
        }
        return true
    }

    /// When group `i` is full again if nothing more is taken (absolute ns).
    public func fullAt(group i: Int, state: UnsafePointer<UInt64>) -> UInt64 {
        limits(ofGroup: i).map { $0.epoch + $0.gcra.fullAt(k: state[$0.word]) }.max() ?? 0
    }

    /// Tokens in each limit of group `i` at `now` (negative: in debt).
    public func balances(group i: Int, state: UnsafePointer<UInt64>, now: UInt64) -> [(limit: Limit, tokens: Int64)] {
        limits(ofGroup: i).map { ($0, $0.gcra.balance(k: state[$0.word], elapsed: Self.elapsed(now, $0.epoch))) }
    }
}
