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
        let gib = Double(v.sizeGiB)
        switch v.profile.rules {
        case .gp3:
            let iops = Double(v.provisionedIOPS ?? 3000), mibps = Double(v.provisionedMiBps ?? 125)
            return gib * price("gp3.gb_month") + max(0, iops - 3000) * price("gp3.iops_month_above_3000")
                + max(0, mibps - 125) * price("gp3.mbps_month_above_125")
        case .gp2: return gib * price("gp2.gb_month")
        case .io1: return gib * price("io1.gb_month") + Double(v.provisionedIOPS ?? 0) * price("io1.iops_month")
        case .io2: return gib * price("io2.gb_month") + io2IOPSMonthly(v.provisionedIOPS ?? 0)
        case .hdd: return gib * price(v.profile.name == "sc1" ? "sc1.gb_month" : "st1.gb_month")
        case .standard:
            return gib * price("standard.gb_month") + opsPerSecond * Self.hoursPerMonth * 3600 / 1e6 * price("standard.per_million_io")
        case .instanceStore: return 0
        }
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
