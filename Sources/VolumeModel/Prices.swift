import BlockLabCore

/// EBS volume prices for one region, from `profiles/prices/REGION.yaml` (checked on load:
/// every price a positive number, every key known).
public struct PriceTable: Sendable {
    public let region: String
    public let date: String
    public let source: String
    public let file: String
    /// `type.key` -> USD, e.g. `gp3.gb_month`.
    let prices: [String: Double]

    static let required = [
        "gp3.gb_month", "gp3.iops_month_above_3000", "gp3.mbps_month_above_125", "gp2.gb_month", "io1.gb_month",
        "io1.iops_month", "io2.gb_month", "io2.iops_month_to_32000", "io2.iops_month_32001_to_64000",
        "io2.iops_month_above_64000", "st1.gb_month", "sc1.gb_month", "standard.gb_month", "standard.per_million_io",
        "snapshot.gb_month_standard", "fast_snapshot_restore.snapshot_zone_hour",
    ]

    init(document d: ProfileDocument) throws {
        try d.checkKeys(["region", "date", "source", "gp3.*", "gp2.*", "io1.*", "io2.*", "st1.*", "sc1.*", "standard.*",
                         "snapshot.*", "fast_snapshot_restore.*"])
        file = d.file
        region = try d.string("region")
        date = try d.string("date")
        source = try d.string("source")
        var p: [String: Double] = [:]
        for k in Self.required { p[k] = try d.number(k, atMost: 1e4) }
        prices = p
    }

    public func price(_ key: String) -> Double { prices[key]! }

    /// Hours in AWS's billing month (365 × 24 / 12).
    public static let hoursPerMonth = 730.0

    /// io2's provisioned IOPS in its three tiers: the first 32,000 IOPS, the next 32,000, the rest.
    public func io2IOPSMonthly(_ iops: UInt64) -> Double {
        let a = Double(min(iops, 32_000)), b = Double(min(max(iops, 32_000), 64_000) - 32_000), c = Double(iops > 64_000 ? iops - 64_000 : 0)
        return a * price("io2.iops_month_to_32000") + b * price("io2.iops_month_32001_to_64000") + c * price("io2.iops_month_above_64000")
    }

    /// Monthly cost of one volume. `opsPerSecond` (mean EBS I/O requests per second) prices
    /// a magnetic volume's requests; the others ignore it.
    public func monthly(_ v: ResolvedVolume, opsPerSecond: Double = 0) -> Double {
        let type: String
        switch v.profile.rules {
        case .gp3: type = "gp3"
        case .gp2: type = "gp2"
        case .io1: type = "io1"
        case .io2: type = "io2"
        case .hdd: type = v.profile.name == "sc1" ? "sc1" : "st1"
        case .standard: type = "standard"
        case .instanceStore: return 0
        }
        return monthlyCost(type: type, sizeGiB: Double(v.sizeGiB), iops: v.provisionedIOPS.map { Double($0) },
                           mibps: v.provisionedMiBps.map { Double($0) }, opsPerSecond: opsPerSecond) ?? 0
    }

    /// Monthly cost of a volume named by its EBS type (gp2, gp3, io1, io2, st1, sc1,
    /// standard), or nil for a type this table does not price. `iops` and `mibps` are what
    /// is provisioned (gp3's default 3,000 and 125 when nil); out-of-range figures are
    /// clamped to what EBS allows to be provisioned at all.
    public func monthlyCost(type: String, sizeGiB: Double, iops: Double?, mibps: Double?, opsPerSecond: Double = 0) -> Double? {
        func sane(_ x: Double?, _ otherwise: Double) -> Double {
            guard let x, x.isFinite else { return otherwise }
            return min(max(x, 0), 1e9)
        }
        let gib = sane(sizeGiB, 0)
        switch type {
        case "gp3":
            let i = sane(iops, 3000), m = sane(mibps, 125)
            return gib * price("gp3.gb_month") + max(0, i - 3000) * price("gp3.iops_month_above_3000")
                + max(0, m - 125) * price("gp3.mbps_month_above_125")
        case "gp2": return gib * price("gp2.gb_month")
        case "io1": return gib * price("io1.gb_month") + sane(iops, 0) * price("io1.iops_month")
        case "io2": return gib * price("io2.gb_month") + io2IOPSMonthly(UInt64(sane(iops, 0)))
        case "st1", "sc1": return gib * price("\(type).gb_month")
        case "standard":
            return gib * price("standard.gb_month") + sane(opsPerSecond, 0) * Self.hoursPerMonth * 3600 / 1e6 * price("standard.per_million_io")
        default: return nil
        }
    }

    /// A price table from any file of the `prices/REGION.yaml` form (`report --prices`).
    public static func read(_ path: String) throws -> PriceTable {
        try PriceTable(document: ProfileDocument(file: path))
    }
}

extension ProfileStore {
    /// The price table of `region` (`prices/REGION.yaml`).
    public func prices(region: String) throws -> PriceTable {
        try checkDirectory()
        let file = "\(directory)/prices/\(region).yaml"
        guard !region.contains("/"), Self.fileExists(file) else {
            throw BlockLabError.usage("--region: no price table for '\(Text.escaped(region))' (known: \(names("prices").joined(separator: ", ")))")
        }
        let t = try PriceTable(document: ProfileDocument(file: file))
        guard t.region == region else { throw BlockLabError.usage("\(file): region: '\(t.region)' does not match the file name") }
        return t
    }
}
