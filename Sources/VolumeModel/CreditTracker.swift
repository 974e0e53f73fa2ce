import Synchronization
import Throttle

/// A credit bucket as the results see it: its limits, its balance (`BurstBalance` %, as
/// CloudWatch shows it), and when it ran empty and when it was full again.
///
/// The bucket itself is a group of a `BucketTable` whose state lives in a `MultiWordCell`
/// (set once by `bind`, before any admit). Episodes are recorded without locks: the
/// transitions alternate and each is claimed by one compare-exchange on `emptySince`, so
/// only one thread writes each episode slot; they go into a buffer allocated once.
public final class CreditTracker: @unchecked Sendable {
    public let name: String
    private(set) var cell: MultiWordCell!
    private(set) var table: BucketTable!
    private(set) var group = 0
    private let emptySince = Atomic<UInt64>(.max)
    private let count = Atomic<Int>(0)
    private let episodes: UnsafeMutableBufferPointer<(empty: UInt64, full: UInt64)>
    static let capacity = 256

    init(name: String) {
        self.name = name
        episodes = .allocate(capacity: Self.capacity)
        episodes.initialize(repeating: (0, .max))
    }

    deinit { episodes.deallocate() }

    /// Where the bucket's state lives: group `group` of `table`, over `cell`'s words.
    func bind(cell: MultiWordCell, table: BucketTable, group: Int, epoch: UInt64) {
        precondition(self.cell == nil, "a credit bucket lives in one place")
        self.cell = cell
        self.table = table
        self.group = group
        startPercent = burstBalancePercent(now: epoch)
    }

    /// The balance when the bucket started (percent of capacity), for the result's story.
    public private(set) var startPercent: Double = 100

    /// The bucket's limits: (charges bytes, earn rate per second, capacity).
    public var limits: [(bytes: Bool, rate: UInt64, capacity: UInt64)] {
        table.limits(ofGroup: group).map { ($0.chargesBytes, $0.gcra.rate, $0.gcra.burst) }
    }

    /// Credits left as a percentage of capacity (the lower of the dimensions), 0 when in debt.
    public func burstBalancePercent(now: UInt64) -> Double {
        let state = cell.snapshot()
        return state.withUnsafeBufferPointer { s in
            table.balances(group: group, state: s.baseAddress!, now: now)
                .map { Double(max(0, $0.tokens)) * 100 / Double($0.limit.gcra.burst) }.min() ?? 100
        }
    }

    /// The bucket handed out its last credit at `at` (it made a request wait).
    @inline(__always)
    func markEmpty(at: UInt64) {
        guard emptySince.load(ordering: .relaxed) == .max else { return }
        if emptySince.compareExchange(expected: .max, desired: at, ordering: .acquiringAndReleasing).exchanged {
            let i = count.load(ordering: .acquiring)
            if i < Self.capacity { episodes[i] = (at, .max) }
        }
    }

    /// Whether an episode is open (the bucket ran empty and has not been seen full since).
    @inline(__always)
    var isEmptied: Bool { emptySince.load(ordering: .relaxed) != .max }

    /// With an episode open: if the bucket, in `state` (the cell's words), is full by `now`,
    /// closes the episode at the exact time it became full.
    @inline(__always)
    func observe(state: UnsafePointer<UInt64>, now: UInt64) {
        let since = emptySince.load(ordering: .relaxed)
        guard since != .max, table.isFull(group: group, state: state, now: now) else { return }
        let full = table.fullAt(group: group, state: state)
        guard full <= now else { return }
        if emptySince.compareExchange(expected: since, desired: .max, ordering: .acquiringAndReleasing).exchanged {
            let i = count.load(ordering: .acquiring)
            if i < Self.capacity { episodes[i].full = max(full, since) }
            count.store(i + 1, ordering: .releasing)
        }
    }

    /// `observe` on the cell's current state.
    func observe(now: UInt64) {
        guard isEmptied else { return }
        let state = cell.snapshot()
        state.withUnsafeBufferPointer { observe(state: $0.baseAddress!, now: now) }
    }

    /// Closed episodes, then the open one (full = nil) if the bucket is empty now.
    public func history() -> [(empty: UInt64, full: UInt64?)] {
        let n = min(count.load(ordering: .acquiring), Self.capacity)
        var out: [(UInt64, UInt64?)] = (0..<n).map { (episodes[$0].empty, episodes[$0].full) }
        let since = emptySince.load(ordering: .acquiring)
        if since != .max { out.append((since, nil)) }
        return out
    }
}
