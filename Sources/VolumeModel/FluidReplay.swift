import BlockLabCore

/// How a workload's I/Os fall on the volume: random I/Os are counted one EBS operation (or
/// more) each; sequential ones merge up to the operation size (256 KiB SSD, 1 MiB HDD).
public enum AccessPattern: String, Sendable {
    case random, sequential
}

/// One interval of demand: raw I/Os and bytes per direction (read, write).
public struct DemandInterval: Sendable, Equatable {
    public var startNs: UInt64
    public var durationNs: UInt64
    public var ios: [UInt64]
    public var bytes: [UInt64]

    public init(startNs: UInt64, durationNs: UInt64, ios: [UInt64], bytes: [UInt64]) {
        self.startNs = startNs; self.durationNs = durationNs; self.ios = ios; self.bytes = bytes
    }
}

extension SeriesDemand {
    /// Demand made in code (tests, benchmarks) rather than read from a file.
    public static func of(_ jobs: [(name: String, intervals: [Interval])]) -> SeriesDemand { SeriesDemand(jobs: jobs) }

    /// The jobs' k-th intervals summed into one demand interval each, played as `phases`
    /// plays them (intervals of all jobs together, the longest one's length).
    public func combined() -> [DemandInterval] {
        let count = jobs.map(\.intervals.count).max() ?? 0
        return (0..<count).map { k in
            let members = jobs.compactMap { k < $0.intervals.count ? $0.intervals[k] : nil }
            return DemandInterval(startNs: members.map(\.startNs).min()!, durationNs: members.map(\.durationNs).max()!,
                                  ios: [members.reduce(0) { $0 + $1.ios[0] }, members.reduce(0) { $0 + $1.ios[1] }],
                                  bytes: [members.reduce(0) { $0 + $1.bytes[0] }, members.reduce(0) { $0 + $1.bytes[1] }])
        }
    }
}

/// What a volume (or a RAID 0 of `stripes` equal volumes) behind an optional instance is,
/// for the fluid replay.
public struct FluidTarget: Sendable {
    public var volume: ResolvedVolume
    public var stripes: Int
    public var instance: InstanceProfile?

    public init(volume: ResolvedVolume, stripes: Int = 1, instance: InstanceProfile? = nil) {
        self.volume = volume; self.stripes = max(1, stripes)
        // Instance store is local: the instance's EBS limits never apply to it.
        self.instance = volume.profile.rules == .instanceStore ? nil : instance
    }
}

/// The replay's findings over the whole demand.
public struct FluidResult: Sendable {
    public var totalNs: Double = 0
    public var demandedIOs: Double = 0
    public var servedIOs: Double = 0
    /// Time with demand above what the limits allowed, and the I/Os served then.
    public var throttledNs: Double = 0
    public var throttledServedIOs: Double = 0
    /// The lowest rate (raw IOPS) served while throttled.
    public var lowestThrottledIOPS: Double?
    /// Per limit: time it held the served rate below demand.
    public var heldNs: [String: Double] = [:]
    /// Per credit bucket: when it first ran empty (ns from the start), and its lowest balance (% of capacity).
    public var firstEmptyNs: [String: Double] = [:]
    public var lowestBalancePct: [String: Double] = [:]
    /// Per interval, I/Os served (for tests and charts).
    public var servedPerInterval: [Double] = []
    /// The highest demand as a fraction of the peak limits (credits full), and of the
    /// sustained limits (credits empty), over the intervals.
    public var peakUtilisation: Double = 0
    public var sustainedUtilisation: Double = 0
    /// The sustained rate (raw IOPS) of the busiest interval's mix once every credit bucket is empty.
    public var sustainedIOPSAtPeak: Double?
    /// The peak limiters' rate (raw IOPS, credits full) for the interval nearest to its limits.
    public var peakIOPSAtPeak: Double?

    /// The limit that held demand back longest, nil when nothing ever did.
    public var binding: String? { heldNs.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key }
    public var servedFraction: Double { demandedIOs == 0 ? 1 : servedIOs / demandedIOs }
}

