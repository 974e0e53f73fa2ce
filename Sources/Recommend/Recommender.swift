import BlockLabCore
import VolumeModel

/// One priced, provisioned candidate and what its replay predicts.
public struct RecommendOption: Sendable {
    /// Volume type (`gp3`, `io2`, ..., `instance-store`).
    public var type: String
    /// Volumes in a RAID 0 (1: a single volume).
    public var stripes: Int
    public var volume: ResolvedVolume
    /// The `--volume` spec of one stripe (what `blocklab run` and `simulate` take).
    public var spec: String
    /// For instance store: the instance type that carries it.
    public var instanceType: String?
    public var monthlyCost: Double
    public var costBasis: String
    public var replay: FluidResult
    public var meets: Bool
    /// Predicted latency at the needs' percentile (µs).
    public var latencyUs: Double
    /// 0 (very low) to 4 (very high), as Compute Optimizer grades options.
    public var risk: Int
    public var binding: String
    public var savings: Double?
    /// Throughput met (before the latency target is judged).
    public var meetsThroughput = false

    /// `gp3 500 GiB, 6,000 IOPS, 250 MiB/s` (and `RAID 0 of 2 x ...`).
    public var label: String {
        var parts: [String] = []
        if type == "instance-store" {
            return "instance store on \(instanceType ?? "?") (\(volume.sizeGiB) GiB used)"
        }
        parts.append("\(type) \(volume.sizeGiB) GiB")
        if let i = volume.provisionedIOPS { parts.append("\(Recommender.grouped(Double(i))) IOPS") }
        if let t = volume.provisionedMiBps, volume.profile.rules == .gp3 { parts.append("\(t) MiB/s") }
        let one = parts.joined(separator: ", ")
        return stripes > 1 ? "RAID 0 of \(stripes) x \(one)" : one
    }
}

/// A volume type left out, and why, with figures.
public struct Rejection: Sendable {
    public var type: String
    public var reason: String
}

public struct Recommendation: Sendable {
    public var needs: Needs
    public var instance: InstanceProfile?
    public var prices: PriceTable
    /// Options that meet the needs, cheapest first.
    public var options: [RecommendOption]
    public var rejected: [Rejection]
    public var current: RecommendOption?
    /// Compute Optimizer's finding for the current volume: Optimized or NotOptimized, and why.
    public var finding: String?
    public var findingReason: String?
    public var chosen: RecommendOption { options[0] }
}

/// Sizes and prices every candidate type for the needs, replays the demand through each
/// (`FluidReplay`: the same limits the shaper books), and ranks what meets them.
public struct Recommender {
    public var store: ProfileStore
    public var prices: PriceTable
    public var instance: InstanceProfile?
    /// The volume in use now (`--current`), priced and replayed like the candidates.
    public var current: VolumeSpec?

    public init(store: ProfileStore, prices: PriceTable, instance: InstanceProfile? = nil, current: VolumeSpec? = nil) {
        self.store = store; self.prices = prices; self.instance = instance; self.current = current
    }

    public static let ebsTypes = ["gp3", "io2", "io1", "gp2", "st1", "sc1"]
    public static let maxStripes = 8

    public func recommend(_ needs: Needs) throws -> Recommendation {
        var options: [RecommendOption] = []
        var rejected: [Rejection] = []
        for type in Self.ebsTypes {
            switch try bestEBS(type, needs: needs) {
            case .success(let o): options.append(o)
            case .failure(let r): rejected.append(r)
            }
            if type == "gp2", let note = try gp2AtCapacity(needs: needs, chosen: options.last { $0.type == "gp2" }) { rejected.append(note) }
        }
        let local = try instanceStore(needs: needs)
        options += local.options
        rejected += local.rejected
        options.sort { ($0.monthlyCost, $0.risk, $0.stripes) < ($1.monthlyCost, $1.risk, $1.stripes) }
        var currentOption: RecommendOption?
        if let c = current {
            var v = try c.resolve(in: store)
            if v.profile.rules == .instanceStore, let i = instance { try v.attachLocal(instance: i) }
            currentOption = evaluate(type: v.profile.name, volume: v, stripes: 1, needs: needs, spec: Self.spec(v))
            if v.profile.rules == .instanceStore, let i = instance { currentOption!.monthlyCost = Self.localMonthly(i) ?? 0 }
        }
        guard !options.isEmpty else {
            throw BlockLabError.usage("recommend: no candidate meets the needs (\(Self.describe(needs))): "
                + rejected.map { "\($0.type): \($0.reason)" }.joined(separator: "; "))
        }
        var finding: String?, why: String?
        if let c = currentOption {
            for i in options.indices { options[i].savings = c.monthlyCost - options[i].monthlyCost }
            if !c.meets {
                finding = "NotOptimized"; why = "under-provisioned: " + Self.shortfall(c, needs: needs)
            } else if options[0].monthlyCost < c.monthlyCost * 0.95 {
                finding = "NotOptimized"
                why = "over-provisioned: \(options[0].label) meets the needs for \(Self.money(c.monthlyCost - options[0].monthlyCost)) a month less"
            } else {
                finding = "Optimized"; why = "no cheaper option meets the needs"
            }
        }
        return Recommendation(needs: needs, instance: instance, prices: prices, options: options, rejected: rejected,
                              current: currentOption, finding: finding, findingReason: why)
    }

