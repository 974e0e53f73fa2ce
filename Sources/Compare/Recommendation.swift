import BlockLabCore
import Foundation

/// What `blocklab report --recommendation FILE` shows: the volume chosen, its monthly cost,
/// and every option rejected with its reason. Minimal on purpose, so that whatever makes a
/// recommendation (`blocklab recommend --format json`) can fill it; JSON keys are snake_case.
public struct RecommendationSummary: Codable, Sendable, Equatable {
    public struct Option: Codable, Sendable, Equatable {
        /// As a person reads it: "gp3 500 GiB, 6,000 IOPS, 250 MiB/s".
        public var volume: String
        public var monthlyCostUSD: Double
        /// The limit that binds this option under the needs ("volume IOPS", "credits", ...).
        public var bindingLimit: String?
        /// Compute Optimizer's scale: 0 (none) to 4 (very high).
        public var performanceRisk: Int?

        public init(volume: String, monthlyCostUSD: Double, bindingLimit: String? = nil, performanceRisk: Int? = nil) {
            self.volume = volume; self.monthlyCostUSD = monthlyCostUSD
            self.bindingLimit = bindingLimit; self.performanceRisk = performanceRisk
        }

        enum CodingKeys: String, CodingKey {
            case volume, monthlyCostUSD = "monthly_cost_usd", bindingLimit = "binding_limit", performanceRisk = "performance_risk"
        }
    }

    public struct Rejected: Codable, Sendable, Equatable {
        public var volume: String
        /// With figures: "st1: 4 KiB random reads are charged 1 MiB each, 250 IOPS at most".
        public var reason: String
        public var monthlyCostUSD: Double?

        public init(volume: String, reason: String, monthlyCostUSD: Double? = nil) {
            self.volume = volume; self.reason = reason; self.monthlyCostUSD = monthlyCostUSD
        }

        enum CodingKeys: String, CodingKey { case volume, reason, monthlyCostUSD = "monthly_cost_usd" }
    }

    public var chosen: Option
    /// Other options that meet the needs, cheapest first.
    public var alternatives: [Option]
    public var rejected: [Rejected]
    /// Where the prices are from ("us-east-1, AWS EBS pricing page, 2025").
    public var pricing: String?
    /// What it was recommended for, as a person reads it ("6000 IOPS of 16KiB, 70 % reads,
    /// random, 500 GiB, p99 within 10 ms, must survive a stop").
    public var need: String?

    public init(chosen: Option, alternatives: [Option] = [], rejected: [Rejected] = [], pricing: String? = nil) {
        self.chosen = chosen; self.alternatives = alternatives; self.rejected = rejected; self.pricing = pricing
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        chosen = try c.decode(Option.self, forKey: .chosen)
        alternatives = try c.decodeIfPresent([Option].self, forKey: .alternatives) ?? []
        rejected = try c.decodeIfPresent([Rejected].self, forKey: .rejected) ?? []
        pricing = try c.decodeIfPresent(String.self, forKey: .pricing)
        need = try c.decodeIfPresent(String.self, forKey: .need)
    }

    enum CodingKeys: String, CodingKey { case chosen, alternatives, rejected, pricing, need }

    /// `blocklab recommend --format json`'s document: `chosen` and `options` carry `label`,
    /// `monthly_cost`, `binding_limit`, `performance_risk`, `finding`; `rejected` has `type`
    /// and `reason`. Nil when `bytes` is not that document.
    public static func fromRecommendJSON(_ bytes: [UInt8]) throws -> RecommendationSummary? {
        guard let top = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let chosen = top["chosen"] as? [String: Any], let label = chosen["label"] as? String,
              let options = top["options"] as? [[String: Any]] else { return nil }
        func option(_ o: [String: Any]) -> Option? {
            guard let label = o["label"] as? String, let cost = (o["monthly_cost"] as? NSNumber)?.doubleValue else { return nil }
            return Option(volume: label, monthlyCostUSD: cost, bindingLimit: o["binding_limit"] as? String,
                          performanceRisk: (o["performance_risk"] as? NSNumber)?.intValue)
        }
        guard let first = option(chosen) else { return nil }
        let alternatives = options.filter { ($0["label"] as? String) != label && ($0["finding"] as? String) == "meets" }.compactMap(option)
        let rejected = (top["rejected"] as? [[String: Any]] ?? []).compactMap { r -> Rejected? in
            guard let type = r["type"] as? String, let reason = r["reason"] as? String else { return nil }
            return Rejected(volume: type, reason: reason)
        }
        let pricing = [top["region"] as? String, top["prices_source"] as? String, (top["prices_date"] as? String).map { "(\($0))" }]
            .compactMap { $0 }.joined(separator: ", ")
        var summary = RecommendationSummary(chosen: first, alternatives: alternatives, rejected: rejected, pricing: pricing.isEmpty ? nil : pricing)
        summary.need = (top["needs"] as? [String: Any]).flatMap(describeNeeds)
        return summary
    }

