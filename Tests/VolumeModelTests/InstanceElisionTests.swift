import BlockLabCore
import Testing
import Throttle
@testable import VolumeModel

/// Instance limits that the attached volumes can never reach are left out of the chain
/// (`Upstream`). Leaving them out must not change a single go-time: each case plays the
/// same random workload through shapers on an instance that books everything and on one
/// that knows its volumes.
@Suite struct InstanceElisionTests {
    struct Case: Sendable, CustomStringConvertible {
        var volumes: [String]
        var instance: String
        var largestIO: UInt32
        /// What the rule leaves out here (checked, so the cases keep covering what they mean to).
        var skipped: [String]
        var description: String { "\(volumes) on \(instance), I/O up to \(largestIO)" }
    }

    static let cases: [Case] = [
        Case(volumes: ["gp2:size=100g,burst-balance=2%"], instance: "m5.large", largestIO: 16384, skipped: ["peak IOPS", "peak throughput", "IOPS credits"]),
        Case(volumes: ["gp3:size=500g,iops=6000,throughput=250"], instance: "m5.large", largestIO: 65536, skipped: ["peak IOPS", "peak throughput"]),
        Case(volumes: ["gp3:size=2000g,iops=16000,throughput=1000"], instance: "m5.large", largestIO: 262_144, skipped: ["peak IOPS"]),
        Case(volumes: ["st1:size=500g,burst-balance=1%"], instance: "t3.micro", largestIO: 1 << 20, skipped: ["peak IOPS", "peak throughput", "IOPS credits"]),
        Case(volumes: ["io2:size=500g,iops=20000"], instance: "m5.4xlarge", largestIO: 16384, skipped: []),
        Case(volumes: ["gp2:size=100g", "gp2:size=300g"], instance: "m5.large", largestIO: 16384, skipped: []),
        // One volume held back by its own (empty) credits books the instance ahead; the other
        // queues behind those bookings: with two volumes every limit stays booked.
        Case(volumes: ["gp2:size=100g,burst-balance=0%", "gp2:size=300g"], instance: "m5.large", largestIO: 262_144, skipped: []),
        Case(volumes: ["gp2:size=1000g"], instance: "t3.micro", largestIO: 1 << 20, skipped: ["peak IOPS"]),
    ]

    @Test(arguments: cases)
    func skippedLimitsNeverHoldAnIOBack(_ c: Case) throws {
        let profile = try store.instance(named: c.instance)
        let volumes = try c.volumes.map { try resolve($0) }
        let knowing = InstanceLimits(profile: profile, epoch: 0, sharing: .exclusive,
                                     attached: volumes.map { Upstream(volume: $0, largestIO: UInt64(c.largestIO)) })
        let booking = InstanceLimits(profile: profile, epoch: 0, sharing: .exclusive)
        #expect(booking.unbooked.isEmpty)
        #expect(knowing.unbooked == c.skipped)
        let a = volumes.map { VolumeShaper(volume: $0, instance: knowing, epoch: 0, sharing: .exclusive) }
        let b = volumes.map { VolumeShaper(volume: $0, instance: booking, epoch: 0, sharing: .exclusive) }
        var rng = SplitMix64(seed: 7)
        var now: UInt64 = 0, offset: UInt64 = 0, flood = true
        for i in 0..<60_000 {
            // Stretches of demand far over the envelope (go-times run ahead of arrivals) and
            // of light demand, between idle gaps of up to 10 minutes (buckets refill), so
            // every limit is full, empty and in between.
            if i % 5_000 == 0 { flood = Bool.random(using: &rng); now += UInt64.random(in: 0...600, using: &rng) * S }
            now += UInt64.random(in: 0...(flood ? 5_000 : S / 1000), using: &rng)
            offset = Bool.random(using: &rng) ? offset : UInt64.random(in: 0..<(64 << 30), using: &rng) & ~4095
            let length = min(c.largestIO, UInt32(4096) << UInt32.random(in: 0...8, using: &rng))
            let v = i % volumes.count
            let x = a[v].admit(direction: .read, offset: offset, length: length, now: now)
            let y = b[v].admit(direction: .read, offset: offset, length: length, now: now)
            #expect(x == y, "admit \(i)")
            if x != y { return }
            offset += UInt64(length)
        }
    }

    @Test func largeIOsKeepTheLimitsBooked() throws {
        // 4 MiB I/Os exceed a gp2 volume's 10 ms byte burst: the volume goes into debt, so
        // the instance's bytes limits are kept; the IOPS ones still cannot bind.
        let v = try resolve("gp2:size=100g")
        let limits = InstanceLimits(profile: try store.instance(named: "m5.large"), epoch: 0,
                                    attached: [Upstream(volume: v, largestIO: 4 << 20)])
        #expect(limits.unbooked.sorted() == ["IOPS credits", "peak IOPS"])
        #expect(limits.booked.sorted() == ["peak throughput", "throughput credits"])
    }
}
