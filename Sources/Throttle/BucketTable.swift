/// Bucket groups that one request passes, booked at one common go-time, over state words
/// held by the caller (a `MultiWordCell`'s copy), in one flat loop with no atomics, so a
/// caller can make the whole booking one atomic update.
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

    /// A limit as the admit loop reads it: the groups flattened, each limit knowing whether
    /// it closes its group (fewer live values in the loop than nested loops over groups).
    @frozen @usableFromInline struct Entry {
        @usableFromInline let gcra: GCRA
        @usableFromInline let word: Int
        @usableFromInline let epoch: UInt64
        @usableFromInline let chargesBytes: Bool
        /// The group this limit belongs to.
        @usableFromInline let group: UInt8
        /// 0, or the group's bit when this is its last limit.
        @usableFromInline let closes: UInt32
    }

    public static let maxGroups = 8
    @usableFromInline let entries: UnsafeMutableBufferPointer<Entry>
    private let groups: [[Limit]]

    /// - groups: each group's limits (one or two: operations and bytes).
    public init(groups: [[Limit]]) {
        precondition(groups.count <= Self.maxGroups && groups.allSatisfy { !$0.isEmpty })
        self.groups = groups
        var flat: [Entry] = []
        for (i, g) in groups.enumerated() {
            for (j, l) in g.enumerated() {
                flat.append(Entry(gcra: l.gcra, word: l.word, epoch: l.epoch, chargesBytes: l.chargesBytes, group: UInt8(i),
                                  closes: j == g.count - 1 ? 1 << UInt32(i) : 0))
            }
        }
        entries = .allocate(capacity: flat.count)
        _ = entries.initialize(from: flat)
    }

    deinit { entries.deallocate() }

    public func limits(ofGroup i: Int) -> [Limit] { groups[i] }

    @inlinable @inline(__always)
    static func elapsed(_ t: UInt64, _ epoch: UInt64) -> UInt64 { t > epoch ? t - epoch : 0 }

    /// Books `ops` operations and `bytes` bytes arriving at `arrival` in every group: reads
    /// `k`s from `src`, writes the booked ones to `dst` (other words untouched). Returns the
    /// go-time and the groups that held the request (bit i: group i moved the go-time).
    /// `src` and `dst` must not overlap. A cost above a bucket's burst goes into debt (it
    /// waits for a full bucket, as Firecracker's over-consumption). Arrivals before a
    /// limit's epoch count from the epoch; a limit charged nothing never holds a request
    /// (not even before its epoch: runs and the simulator never admit before it).
    @inlinable @inline(__always)
    public func reserve(src: UnsafePointer<UInt64>, dst: UnsafeMutablePointer<UInt64>, ops: UInt64, bytes: UInt64,
                        arrival: UInt64) -> (go: UInt64, heldBy: UInt32) {
        let p = entries.baseAddress!, n = entries.count
        var g = arrival, go = arrival
        var heldBy: UInt32 = 0
        var rebook = 0 // limits before this one were planned before g was final
        for j in 0..<n {
            let cost = p[j].chargesBytes ? bytes : ops
            let word = p[j].word
            if cost > 0 {
                let epoch = p[j].epoch
                let s = p[j].gcra.plan(k: src[word], cost: cost, elapsed: Self.elapsed(g, epoch))
                dst[word] = s.k
                go = max(go, epoch &+ s.go)
            } else {
                dst[word] = src[word]
            }
            let closes = p[j].closes
            if closes != 0 && go > g { heldBy |= closes; g = go; rebook = j + 1 }
        }
        // Limits planned at an earlier g (and the holding group, planned before it moved g):
        // book them at the final g, where they may have refilled.
        for j in 0..<rebook {
            let cost = p[j].chargesBytes ? bytes : ops
            guard cost > 0 else { continue }
            let word = p[j].word
            dst[word] = p[j].gcra.base(k: src[word], elapsed: Self.elapsed(g, p[j].epoch)) &+ cost
        }
        return (g, heldBy)
    }

    /// Whether every limit of group `i` is full at `now` in `state`. On the admit path for
    /// as long as a credit bucket stays empty (hours at a gp2 baseline), so it reads the flat
    /// entries: no array retained, no call across modules.
    @inlinable
    public func isFull(group i: Int, state: UnsafePointer<UInt64>, now: UInt64) -> Bool {
        let p = entries.baseAddress!
        for j in 0..<entries.count where Int(p[j].group) == i {
            if !p[j].gcra.hasEmitted(state[p[j].word], elapsed: Self.elapsed(now, p[j].epoch)) { return false }
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
