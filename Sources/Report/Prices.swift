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

    /// A volume's monthly cost in USD, or nil when its type, or a price it needs, is not in
    /// the table (a missing price is never taken as free).
    /// - iops, mibps: provisioned (gp3, io1, io2); ignored for the other types.
    public func monthlyCost(type: String, sizeGiB: Double, iops: Double?, mibps: Double?) -> Double? {
        guard let p = entries[type], let gb = p["gb_month"] else { return nil }
        var cost = sizeGiB * gb
        switch type {
        case "gp3":
            let i = max(0, (iops ?? 3000) - 3000), m = max(0, (mibps ?? 125) - 125)
            guard i == 0 || p["iops_month_above_3000"] != nil, m == 0 || p["mbps_month_above_125"] != nil else { return nil }
            cost += i * (p["iops_month_above_3000"] ?? 0) + m * (p["mbps_month_above_125"] ?? 0)
        case "io1":
            guard let price = p["iops_month"] else { return nil }
            cost += (iops ?? 0) * price
        case "io2":
            guard let t1 = p["iops_month_to_32000"], let t2 = p["iops_month_32001_to_64000"], let t3 = p["iops_month_above_64000"] else { return nil }
            let i = iops ?? 0
            cost += min(i, 32_000) * t1 + max(0, min(i, 64_000) - 32_000) * t2 + max(0, i - 64_000) * t3
        default:
            break
        }
        return cost
    }
}
