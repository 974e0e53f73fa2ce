import BlockLabCore

/// `--volume TYPE[:key=value,...]` as written: `gp3:size=500g,iops=6000,throughput=250`
/// (throughput in MiB/s), `gp2:size=100g,burst-balance=5%`, `st1:size=500g`.
public struct VolumeSpec: Sendable, Equatable {
    public var type: String
    public var sizeGiB: UInt64?
    public var iops: UInt64?
    public var throughputMiBps: UInt64?
    /// Starting credit balance, percent of capacity.
    public var burstBalancePercent: Double?

    public init(type: String, sizeGiB: UInt64? = nil, iops: UInt64? = nil, throughputMiBps: UInt64? = nil, burstBalancePercent: Double? = nil) {
        self.type = type; self.sizeGiB = sizeGiB; self.iops = iops; self.throughputMiBps = throughputMiBps
        self.burstBalancePercent = burstBalancePercent
    }

    public static let keys = ["size", "iops", "throughput", "burst-balance"]
    /// Bounds of the numbers a spec may give (far above any AWS figure; the profile's rules
    /// then check the real limits): products with sizes and 2^20 stay within 64 bits.
    public static let maxIOPS: UInt64 = 1_000_000_000
    public static let maxMiBps: UInt64 = 1_000_000_000

    public static func parse(_ text: String) throws -> VolumeSpec {
        let option = "--volume"
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let type = parts.first, !type.isEmpty else { throw BlockLabError.usage("\(option): empty volume spec") }
        guard !type.contains("/") else { throw BlockLabError.usage("\(option): malformed volume type '\(Text.escaped(type))'") }
        var spec = VolumeSpec(type: type)
        guard parts.count == 2 else { return spec }
        var seen: Set<String> = []
        for item in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[1].isEmpty else { throw BlockLabError.usage("\(option): expected key=value, got '\(Text.escaped(String(item)))'") }
            let (key, value) = (kv[0], kv[1])
            let shown = Text.escaped(value)
            guard seen.insert(key).inserted else { throw BlockLabError.usage("\(option): '\(Text.escaped(key))' given twice") }
            switch key {
            case "size":
                let bytes = try Units.parseSize(value, what: "\(option) size")
                guard bytes % Units.GiB == 0 else { throw BlockLabError.usage("\(option): size must be a whole number of GiB, got '\(shown)' (InvalidParameterValue)") }
                spec.sizeGiB = bytes / Units.GiB
            case "iops":
                guard let v = UInt64(value), v <= Self.maxIOPS else {
                    throw BlockLabError.usage("\(option): iops must be a whole number 0-\(Self.maxIOPS), got '\(shown)'")
                }
                spec.iops = v
            case "throughput":
                let v = value.lowercased().hasSuffix("mib/s") ? String(value.dropLast(5)) : value
                guard let t = UInt64(v), t <= Self.maxMiBps else {
                    throw BlockLabError.usage("\(option): throughput is whole MiB/s 0-\(Self.maxMiBps) (throughput=250 is 250 MiB/s), got '\(shown)'")
                }
                spec.throughputMiBps = t
            case "burst-balance":
                let v = value.hasSuffix("%") ? String(value.dropLast()) : value
                guard let pct = Double(v), pct.isFinite, pct >= 0, pct <= 100 else {
                    throw BlockLabError.usage("\(option): burst-balance must be a percentage 0-100, got '\(shown)'")
                }
                spec.burstBalancePercent = pct
            default:
                throw BlockLabError.usage("\(option): unknown key '\(Text.escaped(key))' (known: \(keys.joined(separator: ", ")))")
            }
        }
        return spec
    }
}

