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

    public init(chosen: Option, alternatives: [Option] = [], rejected: [Rejected] = [], pricing: String? = nil) {
        self.chosen = chosen; self.alternatives = alternatives; self.rejected = rejected; self.pricing = pricing
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        chosen = try c.decode(Option.self, forKey: .chosen)
        alternatives = try c.decodeIfPresent([Option].self, forKey: .alternatives) ?? []
        rejected = try c.decodeIfPresent([Rejected].self, forKey: .rejected) ?? []
        pricing = try c.decodeIfPresent(String.self, forKey: .pricing)
    }

    enum CodingKeys: String, CodingKey { case chosen, alternatives, rejected, pricing }

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
        return RecommendationSummary(chosen: first, alternatives: alternatives, rejected: rejected, pricing: pricing.isEmpty ? nil : pricing)
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
