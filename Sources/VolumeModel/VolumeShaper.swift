import BlockLabCore
import Synchronization
import Throttle

/// An emulated EBS volume (optionally behind an instance's shared EBS limits), seen by the
/// engine through `IOShaper`. Per I/O: EBS accounting (split/merge into operations), then
/// every bucket group — the volume's peak limiter, its credit bucket, the instance's peak
/// and credit buckets — booked at one common go-time (`BucketChain`). All state is
/// atomics; admit() takes no lock and allocates nothing. The time an I/O waits here is
/// device latency: the engine measures from when the I/O was due, so returning the go-time
/// is enough.
///
/// A volume that one job thread uses (`sharing: .exclusive`, numjobs=1, and the
/// simulator) has no locked instruction on this path at all: its buckets and accounting
/// update plain words. An instance's limits are exclusive only when one thread in the
/// whole run uses them.
public final class VolumeShaper: IOShaper, @unchecked Sendable {
    public let volume: ResolvedVolume
    public let instance: InstanceLimits?
    public let accounting: EBSAccounting
    public let latency: LatencyModel
    public let epoch: UInt64
    public let sharing: Sharing
    /// The volume's own credit bucket (gp2 I/O credits, st1/sc1 throughput credits).
    public let credits: CreditTracker?
    /// The bucket groups and the credit trackers, held unretained in buffers allocated once:
    /// reference counting on the per-I/O path would cost more than the arithmetic (each
    /// retain/release is an atomic operation). `keep` owns them for the shaper's lifetime.
    private let groups: UnsafeMutableBufferPointer<Unmanaged<DualTokenBucket>>
    private let trackers: UnsafeMutableBufferPointer<Unmanaged<CreditTracker>>
    /// Bit i set: group i is a credit bucket, tracked by trackers[trackerIndex[i]].
    private let creditMask: UInt32
    private let trackerIndex: (Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8)
    private let keep: [AnyObject]
    /// Time I/Os waited here, summed (per-thread stripes: no locked add per I/O).
    private let throttledTotal = PerThreadCounters(fields: 1)

    /// - instance: shared by every volume on the same instance; nil for no instance limit.
    /// - epoch: the run's start on the engine's clock (`clock.now()`), or 0 in the simulator.
    ///   Buckets start with their starting balance at the epoch; a wrong (early) epoch would
    ///   make every bucket look long refilled.
    /// - sharing: `.exclusive` only if one thread at a time admits (see `Sharing`); the
    ///   instance's own sharing is set where it is made. Exclusive with a shared instance is fine.
    public init(volume v: ResolvedVolume, instance: InstanceLimits? = nil, epoch: UInt64, sharing: Sharing = .shared) {
        volume = v
        self.instance = instance
        self.epoch = epoch
        self.sharing = sharing
        accounting = EBSAccounting(opSize: v.profile.opSize, chargeFullOps: v.profile.smallRandomCostsFullOp, sharing: sharing)
        latency = LatencyModel(v.profile.latency)
        var list: [(DualTokenBucket, CreditTracker?)] = []
        let limiter = Self.peakLimiter(v)
        if limiter.ops != nil || limiter.bytes != nil {
            list.append((DualTokenBucket(ops: limiter.ops, bytes: limiter.bytes, initialOps: 1, initialBytes: v.profile.opSize,
                                         epoch: epoch, sharing: sharing), nil))
        }
        if v.opCredits != nil || v.byteCredits != nil {
            let c = CreditTracker(CreditBucket(name: "volume", opCredits: v.opCredits, byteCredits: v.byteCredits, epoch: epoch, sharing: sharing))
            credits = c
            list.append((c.credits.bucket, c))
        } else {
            credits = nil
        }
        if let i = instance {
            if let p = i.peak { list.append((p, nil)) }
            if let c = i.credits { list.append((c.credits.bucket, c)) }
        }
        precondition(list.count <= BucketChain.maxGroups)
        groups = .allocate(capacity: list.count)
        _ = groups.initialize(from: list.map { Unmanaged.passUnretained($0.0) })
        let tracked = list.compactMap(\.1)
        trackers = .allocate(capacity: max(1, tracked.count))
        _ = trackers.initialize(from: tracked.map { Unmanaged.passUnretained($0) })
        var mask: UInt32 = 0
        var index: [Int8] = Array(repeating: -1, count: 8)
        var n: Int8 = 0
        for (i, g) in list.enumerated() where g.1 != nil { mask |= 1 << UInt32(i); index[i] = n; n += 1 }
        creditMask = mask
        trackerIndex = (index[0], index[1], index[2], index[3], index[4], index[5], index[6], index[7])
        keep = list.map { $0.0 as AnyObject } + tracked
        trackerCount = tracked.count
    }