    // MARK: sizing

    /// Peak EBS operations and charged bytes per second the demand asks of a volume type.
    func peakNeed(_ needs: Needs, profile: VolumeProfile) throws -> (ops: Double, bytes: Double) {
        let probe = try VolumeSpec(type: profile.name, sizeGiB: profile.sizeGiB.upperBound, iops: nil, throughputMiBps: nil, burstBalancePercent: nil)
            .resolveLoosely(profile: profile)
        var ops = 0.0, bytes = 0.0
        for iv in needs.demand where iv.durationNs > 0 {
            let c = FluidReplay.costs(iv, volume: probe, pattern: needs.pattern)
            let s = Double(iv.durationNs) / 1e9
            ops = max(ops, c.ops / s); bytes = max(bytes, c.bytes / s)
        }
        return (ops, bytes)
    }

    enum Outcome { case success(RecommendOption), failure(Rejection) }

    /// The cheapest way to meet the needs with `type`: one volume, else a RAID 0 of up to
    /// `maxStripes`; a rejection with figures when none does.
    func bestEBS(_ type: String, needs: Needs) throws -> Outcome {
        let profile = try store.volume(named: type)
        let need = try peakNeed(needs, profile: profile)
        var lastFail: RecommendOption?
        var lastError: String?
        for stripes in 1...Self.maxStripes {
            let perStripeCapacity = (needs.capacityGiB + UInt64(stripes) - 1) / UInt64(stripes)
            let candidate: ResolvedVolume?
            do {
                candidate = try provision(profile, needOps: need.ops / Double(stripes), needBytes: need.bytes / Double(stripes),
                                          capacityGiB: perStripeCapacity, needs: needs, stripes: stripes)
            } catch BlockLabError.usage(let m) { lastError = m; candidate = nil }
            guard let v = candidate else { continue }
            let o = evaluate(type: type, volume: v, stripes: stripes, needs: needs, spec: Self.spec(v))
            if o.meets { return .success(o) }
            lastFail = o
            // More stripes cannot lift an instance limit or latency.
            if let b = o.replay.binding, b.hasPrefix("instance") { break }
            if o.replay.binding == nil && o.latencyUs > (needs.latencyTargetUs ?? .infinity) { break }
        }
        return .failure(Rejection(type: type, reason: reason(type: type, profile: profile, failed: lastFail, error: lastError, needs: needs)))
    }