/// Plays demand through a volume's limits one interval at a time, solving the bucket
/// maths in closed form instead of stepping each I/O: within an interval demand arrives at
/// a constant rate, so the served rate is the lowest cap of the peak limiters (volume,
/// instance, local disks) and of every empty credit bucket (its earn rate), and each credit
/// bucket's balance moves linearly (earn rate minus the served rate times each I/O's cost)
/// until one runs empty; that lowers the served rate and only raises the others' drift, so
/// each bucket empties at most once per interval and an interval is a handful of linear
/// pieces. I/Os are counted and charged exactly as `EBSAccounting` does (operations split
/// at the operation size, merged when sequential, HDD charged whole operations), with the
/// same limits `VolumeShaper` books. Demand above the limits is dropped at the interval's
/// end, as the per-I/O replay (`SeriesDemand.phases`) drops it.
public enum FluidReplay {
    struct Credit {
        let name: String
        let bytes: Bool
        let rate: Double
        let capacity: Double
        var balance: Double
        var cost = 0.0
    }

    struct Peak {
        let name: String
        let kind: Int // 0 ops, 1 bytes, 2 local device time
        let rate: Double
    }

    public static func run(_ target: FluidTarget, demand: [DemandInterval], pattern: AccessPattern,
                           keepIntervals: Bool = false) -> FluidResult {
        let v = target.volume, n = Double(target.stripes)
        var peaks: [Peak] = []
        var credits: [Credit] = []
        if let x = v.peakIOPS { peaks.append(Peak(name: "volume IOPS", kind: 0, rate: Double(x) * n)) }
        if let x = v.peakBytesPerSec { peaks.append(Peak(name: "volume throughput", kind: 1, rate: Double(x) * n)) }
        if let l = v.local { peaks.append(Peak(name: "instance store IOPS", kind: 2, rate: Double(l.rate))) }
        if let c = v.opCredits {
            credits.append(Credit(name: "volume I/O credits", bytes: false, rate: Double(c.rate) * n, capacity: Double(c.capacity) * n,
                                  balance: Double(c.start) * n))
        }
        if let c = v.byteCredits {
            credits.append(Credit(name: "volume throughput credits", bytes: true, rate: Double(c.rate) * n,
                                  capacity: Double(c.capacity) * n, balance: Double(c.start) * n))
        }
        if let i = target.instance {
            peaks.append(Peak(name: "instance EBS IOPS", kind: 0, rate: Double(i.maxIOPS)))
            peaks.append(Peak(name: "instance EBS throughput", kind: 1, rate: Double(i.maxBytesPerSec)))
            if let cap = i.creditCapacity {
                if cap.ops > 0 {
                    credits.append(Credit(name: "instance EBS IOPS credits", bytes: false, rate: Double(i.baselineIOPS),
                                          capacity: Double(cap.ops), balance: Double(cap.ops)))
                }
                if cap.bytes > 0 {
                    credits.append(Credit(name: "instance EBS throughput credits", bytes: true, rate: Double(i.baselineBytesPerSec),
                                          capacity: Double(cap.bytes), balance: Double(cap.bytes)))
                }
            }
        }
        var r = FluidResult()
        // Per limit (peaks, then credit buckets): time it held demand back. Per credit
        // bucket: first empty, lowest balance. Arrays here, named in the result at the end.
        var held = [Double](repeating: 0, count: peaks.count + credits.count)
        var firstEmpty = [Double?](repeating: nil, count: credits.count)
        var lowest = credits.map { $0.capacity > 0 ? $0.balance * 100 / $0.capacity : 100 }
        var clock = 0.0
        func idle(_ seconds: Double) {
            guard seconds > 0 else { return }
            for j in credits.indices { credits[j].balance = min(credits[j].capacity, credits[j].balance + credits[j].rate * seconds) }
        }
        for iv in demand {
            let start = Double(iv.startNs) / 1e9
            if start > clock { idle(start - clock); clock = start }
            let T = Double(iv.durationNs) / 1e9
            let ios = Double(iv.ios[0] + iv.ios[1])
            r.demandedIOs += ios
            guard ios > 0, T > 0 else {
                idle(T); clock += T
                if keepIntervals { r.servedPerInterval.append(0) }
                continue
            }
            let a = ios / T
            // Per raw I/O: EBS operations, charged bytes, local device time.
            let cost = costs(iv, volume: v, pattern: pattern)
            let perIO = (cost.ops / ios, cost.bytes / ios, cost.local / ios)
            func per(_ kind: Int) -> Double { kind == 0 ? perIO.0 : kind == 1 ? perIO.1 : perIO.2 }
            for j in credits.indices { credits[j].cost = credits[j].bytes ? perIO.1 : perIO.0 }
            // Peak caps in raw IOPS.
            var peakCap = Double.infinity, peakIndex = -1
            for (k, p) in peaks.enumerated() where per(p.kind) > 0 && p.rate / per(p.kind) < peakCap { peakCap = p.rate / per(p.kind); peakIndex = k }
            var sustained = peakCap
            for c in credits where c.cost > 0 { sustained = min(sustained, c.rate / c.cost) }
            if a / peakCap >= r.peakUtilisation {
                r.peakUtilisation = a / peakCap
                r.peakIOPSAtPeak = peakCap.isFinite ? peakCap : nil
            }
            if a / sustained >= r.sustainedUtilisation {
                r.sustainedUtilisation = a / sustained
                r.sustainedIOPSAtPeak = sustained.isFinite ? sustained : nil
            }
            var t = 0.0, served = 0.0
            while T - t > T * 1e-12 {
                var s = a, holder = -1
                if peakCap < s { s = peakCap; holder = peakIndex }
                var changed = true
                while changed {
                    changed = false
                    for (j, c) in credits.enumerated() where c.cost > 0 && c.balance <= c.capacity * 1e-12 && c.rate / c.cost < s * (1 - 1e-12) {
                        s = c.rate / c.cost; holder = peaks.count + j; changed = true
                    }
                }
                var dt = T - t
                for c in credits where c.cost > 0 && c.balance > c.capacity * 1e-12 {
                    let drift = c.rate - s * c.cost
                    if drift < 0 { dt = min(dt, c.balance / -drift) }
                }
                for j in credits.indices {
                    let drift = credits[j].rate - s * credits[j].cost
                    var b = credits[j].balance + drift * dt
                    if b <= credits[j].capacity * 1e-12 {
                        b = 0
                        if drift < 0, firstEmpty[j] == nil { firstEmpty[j] = (clock + t + dt) * 1e9 }
                    }
                    credits[j].balance = min(credits[j].capacity, b)
                    if credits[j].capacity > 0 { lowest[j] = min(lowest[j], credits[j].balance * 100 / credits[j].capacity) }
                }
                served += s * dt
                if holder >= 0, s < a * (1 - 1e-9) {
                    r.throttledNs += dt * 1e9
                    r.throttledServedIOs += s * dt
                    held[holder] += dt * 1e9
                    r.lowestThrottledIOPS = min(r.lowestThrottledIOPS ?? s, s)
                }
                t += dt
            }
            r.servedIOs += served
            if keepIntervals { r.servedPerInterval.append(served) }
            clock += T
        }
        r.totalNs = clock * 1e9
        let names = peaks.map(\.name) + credits.map(\.name)
        for (k, ns) in held.enumerated() where ns > 0 { r.heldNs[names[k], default: 0] += ns }
        for (j, c) in credits.enumerated() {
            r.lowestBalancePct[c.name] = lowest[j]
            if let e = firstEmpty[j] { r.firstEmptyNs[c.name] = e }
        }
        return r
    }