    /// The volume's peak limiter per dimension. It holds 10 ms of work (at least one
    /// operation), so a thread woken a little late may catch up, and starts with one
    /// operation (`opSize` bytes): from the epoch, I/Os at full demand go on the rate's grid
    /// (the n-th at n / rate), so credit buckets drain exactly as the closed form
    /// balance / (burst - baseline) says, to the ns.
    static func peakLimiter(_ v: ResolvedVolume) -> (ops: GCRA?, bytes: GCRA?) {
        (v.peakIOPS.map { GCRA(rate: $0, burst: max(1, $0 / 100)) },
         v.peakBytesPerSec.map { GCRA(rate: $0, burst: max(v.profile.opSize, $0 / 100)) })
    }

    /// A shaper whose buckets start now on `clock` (for real runs).
    public convenience init(volume: ResolvedVolume, instance: InstanceProfile?, clock: MonotonicClock, sharing: Sharing = .shared) {
        let now = clock.now()
        self.init(volume: volume, instance: instance.map { InstanceLimits(profile: $0, epoch: now, sharing: sharing) }, epoch: now, sharing: sharing)
    }

    deinit {
        groups.deallocate()
        trackers.deallocate()
    }

    @inline(__always) private func tracker(forGroup i: Int) -> Unmanaged<CreditTracker> {
        let idx = withUnsafeBytes(of: trackerIndex) { Int($0.load(fromByteOffset: i, as: Int8.self)) }
        return trackers[idx]
    }

    private let trackerCount: Int

    public func admit(direction: IODirection, offset: UInt64, length: UInt32, now: UInt64) -> UInt64 {
        // One writer: stripe 0 of the counters will do (saves the thread-slot lookup).
        let slot = sharing == .exclusive ? 0 : ThreadSlot.current
        let (ops, bytes) = accounting.account(offset: offset, length: length, slot: slot)
        if groups.isEmpty || (ops == 0 && bytes == 0) { return now }
        let nt = trackerCount
        for i in 0..<nt { trackers[i]._withUnsafeGuaranteedRef { $0.observe(now: now) } }
        let (g, heldBy) = BucketChain.reserve(UnsafeBufferPointer(groups), opCost: ops, byteCost: bytes, arrival: now)
        return finish(g, now: now, creditHeld: heldBy & creditMask, slot: slot)
    }

    @inline(__always)
    private func finish(_ g: UInt64, now: UInt64, creditHeld: UInt32, slot: Int) -> UInt64 {
        if creditHeld != 0 {
            // The bucket handed out its last credit at g: that is when it ran empty.
            for i in 0..<groups.count where creditHeld & (1 << UInt32(i)) != 0 {
                tracker(forGroup: i)._withUnsafeGuaranteedRef { $0.markEmpty(at: g) }
            }
        }
        if g > now {
            throttledTotal.add(0, g - now, slot: slot)
        }
        return g
    }

    public func serviceTime(direction: IODirection, offset: UInt64, length: UInt32, issuedAt: UInt64) -> UInt64 {
        latency.sample(offset: offset, issuedAt: issuedAt, direction: direction)
    }

