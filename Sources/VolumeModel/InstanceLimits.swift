import Synchronization
import Throttle

/// An instance's EBS limits, shared by every volume attached to it (pass the same object
/// to each volume's shaper): a peak limiter at the maximum IOPS and bandwidth, and for
/// burstable instances a credit bucket (both dimensions) sized 30 min × (max − baseline).
///
/// A limit that the attached volumes can never reach is not booked (see `Upstream`): a
/// gp2 volume's 3,000 IOPS never touch an m5.large's 3,600 baseline IOPS, so neither its
/// IOPS credits nor its 18,750 peak IOPS could ever hold an I/O back, and booking them
/// would only cost time on every admit. `unbooked` names them for the result.
///
/// The instance's state and that of every volume attached to it are words of one
/// `MultiWordCell` (the instance's limits first, then `wordsPerVolume` per volume), so an
/// I/O on any of the volumes books its volume and the instance in one atomic update, and
/// volumes racing for the instance are served in one order by every limit.
public final class InstanceLimits: @unchecked Sendable {
    public let profile: InstanceProfile
    public let epoch: UInt64
    /// The limits left out because the attached volumes can never reach them.
    public let unbooked: [String]
    /// The limits booked per I/O.
    public let booked: [String]
    /// nil without a booked credit limit.
    public let credits: CreditTracker?
    /// The booked limits as bucket groups (peak, then credits), at words 0..<`instanceWords`.
    let groups: [[BucketTable.Limit]]
    let cell: MultiWordCell
    /// Volumes this instance has room for, and how many have taken their room.
    let capacity: Int
    private let registered = Atomic<Int>(0)
    /// A volume's words: EBS accounting (2), then up to four limits (peak and credits, two dimensions each).
    static let wordsPerVolume = 6
    let instanceWords: Int

    /// - sharing: `.exclusive` when one job thread in all uses this instance (see `Sharing`).
    /// - attached: every volume that will use this instance; nil (unknown) books every limit,
    ///   and so do several volumes (see `Upstream`).
    /// - volumes: how many volume shapers will use it (default: `attached`'s count, or 8).
    ///   The instance must be made no later than its volumes (its epoch <= theirs).
    public init(profile p: InstanceProfile, epoch: UInt64, sharing: Sharing = .shared, attached: [Upstream]? = nil,
                volumes: Int? = nil) {
        profile = p
        self.epoch = epoch
        var skipped: [String] = [], kept: [String] = []
        func needed(_ name: String, _ dim: Upstream.Dimension, rate: UInt64, burst: UInt64, start: UInt64) -> Bool {
            if let a = attached, Upstream.neverExceeds(a, dim, rate: rate, burst: burst, start: start) {
                skipped.append(name)
                return false
            }
            kept.append(name)
            return true
        }
        var initial: [UInt64] = []
        func limit(_ g: GCRA, bytes: Bool, start: UInt64) -> BucketTable.Limit {
            initial.append(g.initialState(balance: start))
            return BucketTable.Limit(gcra: g, word: initial.count - 1, chargesBytes: bytes, epoch: epoch)
        }
        var groups: [[BucketTable.Limit]] = []
        // Peak limiters hold 10 ms of work and start with one operation (see VolumeShaper).
        let opsBurst = max(1, p.maxIOPS / 100), bytesBurst = max(Units1MiB, p.maxBytesPerSec / 100)
        var peak: [BucketTable.Limit] = []
        if needed("peak IOPS", .ops, rate: p.maxIOPS, burst: opsBurst, start: 1) {
            peak.append(limit(GCRA(rate: p.maxIOPS, burst: opsBurst), bytes: false, start: 1))
        }
        if needed("peak throughput", .bytes, rate: p.maxBytesPerSec, burst: bytesBurst, start: Units1MiB) {
            peak.append(limit(GCRA(rate: p.maxBytesPerSec, burst: bytesBurst), bytes: true, start: Units1MiB))
        }
        if !peak.isEmpty { groups.append(peak) }
        var creditGroup: Int?
        if let cap = p.creditCapacity {
            var credit: [BucketTable.Limit] = []
            if cap.ops > 0 && needed("IOPS credits", .ops, rate: p.baselineIOPS, burst: cap.ops, start: cap.ops) {
                credit.append(limit(GCRA(rate: p.baselineIOPS, burst: cap.ops), bytes: false, start: cap.ops))
            }
            if cap.bytes > 0 && needed("throughput credits", .bytes, rate: p.baselineBytesPerSec, burst: cap.bytes, start: cap.bytes) {
                credit.append(limit(GCRA(rate: p.baselineBytesPerSec, burst: cap.bytes), bytes: true, start: cap.bytes))
            }
            if !credit.isEmpty { creditGroup = groups.count; groups.append(credit) }
        }
        self.groups = groups
        unbooked = skipped
        booked = kept
        instanceWords = initial.count
        capacity = max(1, volumes ?? attached?.count ?? 8)
        // A volume's words are set when it registers (see `register`).
        cell = MultiWordCell(initial: initial + [UInt64](repeating: 0, count: capacity * Self.wordsPerVolume), slots: ThreadSlot.slots,
                            exclusive: sharing == .exclusive)
        if let i = creditGroup {
            let c = CreditTracker(name: "instance")
            c.bind(cell: cell, table: BucketTable(groups: groups), group: i, epoch: epoch)
            credits = c
        } else {
            credits = nil
        }
    }

