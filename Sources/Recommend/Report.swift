import BlockLabCore
import VolumeModel

extension Recommendation {
    /// The readable report: needs, ranked options, rejected types with reasons, the choice.
    public func table() -> String {
        var out = "needs: \(Recommender.describe(needs))\n"
        out += "demand: \(needs.source)" + (needs.steady ? ", steady (must hold with every credit bucket empty)" : "") + "\n"
        out += "prices: \(prices.region), \(prices.date) (\(prices.file)); instance: \(instance?.name ?? "none given")\n"
        if let c = current {
            out += "current: \(c.label), \(Recommender.money(c.monthlyCost)) a month, risk \(c.risk): \(finding ?? "") (\(findingReason ?? ""))\n"
        }
        out += "\n"
        let p = "p\(Recommender.pct(needs.latencyPercentile))"
        var rows = [["rank", "option", "monthly", "savings", "risk", "binding limit", "\(p) latency", "throttled", "credits"]]
        for (i, o) in options.enumerated() {
            rows.append(["\(i + 1)", o.label, Recommender.money(o.monthlyCost), o.savings.map { Recommender.money($0) } ?? "-", "\(o.risk)",
                         o.binding, Recommender.ms(o.latencyUs), Self.pct(o.replay.throttledNs / max(1, o.replay.totalNs)),
                         Self.credits(o)])
        }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max()! }
        for r in rows {
            out += r.enumerated().map { c, cell in c == r.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ") + "\n"
        }
        if !rejected.isEmpty {
            out += "\nrejected:\n" + rejected.map { "  \($0.type): \($0.reason)\n" }.joined()
        }
        let c = chosen
        out += "\nrecommendation: \(c.label), \(Recommender.money(c.monthlyCost)) a month (\(c.costBasis)); risk \(c.risk), bound by \(c.binding)\n"
        out += "  try it: blocklab run JOB --volume \(c.spec)\(c.instanceType.map { " --instance \($0)" } ?? instance.map { " --instance \($0.name)" } ?? "")"
            + (c.stripes > 1 ? "   (one of \(c.stripes) stripes)" : "") + "\n"
        return out
    }

    static func pct(_ f: Double) -> String { f == 0 ? "0 %" : "\(Units.formatDecimal(f * 100, places: f < 0.001 ? 3 : 1)) %" }

    static func credits(_ o: RecommendOption) -> String {
        guard let low = o.replay.lowestBalancePct.min(by: { $0.value < $1.value }) else { return "-" }
        if let empty = o.replay.firstEmptyNs.values.min() { return "empty after \(Recommender.hours(empty))" }
        return "lowest \(Units.formatDecimal(low.value, places: 0)) %"
    }

    /// JSON for scripts and `blocklab report`: plain, stable field names (see README).
    public func json() -> JSONValue {
        func option(_ o: RecommendOption, rank: Int?) -> JSONValue {
            var f: [(String, JSONValue)] = []
            if let rank { f.append(("rank", .uint(UInt64(rank)))) }
            let r = o.replay
            let iops: JSONValue = o.volume.provisionedIOPS.map { JSONValue.uint($0) } ?? .null
            let tput: JSONValue = o.volume.profile.rules == .gp3 ? (o.volume.provisionedMiBps.map { JSONValue.uint($0) } ?? .null) : .null
            let empty: JSONValue = r.firstEmptyNs.values.min().map { JSONValue.double(Self.cents($0 / 1e9)) } ?? .null
            let lowest: JSONValue = r.lowestBalancePct.values.min().map { JSONValue.double(Self.cents($0)) } ?? .null
            f.append(("type", .string(o.type)))
            f.append(("label", .string(o.label)))
            f.append(("volumes", .uint(UInt64(o.stripes))))
            f.append(("size_gib", .uint(o.volume.sizeGiB)))
            f.append(("iops", iops))
            f.append(("throughput_mibps", tput))
            f.append(("instance_type", o.instanceType.map { JSONValue.string($0) } ?? .null))
            f.append(("spec", .string(o.spec)))
            f.append(("monthly_cost", .double(Self.cents(o.monthlyCost))))
            f.append(("cost_basis", .string(o.costBasis)))
            f.append(("savings_vs_current", o.savings.map { JSONValue.double(Self.cents($0)) } ?? .null))
            f.append(("finding", .string(o.meets ? "meets" : "falls-short")))
            f.append(("performance_risk", .uint(UInt64(o.risk))))
            f.append(("binding_limit", .string(o.binding)))
            f.append(("latency_ms", .double(Self.cents(o.latencyUs / 1000))))
            f.append(("throttled_seconds", .double(Self.cents(r.throttledNs / 1e9))))
            f.append(("throttled_pct", .double(Self.cents(r.throttledNs / max(1, r.totalNs) * 100))))
            f.append(("served_pct", .double(Self.cents(r.servedFraction * 100))))
            f.append(("credits_empty_after_seconds", empty))
            f.append(("lowest_burst_balance_pct", lowest))
            return .object(f)
        }
        let n = needs
        let mib = Double(Units.MiB)
        let needsFields: [(String, JSONValue)] = [
            ("source", .string(n.source)), ("steady", .bool(n.steady)),
            ("iops", .double(Self.cents(n.peakIOPS))),
            ("mibps", .double(Self.cents(n.peakBytesPerSec / mib))),
            ("io_size_bytes", .uint(UInt64(n.meanIOSize.rounded()))),
            ("read_pct", .double(Self.cents(n.readPercent))),
            ("pattern", .string(n.pattern.rawValue)), ("capacity_gib", .uint(n.capacityGiB)),
            ("latency_target_ms", n.latencyTargetUs.map { JSONValue.double($0 / 1000) } ?? .null),
            ("latency_percentile", .double(n.latencyPercentile)), ("durable", .string(n.durability.rawValue)),
            ("intervals", .uint(UInt64(n.demand.count))),
        ]
        let optionList: [JSONValue] = options.enumerated().map { option($1, rank: $0 + 1) }
        let rejectedList: [JSONValue] = rejected.map { JSONValue.object([("type", .string($0.type)), ("reason", .string($0.reason))]) }
        var top: [(String, JSONValue)] = [
            ("region", .string(prices.region)), ("prices_date", .string(prices.date)), ("prices_source", .string(prices.source)),
            ("needs", .object(needsFields)),
        ]
        top.append(("instance", instance.map { JSONValue.string($0.name) } ?? .null))
        top.append(("finding", finding.map { JSONValue.string($0) } ?? .null))
        top.append(("finding_reason", findingReason.map { JSONValue.string($0) } ?? .null))
        top.append(("current", current.map { option($0, rank: nil) } ?? .null))
        top.append(("chosen", option(chosen, rank: 1)))
        top.append(("monthly_cost", .double(Self.cents(chosen.monthlyCost))))
        top.append(("options", .array(optionList)))
        top.append(("rejected", .array(rejectedList)))
        return .object(top)
    }

