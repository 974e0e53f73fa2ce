import BlockLabCore
import Testing
@testable import VolumeModel

@Test func gp3ResolvesProvisionedFigures() throws {
    let v = try resolve("gp3:size=500g,iops=6000,throughput=250")
    #expect(v.peakIOPS == 6000)
    #expect(v.peakBytesPerSec == 250 * Units.MiB)
    #expect(v.opCredits == nil && v.byteCredits == nil)
    let d = try resolve("gp3:size=10g")
    #expect(d.peakIOPS == 3000 && d.peakBytesPerSec == 125 * Units.MiB)
}

@Test func gp2BaselineBurstAndTiers() throws {
    let small = try resolve("gp2:size=100g,burst-balance=5%")
    #expect(small.baselineIOPS == 300 && small.peakIOPS == 3000)
    #expect(small.opCredits?.capacity == 5_400_000 && small.opCredits?.start == 270_000)
    #expect(small.peakBytesPerSec == 128 * Units.MiB)
    #expect(try resolve("gp2:size=10g").baselineIOPS == 100)        // minimum 100
    #expect(try resolve("gp2:size=200g").peakBytesPerSec == 250 * Units.MiB)
    let big = try resolve("gp2:size=6000g")
    #expect(big.baselineIOPS == 16000 && big.peakIOPS == 16000 && big.opCredits == nil) // no burst at >= 1 TiB
    #expect(try resolve("gp2:size=1024g").opCredits == nil)
}

@Test func provisionedIOPSThroughputRules() throws {
    #expect(try resolve("io1:size=100g,iops=5000").peakBytesPerSec == 500 * Units.MiB)
    #expect(try resolve("io1:size=1280g,iops=64000").peakBytesPerSec == 1000 * Units.MiB)
    #expect(try resolve("io1:size=1000g,iops=40000").peakBytesPerSec == 40000 * 16 * Units.KiB)
    let io2 = try resolve("io2:size=100g,iops=20000")
    #expect(io2.peakIOPS == 20000)
    #expect(io2.peakBytesPerSec == 4000 * Units.MiB)                   // 0.256 x 20,000 = 5,120: capped
    #expect(try resolve("io2:size=100g,iops=10000").peakBytesPerSec == 2560 * Units.MiB)
    #expect(try resolve("io2:size=300g,iops=256000").peakBytesPerSec == 4000 * Units.MiB)
}

@Test func hddPerTiBRates() throws {
    let st1 = try resolve("st1:size=500g")
    #expect(st1.baselineBytesPerSec == 20_480_000)   // 40 MiB/s per TiB x 500/1024
    #expect(st1.peakBytesPerSec == 128_000_000)      // 250 MiB/s per TiB
    #expect(st1.byteCredits?.capacity == 500 * Units.GiB)
    let bigSt1 = try resolve("st1:size=16384g")
    #expect(bigSt1.peakBytesPerSec == 500 * Units.MiB && bigSt1.baselineBytesPerSec == 500 * Units.MiB)
    #expect(try resolve("sc1:size=16384g").baselineBytesPerSec == 192 * Units.MiB)
}

@Test(arguments: [
    ("gp3:size=100g,iops=90000", "outside 3000-80000 IOPS"),
    ("gp3:size=100g,iops=2000", "outside 3000-80000 IOPS"),
    ("gp3:size=10g,iops=6000", "500 IOPS per GiB"),
    ("gp3:size=100g,iops=4000,throughput=2500", "outside 125-2000 MiB/s"),
    ("gp3:size=100g,iops=3000,throughput=1000", "0.25 MiB/s per provisioned IOPS"),
    ("gp3-2023:size=100g,iops=20000", "outside 3000-16000 IOPS"),
    ("gp3-2023:size=20000g", "outside 1-16384 GiB"),
    ("gp3:size=70000g", "outside 1-65536 GiB"),
    ("io1:size=100g,iops=6000", "50 IOPS per GiB"),
    ("io1:size=2000g,iops=70000", "outside 100-64000 IOPS"),
    ("io1:size=100g", "iops is required"),
    ("io1:size=2g,iops=100", "outside 4-16384 GiB"),
    ("io2:size=100g,iops=200000", "1000 IOPS per GiB"),
    ("io2:size=1000g,iops=300000", "outside 100-256000 IOPS"),
    ("st1:size=100g", "outside 125-16384 GiB"),
    ("sc1:size=124g", "outside 125-16384 GiB"),
    ("gp2:size=100g,iops=500", "'iops' cannot be set"),
    ("gp3:iops=3000", "size is required"),
    ("gp3:size=1.5g", "whole number of GiB"),
    ("gp3:size=100g,color=red", "unknown key 'color'"),
    ("gp3:size=100g,size=200g", "'size' given twice"),
    ("gp2:size=100g,burst-balance=150%", "percentage 0-100"),
    ("nvme9:size=1g", "unknown volume type 'nvme9'"),
])
func everyRuleHasItsMessage(spec: String, expected: String) {
    let m = usageMessage { _ = try resolve(spec) }
    #expect(m.contains(expected), "\(spec): \(m)")
    #expect(m.contains("--volume"), "\(spec): \(m)")
}

@Test func instanceProfilesLoadWithBurstCredits() throws {
    for name in ["t3.micro", "m5.large", "c5.large", "r5.large", "m6i.large", "m5.4xlarge", "i4i.large", "r5b.24xlarge"] {
        _ = try store.instance(named: name)
    }
    let m5 = try store.instance(named: "m5.large")
    #expect(m5.maxBytesPerSec == 593_750_000 && m5.baselineIOPS == 3600)
    #expect(m5.creditCapacity?.ops == 1800 * (18750 - 3600))
    #expect(try store.instance(named: "m5.4xlarge").creditCapacity == nil)
    #expect(usageMessage { _ = try store.instance(named: "z9.huge") }.contains("--instance"))
    #expect(store.names("volumes").contains("gp3-2023"))
}