    /// Room for one more volume: the first of its `wordsPerVolume` words in `cell`.
    func register() -> Int {
        let i = registered.wrappingAdd(1, ordering: .relaxed).oldValue
        precondition(i < capacity, "InstanceLimits was made for \(capacity) volumes; give volumes: to attach more")
        return instanceWords + i * Self.wordsPerVolume
    }
}

/// What one attached volume can send its instance at most: its peak limiter (rate, burst,
/// starting balance per dimension) and the largest single request its jobs make.
///
/// When a downstream bucket (the instance's) can never hold an I/O back, for an instance
/// with one attached volume. Token counts compared: if the bucket refills at least as fast
/// as the volume's peak limiter (rate >= its rate), holds at least as much (burst >= its
/// burst + 1, the +1 for the volume's own emission grid, whose floor may run a token ahead
/// in a window) and starts with at least as much (its epoch is no later, so from the start
/// its emission floor is never behind), then by induction over admits it always holds at
/// least the volume's tokens, so whenever the volume has the tokens for a request, so does
/// the instance. That needs the volume never to go into debt: no request may cost more than
/// its burst, hence the largest request. A property test plays random workloads with and
/// without the skipped limits and requires identical go-times.
///
/// Not for several volumes: buckets serve bookings in the order they are made, and a volume
/// held back by its own credits books the instance at a future go-time, so a neighbour
/// arriving now queues behind that booking in every instance limit; leaving one out would
/// change that neighbour's go-time.
public struct Upstream: Sendable {
    public enum Dimension: Sendable { case ops, bytes }
    let ops: (rate: UInt64, burst: UInt64, start: UInt64, largest: UInt64)?
    let bytes: (rate: UInt64, burst: UInt64, start: UInt64, largest: UInt64)?

    /// - largestIO: the largest I/O any job on the volume issues (bytes).
    public init(volume v: ResolvedVolume, largestIO: UInt64) {
        let limiter = VolumeShaper.peakLimiter(v)
        let opsPerIO = (largestIO + v.profile.opSize - 1) / v.profile.opSize
        let charged = v.profile.smallRandomCostsFullOp ? opsPerIO * v.profile.opSize : largestIO
        ops = limiter.ops.map { ($0.rate, $0.burst, 1, opsPerIO) }
        bytes = limiter.bytes.map { ($0.rate, $0.burst, v.profile.opSize, charged) }
    }

    static func neverExceeds(_ volumes: [Upstream], _ dim: Dimension, rate: UInt64, burst: UInt64, start: UInt64) -> Bool {
        guard volumes.count == 1, let d = dim == .ops ? volumes[0].ops : volumes[0].bytes, d.largest <= d.burst else { return false }
        return d.rate <= rate && d.burst + 1 <= burst && d.start <= start
    }
}

let Units1MiB: UInt64 = 1 << 20
