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

    public static let keys = ["size", "iops", "throughput", "burst-balance"]

    public static func parse(_ text: String) throws -> VolumeSpec {
        let option = "--volume"
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let type = parts.first, !type.isEmpty else { throw BlockLabError.usage("\(option): empty volume spec") }
        var spec = VolumeSpec(type: type)
        guard parts.count == 2 else { return spec }
        var seen: Set<String> = []
        for item in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[1].isEmpty else { throw BlockLabError.usage("\(option): expected key=value, got '\(item)'") }
            let (key, value) = (kv[0], kv[1])
            guard seen.insert(key).inserted else { throw BlockLabError.usage("\(option): '\(key)' given twice") }
            switch key {
            case "size":
                let bytes = try Units.parseSize(value, what: "\(option) size")
                guard bytes % Units.GiB == 0 else { throw BlockLabError.usage("\(option): size must be a whole number of GiB, got '\(value)' (InvalidParameterValue)") }
                spec.sizeGiB = bytes / Units.GiB
            case "iops":
                guard let v = UInt64(value) else { throw BlockLabError.usage("\(option): iops must be a whole number, got '\(value)'") }
                spec.iops = v
            case "throughput":
                let v = value.lowercased().hasSuffix("mib/s") ? String(value.dropLast(5)) : value
                guard let t = UInt64(v) else { throw BlockLabError.usage("\(option): throughput is whole MiB/s, got '\(value)'") }
                spec.throughputMiBps = t
            case "burst-balance":
                let v = value.hasSuffix("%") ? String(value.dropLast()) : value
                guard let pct = Double(v), pct >= 0, pct <= 100 else {
                    throw BlockLabError.usage("\(option): burst-balance must be a percentage 0-100, got '\(value)'")
                }
                spec.burstBalancePercent = pct
            default:
                throw BlockLabError.usage("\(option): unknown key '\(key)' (known: \(keys.joined(separator: ", ")))")
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

    public var sizeBytes: UInt64 { sizeGiB * Units.GiB }
    public var name: String { profile.name }
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
        guard p.sizeGiB.contains(size) else {
            throw fail("size \(size) GiB is outside \(p.sizeGiB.lowerBound)-\(p.sizeGiB.upperBound) GiB")
        }
        var v = ResolvedVolume(profile: p, sizeGiB: size)
        let MiB = Double(Units.MiB)
        func mib(_ x: Double) -> UInt64 { UInt64((x * MiB).rounded()) }
        func start(_ cap: UInt64) -> UInt64 {
            let pct = burstBalancePercent ?? par("credits.start_percent")
            return UInt64((Double(cap) * pct / 100).rounded())
        }

        switch p.rules {
        case .gp3:
            try allow(["iops", "throughput"])
            let iops = self.iops ?? UInt64(par("iops.included"))
            let tput = throughputMiBps ?? UInt64(par("throughput_mibps.included"))
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
            v.baselineBytesPerSec = tput * Units.MiB; v.peakBytesPerSec = tput * Units.MiB
        case .gp2:
            try allow(["burst-balance"])
            let base = min(par("iops.baseline_max"), max(par("iops.baseline_min"), par("iops.baseline_per_gib") * Double(size)))
            let baseIOPS = UInt64(base)
            let bursts = Double(size) < par("iops.burst_below_gib") && par("iops.burst") > base
            v.baselineIOPS = baseIOPS
            v.peakIOPS = bursts ? UInt64(par("iops.burst")) : baseIOPS
            let tier = p.throughputTiers.first { $0.upToGiB.map { size <= $0 } ?? true } ?? p.throughputTiers.last!
            v.peakBytesPerSec = mib(tier.mibps)
            // With the credits gone: baseline IOPS of 256 KiB operations, capped by the tier.
            v.baselineBytesPerSec = min(v.peakBytesPerSec!, baseIOPS * p.opSize)
            if bursts {
                let cap = UInt64(par("credits.capacity"))
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
                ? mib(par("throughput_mibps.max_low"))
                : min(mib(par("throughput_mibps.max")), iops * UInt64(par("throughput_mibps.kib_per_iops_above")) * Units.KiB)
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
            let bytes = min(mib(par("throughput_mibps.max")), mib(par("throughput_mibps.per_iops") * Double(iops)))
            v.provisionedIOPS = iops
            v.baselineIOPS = iops; v.peakIOPS = iops
            v.baselineBytesPerSec = bytes; v.peakBytesPerSec = bytes
        case .hdd:
            try allow(["burst-balance"])
            let tib = Double(size) / 1024
            let base = min(par("throughput_mibps.baseline_max"), par("throughput_mibps.baseline_per_tib") * tib)
            let burst = min(par("throughput_mibps.max"), par("throughput_mibps.burst_per_tib") * tib)
            v.peakIOPS = UInt64(par("iops.max")); v.baselineIOPS = v.peakIOPS
            v.baselineBytesPerSec = mib(base); v.peakBytesPerSec = mib(burst)
            let cap = UInt64(par("credits.tib_per_tib") * Double(v.sizeBytes))
            if burst > base { v.byteCredits = (mib(base), cap, start(cap)) }
        case .standard:
            try allow(["burst-balance"])
            v.baselineIOPS = UInt64(par("iops.baseline")); v.peakIOPS = UInt64(par("iops.burst"))
            v.baselineBytesPerSec = mib(par("throughput_mibps.max")); v.peakBytesPerSec = v.baselineBytesPerSec
            let cap = UInt64(par("credits.capacity"))
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