    /// Time spent waiting in the throttle so far (ns), summed over I/Os. (No count of the
    /// I/Os that waited: one more locked add per I/O was not worth it.)
    public var throttledNs: UInt64 { throttledTotal.total(0) }

    public func sample(now: UInt64) -> [(String, Double)] {
        for i in 0..<trackerCount { trackers[i].takeUnretainedValue().observe(now: now) }
        var out: [(String, Double)] = []
        if let c = credits { out.append(("burst_balance_pct", c.credits.burstBalancePercent(now: now))) }
        if let c = instance?.credits { out.append(("instance_burst_balance_pct", c.credits.burstBalancePercent(now: now))) }
        let t = accounting.totals
        out.append(("throttled_ms", Double(throttledNs) / 1e6))
        out.append(("ebs_ops", Double(t.ebsOps)))
        out.append(("raw_ios", Double(t.rawIOs)))
        return out
    }

    /// The effective envelope: the lower of the volume's and the instance's peak limits.
    public var envelope: (iops: UInt64?, bytesPerSec: UInt64?) {
        func lower(_ a: UInt64?, _ b: UInt64?) -> UInt64? { a.map { x in b.map { min(x, $0) } ?? x } ?? b }
        return (lower(volume.peakIOPS, instance?.profile.maxIOPS), lower(volume.peakBytesPerSec, instance?.profile.maxBytesPerSec))
    }

    /// A warning when the run never reached what the emulated volume allows and never waited
    /// in the throttle: then the local device was the limit, and the figures describe the
    /// host, not the volume. What the volume allows is its envelope, and at `iodepth` I/Os
    /// in flight (all the job's threads together) also Little's law: iodepth / mean modelled
    /// service time (a depth-1 run on gp3 is held near 1 / latency by the model itself, not
    /// by the host). nil when the run reached at least 90 % of that (75 % when depth-bound).
    public func hostBound(observedIOPS: Double, observedBytesPerSec: Double, elapsedNs: UInt64, iodepth: Int? = nil) -> String? {
        let env = envelope
        guard env.iops != nil || env.bytesPerSec != nil, elapsedNs > 0 else { return nil }
        let waited = Double(throttledNs) / Double(elapsedNs)
        var allowedIOPS: Double? = env.iops.map { Double($0) }
        var depthBound = false
        if let q = iodepth, q > 0 {
            let byDepth = Double(q) * 1e9 / latency.meanNs
            if byDepth < allowedIOPS ?? .infinity { allowedIOPS = byDepth; depthBound = true }
        }
        // At a shallow depth every I/O also pays the engine's wake-up after its emulated
        // completion (tens to hundreds of µs on a loaded VM), so allow more slack there.
        let slack = depthBound ? 0.75 : 0.9
        let iopsShort = allowedIOPS.map { observedIOPS < slack * $0 } ?? true
        // A depth-bound run cannot reach the byte envelope either; the IOPS figure decides.
        let bytesShort = depthBound || (env.bytesPerSec.map { observedBytesPerSec < 0.9 * Double($0) } ?? true)
        guard iopsShort && bytesShort && waited < 0.01 else { return nil }
        let iopsText = allowedIOPS.map { depthBound
            ? "about \(Units.formatDecimal($0, places: 0)) IOPS at queue depth \(iodepth!) (mean modelled latency \(Units.formatDecimal(latency.meanNs / 1000, places: 0)) us)"
            : "\(UInt64($0)) IOPS" } ?? "unlimited IOPS"
        let bytesText = env.bytesPerSec.map { Units.formatRate(Double($0)) } ?? "unlimited throughput"
        return "the run reached \(Units.formatDecimal(observedIOPS, places: 0)) IOPS and \(Units.formatRate(observedBytesPerSec)) "
            + "but \(volume.name) allows \(iopsText) and \(bytesText): the local device\(iodepth == nil ? " or the queue depth" : ""), "
            + "not the emulated volume, limited this run"
    }
}