    /// EBS operations, charged bytes and local device-time units an interval's I/Os cost,
    /// each direction's bytes split over its I/Os as the per-I/O replay splits them.
    public static func costs(_ iv: DemandInterval, volume v: ResolvedVolume, pattern: AccessPattern) -> (ops: Double, bytes: Double, local: Double) {
        let op = Double(v.profile.opSize)
        var ops = 0.0, bytes = 0.0, local = 0.0
        for d in 0..<2 where iv.ios[d] > 0 {
            let n = iv.ios[d], b = iv.bytes[d]
            let q = b / n, rem = b % n
            // rem I/Os of q + 1 bytes, n - rem of q.
            func per(_ len: UInt64, _ unit: Double) -> Double { (Double(len) / unit).rounded(.up) }
            let o: Double
            switch pattern {
            case .random: o = Double(rem) * per(q + 1, op) + Double(n - rem) * per(q, op)
            case .sequential: o = (Double(b) / op).rounded(.up)
            }
            ops += o
            bytes += v.profile.smallRandomCostsFullOp ? o * op : Double(b)
            if let l = v.local {
                let unit = Double(LocalEnvelope.unit)
                let units = Double(rem) * max(1, per(q + 1, unit)) + Double(n - rem) * max(1, per(q, unit))
                local += units * Double(d == 1 ? l.readIOPS : l.writeIOPS)
            }
        }
        return (ops, bytes, local)
    }
}
