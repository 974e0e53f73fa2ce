import Synchronization
import Throttle

/// Records when a credit bucket ran empty and when it was full again, without locks: the
/// transitions alternate and each is claimed by one compare-exchange on `emptySince`, so
/// only one thread writes each episode slot. Episodes go into a buffer allocated once.
public final class CreditTracker: @unchecked Sendable {
    public let credits: CreditBucket
    private let emptySince = Atomic<UInt64>(.max)
    private let count = Atomic<Int>(0)
    private let episodes: UnsafeMutableBufferPointer<(empty: UInt64, full: UInt64)>
    static let capacity = 256

    public init(_ credits: CreditBucket) {
        self.credits = credits
        episodes = .allocate(capacity: Self.capacity)
        episodes.initialize(repeating: (0, .max))
    }

    deinit { episodes.deallocate() }

    /// The bucket handed out its last credit at `at` (it made a request wait).
    @inline(__always)
    func markEmpty(at: UInt64) {
        guard emptySince.load(ordering: .relaxed) == .max else { return }
        if emptySince.compareExchange(expected: .max, desired: at, ordering: .acquiringAndReleasing).exchanged {
            let i = count.load(ordering: .acquiring)
            if i < Self.capacity { episodes[i] = (at, .max) }
        }
    }

    /// If the bucket has been refilled by `now`, closes the open episode at the exact time
    /// it became full.
    @inline(__always)
    func observe(now: UInt64) {
        let since = emptySince.load(ordering: .relaxed)
        guard since != .max, credits.bucket.isFull(now: now) else { return }
        let full = credits.bucket.fullAt()
        guard full <= now else { return }
        if emptySince.compareExchange(expected: since, desired: .max, ordering: .acquiringAndReleasing).exchanged {
            let i = count.load(ordering: .acquiring)
            if i < Self.capacity { episodes[i].full = max(full, since) }
            count.store(i + 1, ordering: .releasing)
        }
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