/// A volume reduced to the figures the shaper enforces. Rates are integers per second.
public struct ResolvedVolume: Sendable {
    public var profile: VolumeProfile
    public var sizeGiB: UInt64
    /// The sustained limits (what the volume delivers with no credits).
    public var baselineIOPS: UInt64?
    public var baselineBytesPerSec: UInt64?
    /// The peak limits (burst while credits last; equal to baseline when there is no burst).
    public var peakIOPS: UInt64?
    public var peakBytesPerSec: UInt64?
    /// Provisioned figures as given (for the description).
    public var provisionedIOPS: UInt64?
    public var provisionedMiBps: UInt64?
    /// Credit buckets: earn rate per second, capacity, starting balance.
    public var opCredits: (rate: UInt64, capacity: UInt64, start: UInt64)?
    public var byteCredits: (rate: UInt64, capacity: UInt64, start: UInt64)?

    /// An instance-store volume on a known instance: the instance's published 4 KiB random
    /// read and write IOPS (all its local disks), enforced instead of any EBS limit.
    public var local: LocalEnvelope?

    public var sizeBytes: UInt64 { sizeGiB * Units.GiB }
    public var name: String { profile.name }
}

/// Local NVMe as its instance's profile publishes it. Reads and writes share the device:
/// a 4 KiB read takes 1/readIOPS of a second of it, a write 1/writeIOPS, so a mix gets
/// the time-shared rate. Larger I/Os count as that many 4 KiB ones (AWS publishes no
/// large-I/O figure; a conservative modelling assumption).
public struct LocalEnvelope: Sendable, Equatable {
    public let instance: String
    public let readIOPS: UInt64
    public let writeIOPS: UInt64
    public static let unit: UInt64 = 4096

    /// Device time units per second (readIOPS × writeIOPS) and each 4 KiB I/O's cost in them.
    public var rate: UInt64 { readIOPS * writeIOPS }
    public func cost(_ direction: IODirection, length: UInt64) -> UInt64 {
        let units = max(1, (length + Self.unit - 1) / Self.unit)
        return units * (direction == .write ? readIOPS : writeIOPS)
    }
}

extension ResolvedVolume {
    /// Puts an instance-store volume on `instance`: its own envelope from the instance's
    /// instance-store figures, and never the instance's EBS limits (local disks are not
    /// behind the EBS link). Errors name the instance when it has no such disks, when they
    /// are too small, or when AWS publishes no IOPS for them (HDD).
    public mutating func attachLocal(instance p: InstanceProfile) throws {
        guard profile.rules == .instanceStore else { return }
        guard let s = p.instanceStore else {
            throw BlockLabError.usage("--instance \(p.name): has no instance store (instance-store volumes need a type such as i4i.large, m5d.large or c6gd.large)")
        }
        guard let r = s.readIOPS, let w = s.writeIOPS else {
            throw BlockLabError.usage("--instance \(p.name): its instance store is HDD and AWS publishes no IOPS for it, so it cannot be emulated")
        }
        guard sizeBytes <= s.totalBytes else {
            throw BlockLabError.usage("--volume instance-store: size \(sizeGiB) GiB is more than \(p.name)'s instance store "
                + "(\(s.volumes) x \(s.volumeGB) GB = \(Units.formatBytes(s.totalBytes)))")
        }
        local = LocalEnvelope(instance: p.name, readIOPS: r, writeIOPS: w)
    }
}

extension VolumeSpec {
    /// Checks every AWS rule for the profile's type and resolves the limits.
    public func resolve(in store: ProfileStore) throws -> ResolvedVolume {
        try resolve(profile: store.volume(named: type))
    }

