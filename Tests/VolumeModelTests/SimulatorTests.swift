import BlockLabCore
import JobSpec
import Testing
@testable import VolumeModel
import Workload

func job(_ rw: RWMode, bs: UInt32, iodepth: Int, rate: UInt64? = nil, runtime: UInt64) -> JobSpec {
    var j = JobSpec(name: "t")
    j.rw = rw
    j.blockSize = [.fixed(bs), .fixed(bs)]
    j.iodepth = iodepth
    j.rateIOPS = [rate, nil]
    j.runtimeNs = runtime
    // Scattered offsets (fio's lfsr): with fio's default, a taken block gives way to the next
    // free one, and now and then an I/O starts where the one before ended; EBS accounting
    // merges the two into one operation, which would blur these closed-form counts.
    j.randomGenerator = .lfsr
    return j
}

/// The job's real offset planner on `size` bytes from 0 (simulate plays time-based).
func planner(_ spec: JobSpec, size: UInt64) throws -> IOPlanner {
    try IOPlanner(spec: spec, region: 0..<size, timeBased: true, seedSalt: 0)
}

func episodes(_ r: SimulationResult) -> [(empty: UInt64, full: UInt64?)] {
    guard case .array(let b)? = r.summary["credit_buckets"], case .array(let eps)? = b.first?["episodes"] else { return [] }
    return eps.map { e in
        guard case .uint(let em)? = e["empty_ns"] else { return (0, nil) }
        if case .uint(let f)? = e["full_again_ns"] { return (em, f) }
        return (em, nil)
    }
}

@Test func gp2BurstEmptiesAtBalanceOverBurstMinusBaseline() throws {
    // 100 GiB gp2 (baseline 300, burst 3,000), 5 % of 5.4 M credits = 270,000:
    // at 3,000 IOPS demand it empties after 270,000 / 2,700 = exactly 100 s.
    let shaper = VolumeShaper(volume: try resolve("gp2:size=100g,burst-balance=5%"), epoch: 0)
    let source = try planner(job(.randread, bs: 16384, iodepth: 64, runtime: 0), size: 100 << 30)
    let r = Simulator(shaper: shaper, intervalNs: 10 * S).run([
        SimPhase(name: "burst", source: source, iodepth: 64, rateIOPS: 3000, runtimeNs: 150 * S),
        .idle(runtimeNs: 20_000 * S),
    ])
    let e = episodes(r)
    #expect(e.count == 1)
    #expect(e.first?.empty == 100 * S)
    // The last I/O left the bucket at exactly 0 credits: 5.4 M / 300 per second later it is full.
    #expect(e.first?.full == r.lastIssueNs + 18_000 * S)
    // Bursting at 3,000 IOPS, then held at the 300 IOPS baseline.
    #expect(r.intervals[4].ios == 30_000)
    #expect(r.intervals[12].ios == 3_000)
    #expect(r.intervals.last!.sample.first { $0.0 == "burst_balance_pct" }?.1 == 100)
}

@Test func st1ScanFallsToBaselineWhenThroughputCreditsRunOut() throws {
    // 500 GiB st1: burst 128,000,000 B/s, baseline 20,480,000 B/s, 500 GiB of credit,
    // starting at 10 %: empty after about 53.687 GB / 107.52 MB/s = 499.3 s.
    let v = try resolve("st1:size=500g,burst-balance=10%")
    let shaper = VolumeShaper(volume: v, epoch: 0)
    let spec = job(.read, bs: 1 << 20, iodepth: 8, runtime: 800 * S)
    let r = Simulator(shaper: shaper, intervalNs: 50 * S).run([
        SimPhase(name: "scan", source: try planner(spec, size: v.sizeBytes), iodepth: 8, runtimeNs: 800 * S),
    ])
    let closedForm = Double(v.byteCredits!.start) / Double(v.peakBytesPerSec! - v.baselineBytesPerSec!)
    let empty = Double(episodes(r).first?.empty ?? 0) / 1e9
    // The peak limiter's 10 ms burst and the I/Os in flight shift it by a few tens of ms at most.
    #expect(abs(empty - closedForm) < 0.1, "empty at \(empty) s, closed form \(closedForm) s")
    let early = Double(r.intervals[2].bytes) / 50, late = Double(r.intervals[14].bytes) / 50
    #expect(abs(early - 128_000_000) < 128_000_000 * 0.01)
    #expect(abs(late - 20_480_000) < 20_480_000 * 0.03)
    // EBS counting: sequential 1 MiB reads are one operation each.
    #expect(r.summary["ebs_ops"] == r.summary["raw_ios"])
}

