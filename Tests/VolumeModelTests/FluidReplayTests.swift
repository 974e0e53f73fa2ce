import BlockLabCore
import Testing
@testable import VolumeModel

/// The fluid (per-interval, closed-form) replay against the per-I/O simulator on traces
/// short enough to play both ways: served I/Os and the moment a credit bucket runs empty
/// agree within 1 %.
struct FluidAgainstSimulator {
    /// `count` intervals of `seconds` s, each demanding `iops` reads (or writes) of `bs` bytes.
    static func demand(count: Int, seconds: UInt64, iops: UInt64, bs: UInt64, write: Bool = false) -> SeriesDemand {
        let ios = iops * seconds
        let iv = (0..<count).map { k in
            SeriesDemand.Interval(startNs: UInt64(k) * seconds * S, durationNs: seconds * S,
                                  ios: write ? [0, ios] : [ios, 0], bytes: write ? [0, ios * bs] : [ios * bs, 0])
        }
        return SeriesDemand.of([(name: "a", intervals: iv)])
    }

    /// Plays `series` per I/O (queue depth 16, so little demand is carried over an interval's
    /// end) and fluidly; returns (simulated I/Os, fluid I/Os, sim first empty ns, fluid first empty ns).
    static func both(_ spec: String, instance: String? = nil, series: SeriesDemand)
        throws -> (sim: Double, fluid: FluidResult, simEmpty: UInt64?) {
        let plan = try EmulationPlan(simulating: spec, instance: instance, jobs: [], replaysSeries: true, store: store)
        let shaper = plan.simulationShaper()
        let phases = series.phases(volumeSize: plan.volumes[0].resolved.sizeBytes, iodepth: 16)
        let sim = Simulator(shaper: shaper, intervalNs: 10 * S).run(phases)
        let tracker = shaper.credits ?? shaper.instance?.credits
        let target = FluidTarget(volume: plan.volumes[0].resolved, instance: plan.volumes[0].instance.flatMap { plan.instanceProfile(named: $0) })
        let fluid = FluidReplay.run(target, demand: series.combined(), pattern: .random)
        return (Double(sim.totalIOs), fluid, tracker?.history().first?.empty)
    }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 0.01) -> Bool { abs(a - b) <= tolerance * max(abs(a), abs(b)) }

    @Test func gp2CreditsRunOutAtTheSameMoment() throws {
        // gp2 100 GiB: 300 IOPS baseline, 3,000 burst; 2 % of 5.4 M credits = 108,000, spent at
        // 2,000 - 300 = 1,700 a second: empty after 63.5 s, then 300 IOPS.
        // Served: 63.53 s x 2,000 + 136.47 s x 300 = 168,000 of 400,000 demanded.
        let r = try Self.both("gp2:size=100g,burst-balance=2%", series: Self.demand(count: 10, seconds: 20, iops: 2000, bs: 16384))
        #expect(Self.close(r.sim, r.fluid.servedIOs), "sim \(r.sim) fluid \(r.fluid.servedIOs)")
        #expect(Self.close(r.fluid.servedIOs, 63.5294 * 2000 + 136.4706 * 300, 0.001))
        let fluidEmpty = try #require(r.fluid.firstEmptyNs["volume I/O credits"])
        #expect(Self.close(Double(try #require(r.simEmpty)), fluidEmpty), "sim \(String(describing: r.simEmpty)) fluid \(fluidEmpty)")
        #expect(r.fluid.binding == "volume I/O credits")
        #expect(Self.close(r.fluid.throttledNs, 136.47 * 1e9, 0.001))
    }

    @Test func st1ThroughputCreditsAndSmallRandomReads() throws {
        // st1 500 GiB: baseline 19.53 MiB/s, burst 122.07 MiB/s; 1 % of 500 GiB = 5 GiB of credit.
        // 1 MiB random reads at 100 a second (100 MiB/s) drain 80.47 MiB/s: empty after 63.6 s.
        let big = try Self.both("st1:size=500g,burst-balance=1%", series: Self.demand(count: 20, seconds: 30, iops: 100, bs: 1 << 20))
        #expect(Self.close(big.sim, big.fluid.servedIOs), "sim \(big.sim) fluid \(big.fluid.servedIOs)")
        #expect(Self.close(Double(try #require(big.simEmpty)), try #require(big.fluid.firstEmptyNs["volume throughput credits"])))
        // 4 KiB random reads are charged 1 MiB each: 100 of them a second drain exactly as fast.
        let small = try Self.both("st1:size=500g,burst-balance=1%", series: Self.demand(count: 20, seconds: 30, iops: 100, bs: 4096))
        #expect(Self.close(small.sim, small.fluid.servedIOs), "sim \(small.sim) fluid \(small.fluid.servedIOs)")
        #expect(Self.close(small.fluid.servedIOs, big.fluid.servedIOs, 0.001))
    }

    @Test func anInstanceLimitBinds() throws {
        // io2 with 30,000 IOPS on an m5.large: the instance's 18,750 peak IOPS bind.
        let r = try Self.both("io2:size=100g,iops=30000", instance: "m5.large", series: Self.demand(count: 2, seconds: 10, iops: 25000, bs: 4096))
        #expect(Self.close(r.sim, r.fluid.servedIOs), "sim \(r.sim) fluid \(r.fluid.servedIOs)")
        #expect(Self.close(r.fluid.servedIOs, 18750 * 20, 0.001))
        #expect(r.fluid.binding == "instance EBS IOPS")
    }

    @Test func instanceStoreHasItsOwnEnvelope() throws {
        // i4i.large's local NVMe: 50,000 4 KiB reads a second, 27,500 writes; never its EBS limit.
        let reads = try Self.both("instance-store:size=100g", instance: "i4i.large", series: Self.demand(count: 2, seconds: 5, iops: 60000, bs: 4096))
        #expect(Self.close(reads.sim, reads.fluid.servedIOs), "sim \(reads.sim) fluid \(reads.fluid.servedIOs)")
        #expect(Self.close(reads.fluid.servedIOs, 50000 * 10, 0.001))
        let writes = FluidReplay.run(FluidTarget(volume: try Self.local("i4i.large")), demand: Self.demand(count: 1, seconds: 10, iops: 60000, bs: 4096, write: true).combined(), pattern: .random)
        #expect(Self.close(writes.servedIOs, 27500 * 10, 0.001))
        #expect(writes.binding == "instance store IOPS")
    }

    static func local(_ instance: String) throws -> ResolvedVolume {
        var v = try resolve("instance-store:size=100g")
        try v.attachLocal(instance: store.instance(named: instance))
        return v
    }

    @Test func fourteenDaysPerMinuteInClosedForm() throws {
        // 20,160 intervals, a handful of linear pieces each (blocklab-bench recommend times it).
        let days = Self.demand(count: 20_160, seconds: 60, iops: 3000, bs: 16384)
        let r = FluidReplay.run(FluidTarget(volume: try resolve("gp2:size=500g")), demand: days.combined(), pattern: .random)
        #expect(r.demandedIOs == 3000 * 60 * 20_160)
        // 500 GiB gp2: 1,500 IOPS baseline; 5.4 M credits last 5.4 M / 1,500 = 3,600 s at 3,000.
        #expect(Self.close(try #require(r.firstEmptyNs["volume I/O credits"]), 3600e9, 0.0001))
    }
}
