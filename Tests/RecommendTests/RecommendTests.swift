import BlockLabCore
import Foundation
import Testing
import Metrics
import VolumeModel
@testable import Recommend

let store: ProfileStore = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return ProfileStore(directory: path + "/profiles")
}()

func recommend(_ configure: (inout NeedsInput) -> Void, instance: String? = nil, current: String? = nil) throws -> Recommendation {
    var input = NeedsInput()
    configure(&input)
    let prices = try store.prices(region: "us-east-1")
    return try Recommender(store: store, prices: prices, instance: try instance.map { try store.instance(named: $0) },
                           current: try current.map { try VolumeSpec.parse($0) }).recommend(input.needs())
}

func usageMessage(_ body: () throws -> Void) -> String {
    do { try body() } catch BlockLabError.usage(let m) { return m } catch { return "other error: \(error)" }
    return ""
}

func cents(_ x: Double) -> Int { Int((x * 100).rounded()) }

struct RecommenderCases {
    @Test func gp3WithExtraIOPSAndThroughput() throws {
        // 6,000 IOPS and 250 MiB/s (42.7 KiB I/Os, one EBS operation each), 500 GiB, random reads.
        // gp3: 500 GiB x $0.08 = $40.00; 3,000 IOPS above the 3,000 included x $0.005 = $15.00;
        // 125 MiB/s above the 125 included x $0.04 = $5.00: $60.00.
        // gp2 needs 2,000 GiB for a 6,000 IOPS baseline: $200.00. io2: 500 x $0.125 + 6,000 x $0.065 = $452.50.
        let r = try recommend { $0.iops = "6000"; $0.mibps = "250"; $0.capacity = "500g" }
        #expect(r.chosen.type == "gp3")
        #expect(r.chosen.spec == "gp3:size=500g,iops=6000,throughput=250")
        #expect(cents(r.chosen.monthlyCost) == 6000)
        let gp2 = try #require(r.options.first { $0.type == "gp2" })
        #expect(gp2.volume.sizeGiB == 2000 && cents(gp2.monthlyCost) == 20000)
        #expect(cents(try #require(r.options.first { $0.type == "io2" }).monthlyCost) == 45250)
        // st1/sc1: 42.7 KiB random reads cost a whole 1 MiB operation each.
        let st1 = try #require(r.rejected.first { $0.type == "st1" })
        #expect(st1.reason.contains("charged 1MiB each") && st1.reason.contains("500 IOPS at most"), "\(st1.reason)")
        #expect(try #require(r.rejected.first { $0.type == "sc1" }).reason.contains("250 IOPS at most"))
        // gp2 at the capacity alone: bursts to 3,000 IOPS (below 1 TiB), 1,500 baseline; full credits
        // last 5.4 M / (3,000 - 1,500) s = 1.0 h.
        let gp2Small = try #require(r.rejected.first { $0.type == "gp2 500 GiB" })
        #expect(gp2Small.reason == "3,000 IOPS at most, 1,500 IOPS once its credits run out after 1.0 h (volume I/O credits); 6,000 needed", "\(gp2Small.reason)")
        #expect(r.rejected.contains { $0.type == "instance-store" && $0.reason.contains("survive a stop") })
    }

    @Test func io2AcrossItsTiers() throws {
        // 80,000 4 KiB IOPS, 100 GiB, p99 within 1 ms: only io2's modelled p99 (0.8 ms) is under it.
        // io2 80,000 IOPS needs 80 GiB (1,000 IOPS/GiB), so 100 GiB: 100 x $0.125 = $12.50;
        // IOPS: 32,000 x $0.065 = $2,080.00 + 32,000 x $0.0455 = $1,456.00 + 16,000 x $0.03185 = $509.60.
        // Total $4,058.10.
        let r = try recommend { $0.iops = "80000"; $0.blockSize = "4k"; $0.capacity = "100g"; $0.latencyTarget = "1ms" }
        #expect(r.chosen.type == "io2")
        #expect(r.chosen.volume.provisionedIOPS == 80000 && r.chosen.volume.sizeGiB == 100)
        #expect(cents(r.chosen.monthlyCost) == 405_810)
        #expect(r.rejected.contains { $0.type == "gp3" && $0.reason.contains("latency") })
        // Without the latency target gp3 wins: 160 GiB (500 IOPS/GiB) x $0.08 = $12.80,
        // 77,000 x $0.005 = $385.00, 313 MiB/s: 188 x $0.04 = $7.52; $405.32.
        let cheap = try recommend { $0.iops = "80000"; $0.blockSize = "4k"; $0.capacity = "100g" }
        #expect(cheap.chosen.spec == "gp3:size=160g,iops=80000,throughput=313")
        #expect(cents(cheap.chosen.monthlyCost) == 40532)
    }