    /// Provisions one stripe of `profile` for the per-stripe need: IOPS and throughput where
    /// they are provisioned, else the smallest size whose limits (credits included) meet it.
    func provision(_ p: VolumeProfile, needOps: Double, needBytes: Double, capacityGiB: UInt64, needs: Needs, stripes: Int) throws -> ResolvedVolume? {
        func par(_ k: String) -> Double { p.params[k]! }
        let mib = Double(Units.MiB)
        let minSize = max(capacityGiB, p.sizeGiB.lowerBound)
        guard minSize <= p.sizeGiB.upperBound else { throw BlockLabError.usage("\(capacityGiB) GiB a volume is more than its \(p.sizeGiB.upperBound) GiB") }
        switch p.rules {
        case .gp3:
            var tput = max(par("throughput_mibps.included"), (needBytes / mib).rounded(.up))
            var iops = max(par("iops.included"), needOps.rounded(.up))
            if tput > par("throughput_mibps.included") { iops = max(iops, (tput / par("throughput_mibps.max_per_iops")).rounded(.up)) }
            guard iops <= par("iops.max"), tput <= par("throughput_mibps.max") else {
                throw BlockLabError.usage("needs \(Self.grouped(iops)) IOPS and \(Self.grouped(tput)) MiB/s a volume, more than its "
                    + "\(Self.grouped(par("iops.max"))) IOPS and \(Self.grouped(par("throughput_mibps.max"))) MiB/s")
            }
            tput = max(tput, par("throughput_mibps.included"))
            let size = max(minSize, iops > par("iops.included") ? UInt64((iops / par("iops.max_per_gib")).rounded(.up)) : 0)
            return try VolumeSpec(type: p.name, sizeGiB: size, iops: UInt64(iops), throughputMiBps: UInt64(tput)).resolve(profile: p)
        case .io1, .io2:
            var iops = max(par("iops.min"), needOps.rounded(.up))
            let needMiB = needBytes / mib
            if p.rules == .io2 { iops = max(iops, (needMiB / par("throughput_mibps.per_iops")).rounded(.up)) } else if needMiB > par("throughput_mibps.max_low") {
                iops = max(iops, par("throughput_mibps.low_iops_limit") + 1, (needMiB * 1024 / par("throughput_mibps.kib_per_iops_above")).rounded(.up))
            }
            let maxMiB = par("throughput_mibps.max")
            guard iops <= par("iops.max"), needMiB <= maxMiB else {
                throw BlockLabError.usage("needs \(Self.grouped(iops)) IOPS and \(Self.grouped(needMiB.rounded(.up))) MiB/s a volume, more than its "
                    + "\(Self.grouped(par("iops.max"))) IOPS and \(Self.grouped(maxMiB)) MiB/s")
            }
            let size = max(minSize, UInt64((iops / par("iops.max_per_gib")).rounded(.up)))
            guard size <= p.sizeGiB.upperBound else { throw BlockLabError.usage("\(size) GiB for \(Self.grouped(iops)) IOPS is more than its maximum size") }
            return try VolumeSpec(type: p.name, sizeGiB: size, iops: UInt64(iops)).resolve(profile: p)
        case .gp2, .hdd, .standard:
            // Limits (and credits) grow with size: the smallest size that meets the needs.
            func meets(_ size: UInt64) -> Bool {
                guard let v = try? VolumeSpec(type: p.name, sizeGiB: size).resolve(profile: p) else { return false }
                return evaluate(type: p.name, volume: v, stripes: stripes, needs: needs, spec: "").meetsThroughput
            }
            var lo = minSize, hi = p.sizeGiB.upperBound
            guard meets(hi) else { return try VolumeSpec(type: p.name, sizeGiB: hi).resolve(profile: p) } // judged (and rejected) by the caller
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                if meets(mid) { hi = mid } else { lo = mid + 1 }
            }
            return try VolumeSpec(type: p.name, sizeGiB: lo).resolve(profile: p)
        case .instanceStore:
            return nil
        }
    }

    // MARK: judging

    /// Replays the needs through one candidate and grades it.
    func evaluate(type: String, volume v: ResolvedVolume, stripes: Int, needs: Needs, spec: String, instanceType: String? = nil) -> RecommendOption {
        let r = FluidReplay.run(FluidTarget(volume: v, stripes: stripes, instance: instance), demand: needs.demand, pattern: needs.pattern)
        let meetsThroughput = needs.steady ? r.sustainedUtilisation <= 1 + 1e-9
            : r.servedFraction >= 0.999 && r.throttledNs <= 0.001 * r.totalNs
        let latency = Self.latencyUs(v, replay: r, needs: needs, meetsThroughput: meetsThroughput)
        let meets = meetsThroughput && latency <= (needs.latencyTargetUs ?? .infinity)
        var binding = r.binding ?? ""
        if binding.isEmpty {
            // Nothing held it back: name the limit with the least headroom.
            binding = Self.closestLimit(v, stripes: stripes, instance: v.profile.rules == .instanceStore ? nil : instance, needs: needs)
        }
        var o = RecommendOption(type: type, stripes: stripes, volume: v, spec: spec, instanceType: instanceType, monthlyCost: 0, costBasis: "",
                                replay: r, meets: meets, latencyUs: latency, risk: 4, binding: binding, savings: nil)
        let opsPerSec = needs.totalIOs / max(1e-9, r.totalNs / 1e9)
        o.monthlyCost = prices.monthly(v, opsPerSecond: opsPerSec / Double(stripes)) * Double(stripes)
        o.costBasis = "\(prices.region) prices (\(prices.date))"
        o.risk = meets ? Self.risk(r, steady: needs.steady, latency: latency, target: needs.latencyTargetUs) : 4
        o.meetsThroughput = meetsThroughput
        return o
    }

    /// Predicted latency at the percentile: the model's service time there, or when more than
    /// (100 - p) % of I/Os were held back (or dropped), the queue those I/Os wait in: the
    /// application's queue depth drained at the held rate (Little's law).
    static func latencyUs(_ v: ResolvedVolume, replay r: FluidResult, needs: Needs, meetsThroughput: Bool) -> Double {
        let service = LatencyModel(v.profile.latency).quantileUs(needs.latencyPercentile / 100)
        let late = needs.steady ? (meetsThroughput ? 0 : 1) : (r.throttledServedIOs + (r.demandedIOs - r.servedIOs)) / max(1, r.demandedIOs)
        guard late > 1 - needs.latencyPercentile / 100 else { return service }
        let rate = needs.steady ? (r.sustainedIOPSAtPeak ?? 1) : (r.lowestThrottledIOPS ?? 1)
        return service + Double(needs.queueDepth) / max(rate, 1e-9) * 1e6
    }

    /// 0-3 for options that meet the needs, 4 for one that does not. 0: no credits spent,
    /// headroom everywhere; 1: demand within 10 % of a peak limit; 2: credits spent (the
    /// lowest balance stays above half) or latency within 20 % of the target; 3: credits
    /// below half, or a steady demand spending credits it never earns back.
    static func risk(_ r: FluidResult, steady: Bool, latency: Double, target: Double?) -> Int {
        var risk = r.peakUtilisation > 0.9 ? 1 : 0
        if let low = r.lowestBalancePct.values.min(), low < 99.999 {
            risk = max(risk, low < 50 ? 3 : 2)
            if steady && r.sustainedUtilisation > 1 { risk = 3 }
        }
        if let t = target, latency > 0.8 * t { risk = max(risk, 2) }
        return min(3, risk)
    }

    static func closestLimit(_ v: ResolvedVolume, stripes: Int, instance: InstanceProfile?, needs: Needs) -> String {
        guard let iv = needs.peakInterval else { return "none" }
        let c = FluidReplay.costs(iv, volume: v, pattern: needs.pattern)
        let s = Double(iv.durationNs) / 1e9, n = Double(stripes)
        var best = ("none", 0.0)
        func consider(_ name: String, _ need: Double, _ limit: Double?) {
            guard let l = limit, l > 0 else { return }
            if need / l > best.1 { best = (name, need / l) }
        }
        consider("volume IOPS", c.ops / s, v.peakIOPS.map { Double($0) * n })
        consider("volume throughput", c.bytes / s, v.peakBytesPerSec.map { Double($0) * n })
        if let l = v.local { consider("instance store IOPS", c.local / s, Double(l.rate)) }
        consider("volume I/O credits", c.ops / s, v.opCredits.map { Double($0.rate) * n })
        consider("volume throughput credits", c.bytes / s, v.byteCredits.map { Double($0.rate) * n })
        if let i = instance {
            consider("instance EBS IOPS", c.ops / s, Double(i.maxIOPS))
            consider("instance EBS throughput", c.bytes / s, Double(i.maxBytesPerSec))
        }
        return best.0
    }

    // MARK: instance store

    static func localMonthly(_ i: InstanceProfile) -> Double? {
        guard let p = i.price, let w = p.withoutDisk else { return nil }
        return (p.hourly - w.hourly) * PriceTable.hoursPerMonth
    }

    func instanceStore(needs: Needs) throws -> (options: [RecommendOption], rejected: [Rejection]) {
        switch needs.durability {
        case .stop: return ([], [Rejection(type: "instance-store", reason: "data must survive a stop (instance store is lost when the instance stops)")])
        case .hostFailure: return ([], [Rejection(type: "instance-store", reason: "data must survive a host failure (instance store is lost with its host)")])
        case .none: break
        }
        let profile = try store.volume(named: "instance-store")
        let instances = try instance.map { [$0] } ?? store.names("instances").map { try store.instance(named: $0) }.filter { $0.instanceStore != nil }
        var best: RecommendOption?, reasons: [String] = []
        for i in instances {
            guard let s = i.instanceStore else { reasons.append("\(i.name) has none"); continue }
            guard s.readIOPS != nil else { reasons.append("\(i.name)'s is HDD, with no published IOPS"); continue }
            guard let monthly = Self.localMonthly(i) else { reasons.append("\(i.name) has no price for its local disk"); continue }
            let need = needs.capacityGiB * Units.GiB
            guard need <= s.totalBytes else {
                reasons.append("\(i.name) holds \(Self.grouped(Double(s.volumes * s.volumeGB))) GB, less than \(needs.capacityGiB) GiB")
                continue
            }
            var v = try VolumeSpec(type: "instance-store", sizeGiB: max(1, needs.capacityGiB)).resolve(profile: profile)
            try v.attachLocal(instance: i)
            var o = evaluate(type: "instance-store", volume: v, stripes: 1, needs: needs, spec: Self.spec(v), instanceType: i.name)
            o.monthlyCost = monthly
            o.costBasis = "\(i.name) at $\(Units.formatDecimal(i.price!.hourly, places: 4))/h less \(i.price!.withoutDisk!.type) at "
                + "$\(Units.formatDecimal(i.price!.withoutDisk!.hourly, places: 4))/h, x 730 h (\(i.price!.withoutDisk!.basis))"
            guard o.meets else {
                reasons.append("on \(i.name): " + Self.shortfall(o, needs: needs))
                continue
            }
            if best == nil || o.monthlyCost < best!.monthlyCost { best = o }
        }
        if let b = best { return ([b], []) }
        return ([], [Rejection(type: "instance-store", reason: reasons.isEmpty ? "no instance profile has one" : reasons.joined(separator: "; "))])
    }

    // MARK: reasons

    /// gp2 sized for the capacity alone, when that falls short: how long it keeps up.
    func gp2AtCapacity(needs: Needs, chosen: RecommendOption?) throws -> Rejection? {
        let p = try store.volume(named: "gp2")
        let size = max(needs.capacityGiB, p.sizeGiB.lowerBound)
        guard size <= p.sizeGiB.upperBound, chosen.map({ $0.volume.sizeGiB > size }) ?? true else { return nil }
        let v = try VolumeSpec(type: "gp2", sizeGiB: size).resolve(profile: p)
        let o = evaluate(type: "gp2", volume: v, stripes: 1, needs: needs, spec: Self.spec(v))
        guard !o.meets else { return nil }
        return Rejection(type: "gp2 \(size) GiB", reason: Self.shortfall(o, needs: needs))
    }

    /// What an option that falls short does, with figures.
    static func shortfall(_ o: RecommendOption, needs: Needs) -> String {
        let r = o.replay
        if o.meetsThroughput, let t = needs.latencyTargetUs {
            return "p\(pct(needs.latencyPercentile)) latency \(ms(o.latencyUs)) is above the \(ms(t)) target (modelled service time)"
        }
        let limit = r.binding ?? "its limits"
        let sustained = r.sustainedIOPSAtPeak.map { "\(grouped($0)) IOPS" } ?? "its limit"
        let needed = "\(grouped(needs.peakIOPS)) needed"
        if needs.steady {
            let empty = r.firstEmptyNs.values.min()
            if let peak = r.peakIOPSAtPeak, peak < needs.peakIOPS * (1 - 1e-9) {
                return "\(grouped(peak)) IOPS at most" + (empty.map { ", \(sustained) once its credits run out after \(hours($0))" } ?? "")
                    + " (\(limit)); \(needed)"
            }
            if let e = empty { return "meets it for \(hours(e)) from full credits, then \(sustained) (\(limit))" }
            return "\(sustained) at most (\(limit)); \(needed)"
        }
        let metFraction = max(0, 1 - r.throttledNs / max(1, r.totalNs))
        return "meets it for \(hoursOf24(metFraction)) of every 24, then \(r.lowestThrottledIOPS.map { "\(grouped($0)) IOPS" } ?? sustained) (\(limit))"
    }

    func reason(type: String, profile p: VolumeProfile, failed: RecommendOption?, error: String?, needs: Needs) -> String {
        if failed == nil, let e = error { return e }
        let most = min(Double(p.params["iops.max"] ?? 0), Double(p.params["throughput_mibps.max"] ?? 0) * Double(Units.MiB) / Double(p.opSize))
        if p.smallRandomCostsFullOp, needs.pattern == .random, needs.meanIOSize < Double(p.opSize) * 0.75, needs.peakIOPS > most {
            let dir = needs.readPercent >= 99.5 ? "reads" : needs.readPercent <= 0.5 ? "writes" : "I/Os"
            return "\(Units.formatBytes(UInt64(needs.meanIOSize.rounded()))) random \(dir) are charged \(Units.formatBytes(p.opSize)) each, "
                + "\(Self.grouped(most)) IOPS at most (\(Self.grouped(needs.peakIOPS)) needed)"
        }
        if let o = failed, let b = o.replay.binding, b.hasPrefix("instance"), let i = instance {
            let sustained = b.contains("throughput") ? Units.formatRate(Double(i.baselineBytesPerSec)) : "\(Self.grouped(Double(i.baselineIOPS))) IOPS"
            let peak = b.contains("throughput") ? Units.formatRate(Double(i.maxBytesPerSec)) : "\(Self.grouped(Double(i.maxIOPS))) IOPS"
            return "\(i.name)'s EBS limit binds: \(sustained) sustained"
                + (i.burstMinutes > 0 ? ", \(peak) for \(i.burstMinutes) minutes a day" : "") + " (\(b))"
        }
        if let o = failed {
            return (o.stripes > 1 ? "RAID 0 of \(o.stripes) x \(o.volume.sizeGiB) GiB: " : "\(o.volume.sizeGiB) GiB: ") + Self.shortfall(o, needs: needs)
        }
        return error ?? "cannot meet the needs"
    }

    // MARK: formatting helpers

    static func spec(_ v: ResolvedVolume) -> String {
        var s = "\(v.profile.name):size=\(v.sizeGiB)g"
        if let i = v.provisionedIOPS { s += ",iops=\(i)" }
        if v.profile.rules == .gp3, let t = v.provisionedMiBps { s += ",throughput=\(t)" }
        return s
    }

    public static func grouped(_ x: Double) -> String {
        let n = Int64(x.rounded())
        var digits = String(abs(n)), out = ""
        while digits.count > 3 { out = "," + digits.suffix(3) + out; digits = String(digits.dropLast(3)) }
        return (n < 0 ? "-" : "") + digits + out
    }

    public static func money(_ x: Double) -> String {
        (x < 0 ? "-$" : "$") + grouped(abs(x).rounded(.down)) + "." + String(Units.formatDecimal(abs(x), places: 2).suffix(2))
    }

    static func ms(_ us: Double) -> String { us >= 1000 ? "\(Units.formatDecimal(us / 1000, places: 2)) ms" : "\(Units.formatDecimal(us, places: 0)) us" }
    static func pct(_ p: Double) -> String { p == p.rounded() ? "\(Int(p))" : Units.formatDecimal(p, places: 1) }
    static func hours(_ ns: Double) -> String { ns < 3600e9 ? "\(Units.formatDecimal(ns / 60e9, places: 0)) min" : "\(Units.formatDecimal(ns / 3600e9, places: 1)) h" }
    static func hoursOf24(_ f: Double) -> String { "\(Units.formatDecimal(f * 24, places: 1)) h" }

    public static func describe(_ n: Needs) -> String {
        var s = "\(grouped(n.peakIOPS)) IOPS, \(Units.formatRate(n.peakBytesPerSec)), \(Units.formatBytes(UInt64(n.meanIOSize.rounded()))) I/O, "
            + "\(Units.formatDecimal(n.readPercent, places: 0)) % read, \(n.pattern.rawValue), \(n.capacityGiB) GiB"
        if let t = n.latencyTargetUs { s += ", p\(pct(n.latencyPercentile)) <= \(ms(t))" }
        s += ", data must " + (n.durability == .stop ? "survive a stop" : n.durability == .hostFailure ? "survive a host failure" : "not survive (loss acceptable)")
        return s
    }
}

extension VolumeSpec {
    /// A volume of this profile whose limits are all present (for counting I/O costs only).
    func resolveLoosely(profile p: VolumeProfile) throws -> ResolvedVolume {
        var s = self
        if p.rules == .io1 || p.rules == .io2 { s.iops = UInt64(p.params["iops.min"]!) }
        return try s.resolve(profile: p)
    }
}