@Test func instanceLimitCapsAFasterVolume() throws {
    // io2 at 20,000 IOPS on a t3.micro (max 11,800, baseline 500): the instance's max applies.
    let v = try resolve("io2:size=100g,iops=20000")
    let inst = InstanceLimits(profile: try store.instance(named: "t3.micro"), epoch: 0)
    let shaper = VolumeShaper(volume: v, instance: inst, epoch: 0)
    let spec = job(.randread, bs: 16384, iodepth: 64, runtime: 10 * S)
    let r = Simulator(shaper: shaper, intervalNs: 1 * S).run([
        SimPhase(name: "x", source: try planner(spec, size: v.sizeBytes), iodepth: 64, runtimeNs: 10 * S),
    ])
    // Issued by the last go-time: at most rate x time + the one operation the limiter starts with.
    let bound = 11_800 * r.lastIssueNs / S + 1
    #expect(r.totalIOs <= bound && r.totalIOs >= 11_800 * 10, "\(r.totalIOs) > \(bound)")
    let iops = r.intervals[5].ios // counted at completion, so latency jitter moves a few across intervals
    #expect(iops >= 11_600 && iops <= 12_000, "\(iops)")
    #expect(shaper.envelope.iops == 11_800)
}

@Test func simulateRequestRendersTableAndJSON() throws {
    let req = SimulateRequest(jobs: [job(.randwrite, bs: 4096, iodepth: 4, rate: 1000, runtime: 5 * S)],
                              volume: "gp3:size=100g", instance: nil, json: true, intervalNs: S, store: store)
    let text = try req.run()
    #expect(text.contains("\"series\""))
    #expect(text.contains("\"credit_buckets\""))
    var t = req
    t.json = false
    let table = try t.run()
    #expect(table.contains("IOPS"))
    #expect(table.split(separator: "\n").count >= 6)
    var bad = req
    bad.volume = nil
    #expect(usageMessage { _ = try bad.run() }.contains("--volume"))
    bad.volume = "gp3:size=100g"
    bad.jobs[0].runtimeNs = nil
    bad.jobs[0].timeBased = true
    #expect(usageMessage { _ = try bad.run() }.contains("time_based needs runtime="))
}

@Test func serviceTimeFollowsTheLatencyModel() throws {
    let shaper = VolumeShaper(volume: try resolve("io2:size=100g,iops=20000"), epoch: 0)
    var samples: [UInt64] = []
    for i: UInt64 in 0..<20_000 { samples.append(shaper.serviceTime(direction: .read, offset: i * 4096, length: 4096, issuedAt: i * 1000)) }
    samples.sort()
    let floor = UInt64(shaper.latency.spec.floorUs * 1000)
    #expect(samples.first! >= floor)
    let median = Double(samples[samples.count / 2]) / 1000
    #expect(abs(median - shaper.latency.spec.medianUs) < shaper.latency.spec.medianUs * 0.05)
    let p99 = Double(samples[samples.count * 99 / 100]) / 1000
    #expect(abs(p99 - shaper.latency.spec.p99Us) < shaper.latency.spec.p99Us * 0.1)
    // Deterministic: same I/O, same answer.
    let again = VolumeShaper(volume: try resolve("io2:size=100g,iops=20000"), epoch: 0)
    #expect(again.serviceTime(direction: .read, offset: 4096, length: 4096, issuedAt: 1000)
        == shaper.serviceTime(direction: .read, offset: 4096, length: 4096, issuedAt: 1000))
}

@Test func hostBoundWarnsOnlyBelowTheEnvelope() throws {
    let shaper = VolumeShaper(volume: try resolve("gp3:size=500g,iops=6000,throughput=250"), epoch: 0)
    #expect(shaper.hostBound(observedIOPS: 1000, observedBytesPerSec: 4e6, elapsedNs: 10 * S) != nil)
    #expect(shaper.hostBound(observedIOPS: 5900, observedBytesPerSec: 24e6, elapsedNs: 10 * S) == nil)
}