    @Test func st1ForLargeSequentialScans() throws {
        // 400 MiB/s of 1 MiB sequential reads over 10,000 GiB. st1's baseline is 40 MiB/s per TiB, so it
        // needs 10 TiB = 10,240 GiB: x $0.045 = $460.80.
        // gp3 10,000 GiB: $800.00 + (400 - 125) MiB/s x $0.04 = $11.00: $811.00.
        // sc1 alone tops out at 192 MiB/s; a RAID 0 of 3 needs 133.3 MiB/s each at 12 MiB/s per TiB:
        // 11,378 GiB each, 34,134 GiB x $0.015 = $512.01.
        let r = try recommend { $0.mibps = "400"; $0.blockSize = "1m"; $0.sequential = true; $0.capacity = "10000g" }
        #expect(r.chosen.type == "st1" && r.chosen.volume.sizeGiB == 10240, "\(r.chosen.label)")
        #expect(cents(r.chosen.monthlyCost) == 46080)
        #expect(cents(try #require(r.options.first { $0.type == "gp3" }).monthlyCost) == 81100)
        let sc1 = try #require(r.options.first { $0.type == "sc1" })
        #expect(sc1.stripes == 3 && sc1.volume.sizeGiB == 11378 && cents(sc1.monthlyCost) == 51201)
        // A smaller data set: st1 must still be 10,240 GiB for the baseline ($460.80), so gp3 4,000 GiB wins at
        // $320.00 + $11.00 = $331.00.
        let small = try recommend { $0.mibps = "400"; $0.blockSize = "1m"; $0.sequential = true; $0.capacity = "4000g" }
        #expect(small.chosen.type == "gp3" && cents(small.chosen.monthlyCost) == 33100)
        #expect(cents(try #require(small.options.first { $0.type == "st1" }).monthlyCost) == 46080)
    }

    @Test func sc1ForColdData() throws {
        // 5 MiB/s of 1 MiB sequential reads over 8,000 GiB: sc1's baseline at that size is 93.75 MiB/s.
        // sc1 8,000 x $0.015 = $120.00; st1 8,000 x $0.045 = $360.00; gp3 8,000 x $0.08 = $640.00.
        let r = try recommend { $0.mibps = "5"; $0.blockSize = "1m"; $0.sequential = true; $0.capacity = "8000g" }
        #expect(r.chosen.type == "sc1" && cents(r.chosen.monthlyCost) == 12000)
        #expect(cents(try #require(r.options.first { $0.type == "st1" }).monthlyCost) == 36000)
    }

    @Test func instanceStoreOnlyWhenLossIsAcceptable() throws {
        // 40,000 4 KiB random reads on an i4i.large (EBS: 2,500 IOPS sustained, 40,000 for 30 minutes a day).
        // Its instance store does 50,000: $0.172 - $0.126 (r6i.large, no disk) = $0.046 an hour x 730 = $33.58.
        let r = try recommend({ $0.iops = "40000"; $0.blockSize = "4k"; $0.capacity = "400g"; $0.durable = "none" }, instance: "i4i.large")
        #expect(r.chosen.type == "instance-store" && r.chosen.instanceType == "i4i.large")
        #expect(cents(r.chosen.monthlyCost) == 3358)
        #expect(r.chosen.binding == "instance store IOPS")
        #expect(r.rejected.contains { $0.type == "gp3" && $0.reason.contains("i4i.large's EBS limit binds: 2,500 IOPS sustained") })
        // The same needs with data that must survive a stop: nothing meets them.
        let m = usageMessage { _ = try recommend({ $0.iops = "40000"; $0.blockSize = "4k"; $0.capacity = "400g" }, instance: "i4i.large") }
        #expect(m.contains("no candidate meets the needs") && m.contains("data must survive a stop"), "\(m)")
    }

