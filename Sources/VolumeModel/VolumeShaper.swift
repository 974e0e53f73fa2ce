import BlockLabCore
import Synchronization
import Throttle

/// An emulated EBS volume (optionally behind an instance's shared EBS limits), seen by the
/// engine through `IOShaper`. Per I/O: EBS accounting (split/merge into operations), then
/// every bucket group — the volume's peak limiter, its credit bucket, the instance's peak
/// and credit buckets — booked at one common go-time (`BucketTable`). The time an I/O waits
/// here is device latency: the engine measures from when the I/O was due, so returning the
/// go-time is enough.
///
/// The accounting state and every bucket's state are words of one `MultiWordCell` (the
/// volume's own, or its instance's, shared with the other volumes there), so an admit is
/// one atomic update of all of them: one locked instruction however many limits apply,
/// none when one job thread uses the cell (`.exclusive`, and in the simulator); no lock,
/// no allocation.
public final class VolumeShaper: IOShaper, @unchecked Sendable {
    public let volume: ResolvedVolume
    public let instance: InstanceLimits?
    public let accounting: EBSAccounting
    public let latency: LatencyModel
    public let epoch: UInt64
    public let sharing: Sharing
    /// The volume's own credit bucket (gp2 I/O credits, st1/sc1 throughput credits).
    public let credits: CreditTracker?
    /// The instance-store envelope, charged per I/O in device time (see `LocalEnvelope`).
    private let local: LocalEnvelope?
    private let cell: MultiWordCell
    /// This volume's limits, then the instance's, over `cell`'s words.
    private let table: BucketTable
    /// Credit groups to watch: (group in `table`, tracker) for the volume's and the instance's.
    /// Unretained: a retain/release per I/O would cost more than the check.
    private let watched: (Int, Unmanaged<CreditTracker>?, Int, Unmanaged<CreditTracker>?)

    /// - instance: shared by every volume on the same instance; nil for no instance limit.
    /// - epoch: the run's start on the engine's clock (`clock.now()`), or 0 in the simulator.
    ///   Buckets start with their starting balance at the epoch; a wrong (early) epoch would
    ///   make every bucket look long refilled.
    /// - sharing: `.exclusive` only if one thread at a time admits to this volume (see
    ///   `Sharing`). With an instance, the instance's sharing decides (it holds the state).
    public init(volume v: ResolvedVolume, instance: InstanceLimits? = nil, epoch: UInt64, sharing: Sharing = .shared) {
        volume = v
        self.instance = instance
        self.epoch = epoch
        self.sharing = sharing
        latency = LatencyModel(v.profile.latency)
        let base = instance?.register() ?? 0
        var initial = EBSAccounting.initialWords
        var groups: [[BucketTable.Limit]] = []
        func limit(_ g: GCRA, bytes: Bool, start: UInt64) -> BucketTable.Limit {
            initial.append(g.initialState(balance: start))
            return BucketTable.Limit(gcra: g, word: base + initial.count - 1, chargesBytes: bytes, epoch: epoch)
        }
        let limiter = Self.peakLimiter(v)
        let peak = [limiter.ops.map { limit($0, bytes: false, start: 1) }, limiter.bytes.map { limit($0, bytes: true, start: v.profile.opSize) }]
        if !peak.compactMap({ $0 }).isEmpty { groups.append(peak.compactMap { $0 }) }
        if let l = v.local {
            // Local disks: one device-time bucket (10 ms of work) for reads and writes together.
            groups.append([limit(GCRA(rate: l.rate, burst: max(l.rate / 100, max(l.readIOPS, l.writeIOPS))), bytes: false, start: max(l.readIOPS, l.writeIOPS))])
        }
        local = v.local
        var volumeCreditGroup = -1
        if v.opCredits != nil || v.byteCredits != nil {
            let c = [v.opCredits.map { limit(GCRA(rate: $0.rate, burst: $0.capacity), bytes: false, start: $0.start) },
                     v.byteCredits.map { limit(GCRA(rate: $0.rate, burst: $0.capacity), bytes: true, start: $0.start) }]
            volumeCreditGroup = groups.count
            groups.append(c.compactMap { $0 })
            credits = CreditTracker(name: "volume")
        } else {
            credits = nil
        }
        var instanceCreditGroup = -1
        if let i = instance {
            precondition(initial.count <= InstanceLimits.wordsPerVolume)
            precondition(sharing == .exclusive || !i.cell.exclusive, "a shared volume on an instance made for one thread")
            let first = groups.count
            groups += i.groups
            if let c = i.credits { instanceCreditGroup = first + c.group }
            cell = i.cell
            cell.set(initial.enumerated().map { (base + $0.offset, $0.element) }, slot: i.cell.exclusive ? 0 : ThreadSlot.current)
        } else {
            cell = MultiWordCell(initial: initial, slots: ThreadSlot.slots, exclusive: sharing == .exclusive)
        }
        table = BucketTable(groups: groups)
        accounting = EBSAccounting(opSize: v.profile.opSize, chargeFullOps: v.profile.smallRandomCostsFullOp, cell: cell, word: base)
        credits?.bind(cell: cell, table: table, group: volumeCreditGroup, epoch: epoch)
        watched = (volumeCreditGroup, credits.map { .passUnretained($0) },
                   instanceCreditGroup, instance?.credits.map { .passUnretained($0) })
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

    /// A shaper whose buckets start now on `clock` (for real runs), with the instance's
    /// limits (if any) for this volume alone.
    public convenience init(volume: ResolvedVolume, instance: InstanceProfile?, clock: MonotonicClock, sharing: Sharing = .shared) {
        let now = clock.now()
        self.init(volume: volume, instance: instance.map { InstanceLimits(profile: $0, epoch: now, sharing: sharing, volumes: 1) },
                  epoch: now, sharing: sharing)
    }

    public func admit(direction: IODirection, offset: UInt64, length: UInt32, now: UInt64) -> UInt64 {
        // One writer: slot 0 will do for everything (saves the thread-slot lookup).
        let slot = cell.exclusive ? 0 : ThreadSlot.current
        let n = cell.count
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * n) { buf in
            let src = buf.baseAddress!, dst = src + n
            var claimed = -1
            while true {
                let token = cell.read(into: src)
                // Words of the instance's other volumes go through unchanged.
                if instance != nil { dst.update(from: src, count: n) }
                var (ops, bytes) = accounting.step(src: src, dst: dst, offset: offset, length: length)
                if let l = local { ops = l.cost(direction, length: UInt64(length)) }
                let (g, held) = table.reserve(src: src, dst: dst, ops: ops, bytes: bytes, arrival: now)
                guard cell.publish(token, from: dst, slot: slot, claimed: &claimed) else { continue }
                // Episodes change only after the publish: `src` was the state just before
                // this booking, so a refill seen in it closes the episode, then this I/O
                // may open the next (a retried attempt must not act on a state it lost).
                watch(watched.1, state: src, now: now)
                watch(watched.3, state: src, now: now)
                if held != 0 { markEmpty(held, at: g) }
                accounting.record(length: length, charged: bytes, waited: g > now ? g - now : 0, slot: slot)
                return g
            }
        }
    }

