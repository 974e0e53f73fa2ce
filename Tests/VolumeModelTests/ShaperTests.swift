import BlockLabCore
import Dispatch
import Testing
import Throttle
@testable import VolumeModel

@Test func shaperSharedByThreadsHandsOutExactlyTheRatesGrid() throws {
    // gp3 at 3,000 IOPS: 4 threads x 5,000 random 16 KiB I/Os, all due at 0.
    let shaper = VolumeShaper(volume: try resolve("gp3:size=100g"), epoch: 0)
    let threads = 4, per = 5_000
    let go = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads * per)
    defer { go.deallocate() }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        for i in 0..<per {
            let offset = UInt64((t * per + i) * 2) << 20 // never sequential: one operation each
            go[t * per + i] = shaper.admit(direction: .read, offset: offset, length: 16384, now: 0)
        }
    }
    // The peak bucket starts with one operation: the n-th admitted goes at ceil(n / 3,000 s).
    var expected: [UInt64] = [0]
    for k in 1...UInt64(threads * per - 1) { expected.append((k * S + 2999) / 3000) }
    #expect(go.sorted() == expected)
    #expect(shaper.accounting.totals.ebsOps == UInt64(threads * per))
    #expect(shaper.accounting.totals.rawBytes == UInt64(threads * per) * 16384)
}

@Test func epochIsWhereStartingBalancesApply() throws {
    // A shaper created late on the clock still starts with the given 5 % of credits.
    let clock = FakeClock(1_000_000 * S)
    let shaper = VolumeShaper(volume: try resolve("gp2:size=100g,burst-balance=5%"), instance: nil, clock: clock)
    #expect(shaper.sample(now: clock.now()).first { $0.0 == "burst_balance_pct" }?.1 == 5)
}

@Test func instanceStoreHasNoThrottle() throws {
    let v = try resolve("instance-store:size=100g")
    let shaper = VolumeShaper(volume: v, epoch: 0)
    for i: UInt64 in 0..<10_000 { #expect(shaper.admit(direction: .write, offset: i << 20, length: 4096, now: 5) == 5) }
    #expect(v.profile.notes["rules_text"]?.contains("lost when the instance stops") == true)
    #expect(usageMessage { _ = try resolve("instance-store:size=100g,iops=5") }.contains("cannot be set"))
}

@Test func summaryReportsRawAndEBSCountedIO() throws {
    let shaper = VolumeShaper(volume: try resolve("st1:size=500g"), epoch: 0)
    for i: UInt64 in 0..<8 { _ = shaper.admit(direction: .read, offset: i * 128 << 10, length: 128 << 10, now: 0) }
    _ = shaper.admit(direction: .read, offset: 100 << 30, length: 4096, now: 0)
    let s = shaper.summary(now: S)
    #expect(s["raw_ios"] == .uint(9))
    #expect(s["ebs_ops"] == .uint(2))
    #expect(s["ebs_charged_bytes"] == .uint(2 << 20)) // the 4 KiB random read costs 1 MiB of credit
    #expect(s["model"]?["source"] == .string("Amazon EBS User Guide, Throughput Optimized HDD and Cold HDD volumes, 2025"))
}

@Test func volumesOnOneInstanceShareItsLimit() throws {
    // Two io2 volumes (20,000 IOPS each) on an m5.4xlarge (18,750 IOPS, no burst): together
    // they get the instance's 18,750, not 40,000.
    let inst = InstanceLimits(profile: try store.instance(named: "m5.4xlarge"), epoch: 0)
    let a = VolumeShaper(volume: try resolve("io2:size=100g,iops=20000"), instance: inst, epoch: 0)
    let b = VolumeShaper(volume: try resolve("io2:size=100g,iops=20000"), instance: inst, epoch: 0)
    var last: UInt64 = 0
    for i: UInt64 in 0..<10_000 {
        last = max(last, a.admit(direction: .read, offset: i * 2 << 20, length: 16384, now: 0))
        last = max(last, b.admit(direction: .read, offset: i * 2 << 20, length: 16384, now: 0))
    }
    // 20,000 ops at 18,750/s from one starting token: the last goes at ceil(19,999 / 18,750 s).
    #expect(last == (19_999 * S + 18_749) / 18_750)
}

@Test(arguments: ["gp3:size=500g,iops=6000,throughput=250", "gp2:size=100g,burst-balance=1%", "st1:size=500g,burst-balance=1%", "io2:size=100g,iops=20000"])
func oneThreadShaperAnswersExactlyAsASharedOne(spec: String) throws {
    // One job thread skips the locked instructions; it must not change a single go-time,
    // counter or credit episode. On m5.large too (instance credits: four bucket groups).
    for instance in [nil, "m5.large"] as [String?] {
        let profile = try instance.map { try store.instance(named: $0) }
        let shapers = try [Sharing.shared, .exclusive].map { sharing in
            VolumeShaper(volume: try resolve(spec), instance: profile.map { InstanceLimits(profile: $0, epoch: 0, sharing: sharing) },
                         epoch: 0, sharing: sharing)
        }
        var rng = SplitMix64(seed: 99)
        var now: UInt64 = 0, offset: UInt64 = 0
        for _ in 0..<20_000 {
            now += UInt64.random(in: 0...(S / 2000), using: &rng)
            // A mix of sequential runs (merged by the accounting) and random jumps.
            offset = Bool.random(using: &rng) ? offset : UInt64.random(in: 0..<(64 << 30), using: &rng) & ~4095
            let length = UInt32(4096 << UInt32.random(in: 0...8, using: &rng))
            let a = shapers[0].admit(direction: .read, offset: offset, length: length, now: now)
            let b = shapers[1].admit(direction: .read, offset: offset, length: length, now: now)
            #expect(a == b)
            if a != b { return }
            offset += UInt64(length)
        }
        #expect(shapers[0].accounting.totals == shapers[1].accounting.totals)
        #expect(shapers[0].throttledNs == shapers[1].throttledNs)
        #expect(shapers[0].credits?.history().count == shapers[1].credits?.history().count)
        #expect(shapers[0].sample(now: now).map(\.1) == shapers[1].sample(now: now).map(\.1))
    }
}