    @Test func anInstanceLimitThatBinds() throws {
        // 10,000 4 KiB reads on an m5d.large: its EBS link sustains 3,600 IOPS, so no EBS volume meets it;
        // its 75 GB instance store (30,000 reads) does: ($0.113 - $0.096) x 730 = $12.41.
        let r = try recommend({ $0.iops = "10000"; $0.blockSize = "4k"; $0.capacity = "50g"; $0.durable = "none" }, instance: "m5d.large")
        #expect(r.chosen.type == "instance-store" && cents(r.chosen.monthlyCost) == 1241)
        for t in ["gp3", "io2", "io1", "gp2"] {
            let reason = try #require(r.rejected.first { $0.type == t }).reason
            #expect(reason.contains("m5d.large's EBS limit binds: 3,600 IOPS sustained, 18,750 IOPS for 30 minutes a day"), "\(t): \(reason)")
        }
        // Without an instance, gp3 with 10,000 IOPS: 50 GiB... at most 500 IOPS/GiB needs 20 GiB, so 50 GiB:
        // $4.00 + 7,000 x $0.005 = $35.00, 40 MiB/s is within the included 125: $39.00.
        let free = try recommend { $0.iops = "10000"; $0.blockSize = "4k"; $0.capacity = "50g" }
        #expect(free.chosen.spec == "gp3:size=50g,iops=10000,throughput=125" && cents(free.chosen.monthlyCost) == 3900)
    }

    @Test func savingsAndFindingAgainstTheCurrentVolume() throws {
        // gp2 2,000 GiB ($200.00) carrying 6,000 IOPS / 250 MiB/s is over-provisioned: gp3 costs $60.00.
        let r = try recommend({ $0.iops = "6000"; $0.mibps = "250"; $0.capacity = "500g" }, current: "gp2:size=2000g")
        #expect(r.finding == "NotOptimized" && (r.findingReason ?? "").hasPrefix("over-provisioned"))
        #expect(cents(r.chosen.savings ?? 0) == 14000)
        // gp2 500 GiB cannot carry it: under-provisioned.
        let under = try recommend({ $0.iops = "6000"; $0.mibps = "250"; $0.capacity = "500g" }, current: "gp2:size=500g")
        #expect(under.finding == "NotOptimized" && (under.findingReason ?? "").hasPrefix("under-provisioned"))
        #expect(under.current?.risk == 4)
    }

    @Test func jsonIsStableAndPlain() throws {
        let r = try recommend { $0.iops = "6000"; $0.mibps = "250"; $0.capacity = "500g" }
        let doc = r.json()
        #expect(doc["chosen"]?["type"] == .string("gp3"))
        #expect(doc["monthly_cost"] == .double(60))
        #expect(doc["region"] == .string("us-east-1"))
        guard case .array(let opts)? = doc["options"] else { Issue.record("no options"); return }
        for o in opts {
            for key in ["rank", "type", "monthly_cost", "finding", "performance_risk", "binding_limit", "spec", "latency_ms"] {
                #expect(o[key] != nil, "option lacks \(key)")
            }
        }
        guard case .array(let rej)? = doc["rejected"] else { Issue.record("no rejected"); return }
        #expect(rej.contains { $0["type"] == .string("st1") })
    }