    /// Closes a tracker's open episode if its bucket has refilled by `now`.
    @inline(__always)
    private func watch(_ t: Unmanaged<CreditTracker>?, state: UnsafePointer<UInt64>, now: UInt64) {
        guard let t else { return }
        t._withUnsafeGuaranteedRef { if $0.isEmptied { $0.observe(state: state, now: now) } }
    }

    /// The credit groups that held the request ran empty at `g` (they handed out their last credit then).
    @inline(__always)
    private func markEmpty(_ held: UInt32, at g: UInt64) {
        if watched.0 >= 0, held & (1 << UInt32(watched.0)) != 0 { watched.1?._withUnsafeGuaranteedRef { $0.markEmpty(at: g) } }
        if watched.2 >= 0, held & (1 << UInt32(watched.2)) != 0 { watched.3?._withUnsafeGuaranteedRef { $0.markEmpty(at: g) } }
    }

    public func serviceTime(direction: IODirection, offset: UInt64, length: UInt32, issuedAt: UInt64) -> UInt64 {
        latency.sample(offset: offset, issuedAt: issuedAt, direction: direction)
    }

    /// Time spent waiting in the throttle so far (ns), summed over I/Os. (No count of the
    /// I/Os that waited: one more locked add per I/O was not worth it.)
    public var throttledNs: UInt64 { accounting.waitedNs }

    public func sample(now: UInt64) -> [(String, Double)] {
        credits?.observe(now: now)
        instance?.credits?.observe(now: now)
        var out: [(String, Double)] = []
        if let c = credits { out.append(("burst_balance_pct", c.burstBalancePercent(now: now))) }
        if let c = instance?.credits { out.append(("instance_burst_balance_pct", c.burstBalancePercent(now: now))) }
        let t = accounting.totals
        out.append(("throttled_ms", Double(throttledNs) / 1e6))
        out.append(("ebs_ops", Double(t.ebsOps)))
        out.append(("raw_ios", Double(t.rawIOs)))
        return out
    }

    /// The effective envelope: the lower of the volume's and the instance's peak limits.
    public var envelope: (iops: UInt64?, bytesPerSec: UInt64?) {
        func lower(_ a: UInt64?, _ b: UInt64?) -> UInt64? { a.map { x in b.map { min(x, $0) } ?? x } ?? b }
        let localIOPS = local.map { max($0.readIOPS, $0.writeIOPS) }
        return (lower(lower(volume.peakIOPS, localIOPS), instance?.profile.maxIOPS), lower(volume.peakBytesPerSec, instance?.profile.maxBytesPerSec))
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