    static func cents(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    /// The chosen option as configuration: `aws ec2 create-volume` (or `modify-volume` with
    /// a volume id), or a Terraform `aws_ebs_volume` block.
    public func emit(_ format: String, volumeID: String?) throws -> String {
        // Printed into shell text: only an EBS volume id's own characters.
        if let id = volumeID {
            let hex = id.dropFirst(4)
            guard id.hasPrefix("vol-"), (8...17).contains(hex.count), hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw BlockLabError.usage("--volume-id: '\(Text.escaped(id))' is not an EBS volume id (vol- and 8 to 17 lowercase hex digits)")
            }
        }
        let c = chosen
        if c.type == "instance-store" {
            let i = c.instanceType ?? "?"
            return "# Instance store comes with the instance type: launch (or change to) \(i); there is no volume to create.\n"
                + (format == "terraform" ? "# resource \"aws_instance\" ... { instance_type = \"\(i)\" }\n" : "# aws ec2 modify-instance-attribute --instance-id INSTANCE --instance-type Value=\(i)   (while stopped)\n")
        }
        let v = c.volume
        switch format {
        case "aws-cli":
            var args: [String]
            if let id = volumeID {
                args = ["aws ec2 modify-volume", "--volume-id \(id)", "--volume-type \(v.profile.name)", "--size \(v.sizeGiB)"]
            } else {
                args = ["aws ec2 create-volume", "--availability-zone \"$AZ\"", "--volume-type \(v.profile.name)", "--size \(v.sizeGiB)"]
            }
            if let i = v.provisionedIOPS { args.append("--iops \(i)") }
            if v.profile.rules == .gp3, let t = v.provisionedMiBps { args.append("--throughput \(t)") }
            let one = args.joined(separator: " \\\n    ") + "\n"
            if c.stripes > 1 {
                return "# RAID 0 of \(c.stripes) volumes: run \(volumeID == nil ? "this" : "create-volume") \(c.stripes) times, attach them, then mdadm --create --level=0 --raid-devices=\(c.stripes)\n" + one
            }
            return one
        case "terraform":
            var lines = ["resource \"aws_ebs_volume\" \"blocklab\" {"]
            if c.stripes > 1 { lines.append("  count             = \(c.stripes) # RAID 0 (mdadm --level=0) across them") }
            lines += ["  availability_zone = var.availability_zone", "  type              = \"\(v.profile.name)\"", "  size              = \(v.sizeGiB)"]
            if let i = v.provisionedIOPS { lines.append("  iops              = \(i)") }
            if v.profile.rules == .gp3, let t = v.provisionedMiBps { lines.append("  throughput        = \(t)") }
            return (lines + ["}"]).joined(separator: "\n") + "\n"
        default:
            throw BlockLabError.usage("--emit: expected aws-cli or terraform, got '\(Text.escaped(format))'")
        }
    }
}