    @Test func emitsConfiguration() throws {
        let r = try recommend { $0.iops = "6000"; $0.mibps = "250"; $0.capacity = "500g" }
        let cli = try r.emit("aws-cli", volumeID: nil)
        #expect(cli.contains("aws ec2 create-volume") && cli.contains("--volume-type gp3") && cli.contains("--iops 6000") && cli.contains("--throughput 250"))
        #expect(try r.emit("aws-cli", volumeID: "vol-0123abcd").contains("aws ec2 modify-volume"))
        let tf = try r.emit("terraform", volumeID: nil)
        #expect(tf.contains("resource \"aws_ebs_volume\"") && tf.contains("type              = \"gp3\"") && tf.contains("size              = 500"))
    }
}

struct RecommendBadInput {
    @Test func aFileThatIsNotAResult() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/rec-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "hello\n".write(toFile: dir + "/x.json", atomically: true, encoding: .utf8)
        let m = usageMessage { _ = try recommend { $0.from = dir + "/x.json"; $0.capacity = "100g" } }
        #expect(m.contains("--from") && m.contains("x.json"), "\(m)")
        try "{\"a\": 1}\n".write(toFile: dir + "/y.json", atomically: true, encoding: .utf8)
        #expect(usageMessage { _ = try recommend { $0.from = dir + "/y.json"; $0.capacity = "100g" } }.contains("no \"jobs\" array"))
        try "time,foo\n".write(toFile: dir + "/s.csv", atomically: true, encoding: .utf8)
        #expect(usageMessage { _ = try recommend { $0.series = dir + "/s.csv"; $0.capacity = "100g" } }.contains("not a series"))
    }

    @Test func needsNoCandidateCanMeet() {
        // 2 million IOPS: beyond 8 striped io2 volumes' 256,000 each... and every instance store here.
        let m = usageMessage { _ = try recommend { $0.iops = "3000000"; $0.blockSize = "4k"; $0.capacity = "100g" } }
        #expect(m.contains("no candidate meets the needs") && m.contains("io2"), "\(m)")
    }

    @Test func unknownInstanceAndBadValues() {
        #expect(usageMessage { _ = try store.instance(named: "x9.huge") }.contains("unknown instance type 'x9.huge'"))
        #expect(usageMessage { _ = try recommend { $0.iops = "-5"; $0.capacity = "1g" } }.contains("--iops"))
        #expect(usageMessage { _ = try recommend { $0.iops = "100" } }.contains("--capacity"))
        #expect(usageMessage { _ = try recommend { $0.iops = "100"; $0.capacity = "1g"; $0.durable = "maybe" } }.contains("--durable"))
        #expect(usageMessage { _ = try recommend { $0.capacity = "1g" } }.contains("give the needs"))
        #expect(usageMessage { _ = try recommend { $0.iops = "100"; $0.capacity = "1g"; $0.latencyTarget = "soon" } }.contains("--latency-target"))
    }
}

