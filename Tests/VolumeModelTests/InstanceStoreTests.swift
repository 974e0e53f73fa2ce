import BlockLabCore
import Foundation
import JobSpec
import Testing
@testable import VolumeModel

/// Instance store is local NVMe: never behind the instance's EBS limits, and held to its
/// own published envelope.
@Suite struct InstanceStoreTests {
    func job(instance: String?, size: String = "100g") -> JobSpec {
        var j = JobSpec(name: "r", origin: "t.fio")
        j.filename = "/t/v.dat"
        j.volume = "instance-store:size=\(size)"
        j.instance = instance
        j.blockSize = [.fixed(4096), .fixed(4096)]
        j.size = 1 << 20
        return j
    }

    @Test func runsOnAnInstanceUseTheLocalEnvelopeNotTheEBSLimits() throws {
        let plan = try EmulationPlan(jobs: [job(instance: "i4i.large")], store: store)
        #expect(plan.volumes[0].instance == nil)
        #expect(plan.volumes[0].resolved.local == LocalEnvelope(instance: "i4i.large", readIOPS: 50_000, writeIOPS: 27_500))
        let shaper = try #require(plan.shapers(regionEnds: [1 << 20], clock: FakeClock())[0] as? VolumeShaper)
        #expect(shaper.instance == nil)
        #expect(shaper.envelope.iops == 50_000)
        // 4 KiB reads from a full queue at time 0 go on a 50,000 IOPS grid (20 us apart),
        // past the 40,000 EBS maximum, and never fall to the EBS baseline (2,500).
        var last: UInt64 = 0
        for i in 0..<200_000 { last = shaper.admit(direction: .read, offset: UInt64(i % 256) * 4096, length: 4096, now: 0) }
        let rate: Double = 200_000 / (Double(last) / 1e9)
        #expect(abs(rate - 50_000) / 50_000 < 0.01, "\(rate)")
        // Writes: 27,500 a second.
        let w = try #require(EmulationPlan(jobs: [job(instance: "i4i.large")], store: store).shapers(regionEnds: [1 << 20], clock: FakeClock())[0] as? VolumeShaper)
        for i in 0..<100_000 { last = w.admit(direction: .write, offset: UInt64(i % 256) * 4096, length: 4096, now: 0) }
        let wrate: Double = 100_000 / (Double(last) / 1e9)
        #expect(abs(wrate - 27_500) / 27_500 < 0.01)
        let summary = shaper.summary(now: last)
        #expect(summary["model"]?["local_envelope"]?["read_iops_4k"] == .uint(50_000))
    }

    @Test func instanceStoreNeedsAnInstanceThatHasOneAndRoomForIt() {
        #expect(usageMessage { _ = try EmulationPlan(jobs: [job(instance: "m5.large")], store: store) }.contains("m5.large: has no instance store"))
        #expect(usageMessage { _ = try EmulationPlan(jobs: [job(instance: "i4i.large", size: "500g")], store: store) }
            .contains("more than i4i.large's instance store"))
        #expect(usageMessage { _ = try EmulationPlan(jobs: [job(instance: "d3.xlarge")], store: store) }.contains("HDD"))
    }

    @Test func profilesCarryInstanceStoreAndPrices() throws {
        let i = try store.instance(named: "i4i.large")
        #expect(i.instanceStore?.readIOPS == 50_000 && i.instanceStore?.volumeGB == 468)
        #expect(i.price?.hourly == 0.172 && i.price?.withoutDisk?.type == "r6i.large")
        for name in store.names("instances") {
            let p = try store.instance(named: name)
            #expect(p.price != nil, "\(name) has no price")
            #expect(!p.source.isEmpty)
        }
        let t = try store.prices(region: "us-east-1")
        // io2 tiers at the price list's figures: 32,000 x 0.065 + 32,000 x 0.0455 + 16,000 x 0.03185.
        #expect(abs(t.io2IOPSMonthly(80_000) - 4045.6) < 1e-9)
        // Magnetic: 100 GiB x $0.05 + 100 I/Os a second for 730 h = 262.8 million x $0.05 per million.
        let magnetic = t.monthly(try resolve("standard:size=100g"), opsPerSecond: 100)
        let expected: Double = 5 + 262.8 * 0.05
        #expect(abs(magnetic - expected) < 1e-9)
    }

    /// The report prices a volume by its type's name through the same table and maths.
    @Test func pricesByTypeNameFollowTheTable() throws {
        let t = try store.prices(region: "us-east-1")
        let gp3 = t.monthlyCost(type: "gp3", sizeGiB: 500, iops: 6000, mibps: 250)!
        #expect(abs(gp3 - (500 * t.price("gp3.gb_month") + 3000 * t.price("gp3.iops_month_above_3000") + 125 * t.price("gp3.mbps_month_above_125"))) < 1e-9)
        let rv = try resolve("gp3:size=500g,iops=6000,throughput=250")
        #expect(abs(gp3 - t.monthly(rv)) < 1e-9)
        #expect(abs(t.monthlyCost(type: "io2", sizeGiB: 100, iops: 80_000, mibps: nil)! - (100 * t.price("io2.gb_month") + 4045.6)) < 1e-6)
        #expect(t.monthlyCost(type: "sc1", sizeGiB: 1000, iops: nil, mibps: nil)! == 1000 * t.price("sc1.gb_month"))
        #expect(t.monthlyCost(type: "instance-store", sizeGiB: 100, iops: nil, mibps: nil) == nil)
        #expect(t.monthlyCost(type: "gp3", sizeGiB: .nan, iops: .infinity, mibps: -5)!.isFinite)
    }

    @Test func aPriceFileThatIsNotATableIsAUsageErrorNamingIt() throws {
        let path = FileManager.default.temporaryDirectory.path + "/blocklab-prices-\(getpid()).yaml"
        defer { unlink(path) }
        try "just: text\n".write(toFile: path, atomically: true, encoding: .utf8)
        do { _ = try PriceTable.read(path); Issue.record("accepted") } catch let e as BlockLabError {
            #expect(e.exitCode == 2 && e.description.contains(path), "\(e.description)")
        }
    }
}
