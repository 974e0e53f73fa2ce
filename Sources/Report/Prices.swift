import BlockLabCore
import Yams

/// Monthly EBS prices from a `profiles/prices/REGION.yaml` table, enough to put a monthly
/// cost and IOPS per dollar beside a measured volume: storage per GB-month, provisioned IOPS
/// (io2 in its tiers) and gp3's IOPS and throughput above what is included.
public struct PriceTable: Sendable {
    public var region: String
    public var source: String
    /// type -> key -> USD.
    var entries: [String: [String: Double]]

    public init(region: String, source: String, entries: [String: [String: Double]]) {
        self.region = region; self.source = source; self.entries = entries
    }

    /// Reads a price table; a file that is not one is a usage error naming it.
    public static func read(_ path: String) throws -> PriceTable {
        let text = try InputFile.text(path, limit: InputLimits.maxJobFileBytes, what: "price table")
        let shown = Text.escaped(path)
        guard let node = try? Yams.load(yaml: text), let top = node as? [String: Any] else {
            throw BlockLabError.usage("\(shown): not a price table (YAML mapping of volume type to prices)")
        }
        var entries: [String: [String: Double]] = [:]
        for (type, value) in top {
            guard let m = value as? [String: Any] else { continue }
            var prices: [String: Double] = [:]
            for (k, v) in m {
                guard let d = (v as? Double) ?? (v as? Int).map(Double.init) else { continue }
                guard d.isFinite, d >= 0, d < 1e6 else { throw BlockLabError.usage("\(shown): \(type).\(k): \(d) is out of range") }
                prices[k] = d
            }
            if !prices.isEmpty { entries[type] = prices }
        }
        guard entries["gp3"] != nil || entries["gp2"] != nil || entries["io2"] != nil else {
            throw BlockLabError.usage("\(shown): not a price table (no gp2, gp3 or io2 prices)")
        }
        return PriceTable(region: top["region"] as? String ?? "?", source: top["source"] as? String ?? "?", entries: entries)
    }

    /// A volume's monthly cost in USD, or nil when its type has no prices here.
    /// - iops, mibps: provisioned (gp3, io1, io2); ignored for the other types.
    public func monthlyCost(type: String, sizeGiB: Double, iops: Double?, mibps: Double?) -> Double? {
        guard let p = entries[type], let gb = p["gb_month"] else { return nil }
        var cost = sizeGiB * gb
        switch type {
        case "gp3":
            let iopsPrice = p["iops_month_above_3000"] ?? p["iops_month_above_included"] ?? 0
            let mibPrice = p["mbps_month_above_125"] ?? p["mibps_month_above_included"] ?? 0
            cost += max(0, (iops ?? 3000) - 3000) * iopsPrice + max(0, (mibps ?? 125) - 125) * mibPrice
        case "io1":
            cost += (iops ?? 0) * (p["iops_month"] ?? 0)
        case "io2":
            let i = iops ?? 0
            let t1 = p["iops_month_to_32000"] ?? p["iops_month"] ?? 0
            let t2 = p["iops_month_32001_to_64000"] ?? t1
            let t3 = p["iops_month_above_64000"] ?? t2
            cost += min(i, 32_000) * t1 + max(0, min(i, 64_000) - 32_000) * t2 + max(0, i - 64_000) * t3
        default:
            break
        }
        return cost
    }
}