struct SeriesFiles {
    @Test func cloudWatchCSVAndJSON() throws {
        // Two 5-minute sums: 900,000 reads of 16 KiB = 3,000 IOPS, then idle.
        let csv = "Timestamp,VolumeReadOps,VolumeWriteOps,VolumeReadBytes,VolumeWriteBytes\n"
            + "2025-01-01T00:00:00Z,900000,0,14745600000,0\n2025-01-01T00:05:00Z,0,0,0,0\n"
        let c = try SeriesFile.parse(csv, path: "cw.csv", periodNs: nil)
        #expect(c.format == "CloudWatch CSV" && c.intervals.count == 2)
        #expect(c.intervals[0] == DemandInterval(startNs: 0, durationNs: 300 * NS.perSecond, ios: [900_000, 0], bytes: [14_745_600_000, 0]))
        let json = """
            {"MetricDataResults": [
              {"Id": "r", "Label": "VolumeReadOps", "Timestamps": ["2025-01-01T00:05:00Z", "2025-01-01T00:00:00Z"], "Values": [0, 900000]},
              {"Id": "rb", "Label": "VolumeReadBytes", "Timestamps": ["2025-01-01T00:00:00Z"], "Values": [14745600000]}
            ]}
            """
        // The direct reading agrees with Foundation's, and both layouts read.
        for t in ["2025-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "1999-12-31 12:30:00", "2100-03-01T00:00:01Z"] {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
            let iso = f.date(from: t.replacingOccurrences(of: " ", with: "T").replacingOccurrences(of: "Z", with: "") + "Z")
            #expect(SeriesFile.utcFast(t) != nil && SeriesFile.utcFast(t) == iso, "\(t)")
        }
        #expect(SeriesFile.utcFast("2025-13-01T00:00:00Z") == nil)
        let j = try SeriesFile.parse(json, path: "cw.json", periodNs: nil)
        #expect(j.intervals == c.intervals)
        #expect(usageMessage { _ = try SeriesFile.parse("Timestamp,VolumeReadOps\n2025-01-01T00:00:00Z,abc\n", path: "b.csv", periodNs: NS.perSecond) }
            .contains("b.csv:2"))
    }

    @Test func aSeriesIsReplayedAsItPlayed() throws {
        // A day per minute: 3,000 IOPS of 16 KiB for the first hour, 100 IOPS after. gp2 500 GiB (1,500
        // baseline) spends 1,500 credits a second for 3,600 s = 5.4 M: exactly its bucket, so it keeps up;
        // the steady reading of the same peak would not (its credits never come back).
        var lines: [String] = []
        for m in 0..<1440 {
            let iops = m < 60 ? 3000 : 100
            lines.append("{\"t_ms\":\((m + 1) * 60000),\"dur_ms\":60000,\"job\":\"a\",\"read\":{\"iops\":\(iops),\"bw_bytes\":\(iops * 16384)}}")
        }
        let s = try SeriesFile.parse(lines.joined(separator: "\n"), path: "day.jsonl", periodNs: nil)
        var n = try NeedsInput().withSeries(s.intervals, capacityGiB: 500)
        let r = try Recommender(store: store, prices: store.prices(region: "us-east-1")).recommend(n)
        let gp2 = try #require(r.options.first { $0.type == "gp2" })
        #expect(gp2.volume.sizeGiB == 500, "\(gp2.label)")
        n.steady = true
        let steady = try Recommender(store: store, prices: store.prices(region: "us-east-1")).recommend(n)
        #expect(try #require(steady.options.first { $0.type == "gp2" }).volume.sizeGiB == 1000)
    }
}

extension NeedsInput {
    func withSeries(_ d: [DemandInterval], capacityGiB: UInt64) throws -> Needs {
        Needs(demand: d, steady: false, pattern: .random, capacityGiB: capacityGiB, latencyTargetUs: nil, latencyPercentile: 99,
              durability: .stop, queueDepth: 32, source: "test")
    }
}

/// Input that once trapped (overflow, a Double too large for an integer) is a usage error.
struct HostileInput {
    @Test func ratesWhoseDayOverflowsAreRefused() {
        // 10^8 IOPS of 4 MiB: 4 x 10^14 B/s, a day of it is past 2^64 bytes.
        let m = usageMessage { _ = try recommend { $0.iops = "1e8"; $0.blockSize = "4m"; $0.capacity = "100g" } }
        #expect(m.contains("128 TiB a second"), "\(m)")
    }

    @Test func seriesPointsYearsApartAreRefused() {
        let csv = "Timestamp,VolumeReadOps\n0001-01-01T00:00:00Z,5\n9999-01-01T00:00:00Z,5\n"
        let m = usageMessage { _ = try SeriesFile.parse(csv, path: "far.csv", periodNs: nil) }
        #expect(m.contains("between 1s and 1d"), "\(m)")
    }

    @Test func aVolumeIDIsCheckedBeforeItIsPrintedIntoShellText() throws {
        let r = try recommend { $0.iops = "6000"; $0.capacity = "500g" }
        let m = usageMessage { _ = try r.emit("aws-cli", volumeID: "vol-1; rm -rf ~") }
        #expect(m.contains("not an EBS volume id"), "\(m)")
        #expect(try r.emit("aws-cli", volumeID: "vol-0123456789abcdef0").contains("--volume-id vol-0123456789abcdef0"))
    }
}