    /// recommend's `needs` object as a line: rates, I/O size, mix, capacity, latency target,
    /// durability (the figures it has; nil when it has none).
    static func describeNeeds(_ n: [String: Any]) -> String? {
        func num(_ k: String) -> Double? { (n[k] as? NSNumber).map(\.doubleValue).flatMap { $0.isFinite && $0 >= 0 && $0 < 1e15 ? $0 : nil } }
        var parts: [String] = []
        if let iops = num("iops"), iops > 0 {
            var t = "\(Units.formatDecimal(iops, places: 0)) IOPS"
            if let bs = num("io_size_bytes"), bs > 0 { t += " of \(Units.formatBytes(UInt64(bs)))" }
            parts.append(t)
        }
        if let mibps = num("mibps"), mibps > 0 { parts.append("\(Units.formatDecimal(mibps, places: 1)) MiB/s") }
        if let r = num("read_pct"), r <= 100 { parts.append("\(Units.formatDecimal(r, places: 0)) % reads") }
        if let p = n["pattern"] as? String, p.count < 40 { parts.append(p) }
        if let c = num("capacity_gib"), c > 0 { parts.append("\(Units.formatDecimal(c, places: 0)) GiB") }
        if let ms = num("latency_target_ms") {
            parts.append("p\(num("latency_percentile").map { Units.formatDecimal($0, places: $0 == $0.rounded() ? 0 : 1) } ?? "99") within \(Units.formatDecimal(ms, places: ms < 10 ? 2 : 0)) ms")
        }
        if let d = n["durable"] as? String, d.count < 40 {
            parts.append(d == "none" ? "data may be lost (instance store allowed)" : "must survive a \(d == "stop" ? "stop" : "host failure")")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// Reads a recommendation file (this summary, or `blocklab recommend --format json`'s
    /// document); anything else is a usage error naming the file.
    public static func read(_ path: String) throws -> RecommendationSummary {
        let bytes = try InputFile.read(path, limit: InputLimits.maxJobFileBytes, what: "recommendation file")
        let r: RecommendationSummary
        do {
            if let fromRecommend = try? fromRecommendJSON(bytes) {
                r = fromRecommend
            } else {
                r = try JSONDecoder().decode(RecommendationSummary.self, from: Data(bytes))
            }
        } catch {
            throw BlockLabError.usage("\(Text.escaped(path)): not a recommendation (expected JSON with \"chosen\": {\"volume\", \"monthly_cost_usd\"} and \"rejected\": [{\"volume\", \"reason\"}]): \(Text.escaped(String(describing: error).prefix(200).description))")
        }
        for cost in [r.chosen.monthlyCostUSD] + r.alternatives.map(\.monthlyCostUSD) + r.rejected.compactMap(\.monthlyCostUSD)
            where !(cost.isFinite && cost >= 0 && cost < 1e12) {
            throw BlockLabError.usage("\(Text.escaped(path)): monthly cost \(cost) is out of range")
        }
        if let risk = r.chosen.performanceRisk, !(0...4).contains(risk) {
            throw BlockLabError.usage("\(Text.escaped(path)): performance_risk \(risk) is not 0 to 4")
        }
        return r
    }
}