    public func resolve(profile p: VolumeProfile) throws -> ResolvedVolume {
        func fail(_ rule: String, _ code: String = "InvalidParameterValue") -> BlockLabError {
            .usage("--volume \(p.name): \(rule) (\(code))")
        }
        func par(_ k: String) -> Double { p.params[k]! }
        func allow(_ keys: Set<String>) throws {
            let given: [(String, Bool)] = [("iops", iops != nil), ("throughput", throughputMiBps != nil), ("burst-balance", burstBalancePercent != nil)]
            for (k, present) in given where present && !keys.contains(k) {
                throw fail("'\(k)' cannot be set for \(p.name)", "InvalidParameterCombination")
            }
        }
        guard let size = sizeGiB else { throw fail("size is required", "MissingParameter") }
        guard size <= InputLimits.maxBytes / Units.GiB else { throw fail("size \(size) GiB is too large") }
        guard p.sizeGiB.contains(size) else {
            throw fail("size \(size) GiB is outside \(p.sizeGiB.lowerBound)-\(p.sizeGiB.upperBound) GiB")
        }
        var v = ResolvedVolume(profile: p, sizeGiB: size)
        let MiB = Double(Units.MiB)
        // Profile figures and spec values are bounded where read; these conversions and
        // products are still checked, so no combination of them can trap.
        func whole(_ x: Double, _ what: String) throws -> UInt64 {
            guard let v = InputLimits.uint64(x.rounded()) else { throw fail("\(what) is out of range (\(x))") }
            return v
        }
        func mib(_ x: Double) throws -> UInt64 { try whole(x * MiB, "a throughput") }
        func times(_ a: UInt64, _ b: UInt64, _ what: String) throws -> UInt64 {
            let (v, overflow) = a.multipliedReportingOverflow(by: b)
            guard !overflow else { throw fail("\(what) is out of range (\(a) x \(b))") }
            return v
        }
        func start(_ cap: UInt64) -> UInt64 {
            let pct = burstBalancePercent ?? par("credits.start_percent")
            return InputLimits.uint64((Double(cap) * pct / 100).rounded(), atMost: cap) ?? cap
        }

        switch p.rules {
        case .gp3:
            try allow(["iops", "throughput"])
            let iops = try self.iops ?? whole(par("iops.included"), "iops.included")
            let tput = try throughputMiBps ?? whole(par("throughput_mibps.included"), "throughput_mibps.included")
            guard Double(iops) >= par("iops.min"), Double(iops) <= par("iops.max") else {
                throw fail("iops \(iops) is outside \(Int(par("iops.min")))-\(Int(par("iops.max"))) IOPS")
            }
            guard Double(iops) <= par("iops.max_per_gib") * Double(size) || Double(iops) <= par("iops.included") else {
                throw fail("iops \(iops) is above \(Int(par("iops.max_per_gib"))) IOPS per GiB for a \(size) GiB volume")
            }
            guard Double(tput) >= par("throughput_mibps.min"), Double(tput) <= par("throughput_mibps.max") else {
                throw fail("throughput \(tput) MiB/s is outside \(Int(par("throughput_mibps.min")))-\(Int(par("throughput_mibps.max"))) MiB/s")
            }
            guard Double(tput) <= par("throughput_mibps.max_per_iops") * Double(iops) || Double(tput) <= par("throughput_mibps.included") else {
                throw fail("throughput \(tput) MiB/s is above \(par("throughput_mibps.max_per_iops")) MiB/s per provisioned IOPS (\(iops) IOPS)")
            }
            v.provisionedIOPS = iops; v.provisionedMiBps = tput
            v.baselineIOPS = iops; v.peakIOPS = iops
            v.baselineBytesPerSec = try times(tput, Units.MiB, "throughput"); v.peakBytesPerSec = v.baselineBytesPerSec
        case .gp2:
            try allow(["burst-balance"])
            let base = min(par("iops.baseline_max"), max(par("iops.baseline_min"), par("iops.baseline_per_gib") * Double(size)))
            let baseIOPS = try whole(base, "baseline IOPS")
            let bursts = Double(size) < par("iops.burst_below_gib") && par("iops.burst") > base
            v.baselineIOPS = baseIOPS
            v.peakIOPS = bursts ? try whole(par("iops.burst"), "iops.burst") : baseIOPS
            let tier = p.throughputTiers.first { $0.upToGiB.map { size <= $0 } ?? true } ?? p.throughputTiers.last!
            v.peakBytesPerSec = try mib(tier.mibps)
            // With the credits gone: baseline IOPS of 256 KiB operations, capped by the tier.
            v.baselineBytesPerSec = min(v.peakBytesPerSec!, try times(baseIOPS, p.opSize, "baseline throughput"))
            if bursts {
                let cap = try whole(par("credits.capacity"), "credits.capacity")
                v.opCredits = (baseIOPS, cap, start(cap))
            }
        case .io1:
            try allow(["iops"])
            guard let iops = self.iops else { throw fail("iops is required for io1", "MissingParameter") }
            guard Double(iops) >= par("iops.min"), Double(iops) <= par("iops.max") else {
                throw fail("iops \(iops) is outside \(Int(par("iops.min")))-\(Int(par("iops.max"))) IOPS")
            }
            guard Double(iops) <= par("iops.max_per_gib") * Double(size) else {
                throw fail("iops \(iops) is above \(Int(par("iops.max_per_gib"))) IOPS per GiB for a \(size) GiB volume")
            }
            let bytes: UInt64 = Double(iops) <= par("throughput_mibps.low_iops_limit")
                ? try mib(par("throughput_mibps.max_low"))
                : min(try mib(par("throughput_mibps.max")),
                      try times(times(iops, whole(par("throughput_mibps.kib_per_iops_above"), "kib_per_iops_above"), "throughput"),
                                Units.KiB, "throughput"))
            v.provisionedIOPS = iops
            v.baselineIOPS = iops; v.peakIOPS = iops
            v.baselineBytesPerSec = bytes; v.peakBytesPerSec = bytes
        case .io2:
            try allow(["iops"])
            guard let iops = self.iops else { throw fail("iops is required for io2", "MissingParameter") }
            guard Double(iops) >= par("iops.min"), Double(iops) <= par("iops.max") else {
                throw fail("iops \(iops) is outside \(Int(par("iops.min")))-\(Int(par("iops.max"))) IOPS")
            }
            guard Double(iops) <= par("iops.max_per_gib") * Double(size) else {
                throw fail("iops \(iops) is above \(Int(par("iops.max_per_gib"))) IOPS per GiB for a \(size) GiB volume")
            }
            let bytes = min(try mib(par("throughput_mibps.max")), try mib(par("throughput_mibps.per_iops") * Double(iops)))
            v.provisionedIOPS = iops
            v.baselineIOPS = iops; v.peakIOPS = iops
            v.baselineBytesPerSec = bytes; v.peakBytesPerSec = bytes
        case .hdd:
            try allow(["burst-balance"])
            let tib = Double(size) / 1024
            let base = min(par("throughput_mibps.baseline_max"), par("throughput_mibps.baseline_per_tib") * tib)
            let burst = min(par("throughput_mibps.max"), par("throughput_mibps.burst_per_tib") * tib)
            v.peakIOPS = try whole(par("iops.max"), "iops.max"); v.baselineIOPS = v.peakIOPS
            v.baselineBytesPerSec = try mib(base); v.peakBytesPerSec = try mib(burst)
            let cap = try whole(par("credits.tib_per_tib") * Double(v.sizeBytes), "credits.tib_per_tib x size")
            if burst > base { v.byteCredits = (try mib(base), cap, start(cap)) }
        case .standard:
            try allow(["burst-balance"])
            v.baselineIOPS = try whole(par("iops.baseline"), "iops.baseline"); v.peakIOPS = try whole(par("iops.burst"), "iops.burst")
            v.baselineBytesPerSec = try mib(par("throughput_mibps.max")); v.peakBytesPerSec = v.baselineBytesPerSec
            let cap = try whole(par("credits.capacity"), "credits.capacity")
            v.opCredits = (v.baselineIOPS!, cap, start(cap))
        case .instanceStore:
            try allow([])
        }
        return v
    }
}

/// An instance's EBS limits as buckets: peak at the maximum, and (for burstable instances)
/// a credit bucket sized 30 min × (max − baseline), earning at the baseline rate, so a full
/// bucket lasts exactly 30 minutes at the maximum (modelling AWS's "30 minutes at least once
/// every 24 hours").
extension InstanceProfile {
    public var creditCapacity: (ops: UInt64, bytes: UInt64)? {
        guard burstMinutes > 0, maxIOPS > baselineIOPS || maxBytesPerSec > baselineBytesPerSec else { return nil }
        let s = burstMinutes * 60
        return (s * (maxIOPS - baselineIOPS), s * (maxBytesPerSec - baselineBytesPerSec))
    }
}
