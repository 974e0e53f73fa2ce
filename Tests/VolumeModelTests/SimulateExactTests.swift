import BlockLabCore
import JobSpec
import Testing
@testable import VolumeModel
import Workload

/// `blocklab simulate ARGS --volume V`, as the command parses it.
func simulate(_ args: [String], volume: String?, interval: UInt64 = 10 * S) throws -> SimulationResult {
    let jobs = try SimulateRequest.parseJobs(arguments: args, environment: [:], volume: volume)
    return try SimulateRequest(jobs: jobs, volume: volume, instance: nil, json: false, intervalNs: interval, store: store).simulate()
}

@Test func jobsWithoutSizeWorkOnTheWholeVolume() throws {
    let args = ["--name=b", "--rw=randread", "--bs=16k", "--runtime=1m"]
    func region(_ extra: [String], volume: String?) throws -> Range<UInt64>? {
        let request = SimulateRequest(jobs: try SimulateRequest.parseJobs(arguments: args + extra, environment: [:], volume: volume),
                                      volume: volume, instance: nil, json: false, intervalNs: S, store: store)
        return try request.regions(on: request.plan().volumes[0].resolved).first
    }
    #expect(try region([], volume: "gp2:size=100g") == 0..<(100 << 30))
    #expect(try region(["--size=1g"], volume: "gp2:size=100g") == 0..<(1 << 30))
    #expect(try region(["--offset=10g"], volume: "gp2:size=100g") == (10 << 30)..<(100 << 30))
    // The job's own volume= when there is no --volume.
    #expect(try region(["--volume=gp3:size=20g"], volume: nil) == 0..<(20 << 30))
    // Larger than the volume: a clear error naming the job.
    let msg = usageMessage { _ = try simulate(args + ["--size=200g"], volume: "gp2:size=100g") }
    #expect(msg.contains("job 'b'") && msg.contains("outside"))
}

@Test func gp2BurstAtRateIOPSEmptiesExactlyOnTheClosedForm() throws {
    // The documented command (`--rw=randread --bs=16k --iodepth=64 --rate_iops=3000`) on a
    // 100 GiB gp2 starting at 1 % (54,000 credits), so it runs in a debug test: the closed
    // form is 54,000 / (3,000 - 300) = 20 s exactly. (rate_iops=3000 limits reads and writes
    // to 3,000 each: a read-only job is paced at 3,000, not at their sum.)
    let r = try simulate(["--name=b", "--rw=randread", "--bs=16k", "--iodepth=64", "--rate_iops=3000", "--runtime=40s"],
                         volume: "gp2:size=100g,burst-balance=1%", interval: 5 * S)
    #expect(episodes(r).map(\.empty) == [20 * S])
    // Intervals count completions, so the latency model moves a few I/Os across boundaries.
    #expect(near(r.intervals[1].ios, 15_000))             // 3,000 IOPS while credits last
    #expect(near(r.intervals[6].ios, 1_500))              // then the 300 IOPS baseline
}

@Test func gp2BurstAtFullDemandEmptiesExactlyOnTheClosedForm() throws {
    // No rate limit: 64 I/Os always waiting. The peak limiter starts with one operation, so
    // I/O n goes at ceil(n / 3,000 s) from the first, and the credits still run out at 20 s.
    let r = try simulate(["--name=b", "--rw=randwrite", "--bs=4k", "--iodepth=64", "--runtime=30s"],
                         volume: "gp2:size=100g,burst-balance=1%", interval: 5 * S)
    #expect(episodes(r).map(\.empty) == [20 * S])
    #expect(near(r.intervals[1].ios, 15_000))
}

@Test func simulatedIOsAreThoseOfTheOffsetPlanner() throws {
    // bssplit and zipf go through IOPlanner: the simulated bytes are exactly the planner's.
    let args = ["--name=z", "--rw=randrw", "--bssplit=4k/50:64k/50", "--random_distribution=zipf:1.2", "--iodepth=8",
                "--runtime=2s", "--size=1g"]
    let jobs = try SimulateRequest.parseJobs(arguments: args, environment: [:], volume: "gp3:size=100g")
    let r = try SimulateRequest(jobs: jobs, volume: "gp3:size=100g", instance: nil, json: false, intervalNs: S, store: store).simulate()
    var p = try IOPlanner(spec: jobs[0], region: 0..<(1 << 30), timeBased: true, seedSalt: 0)
    var bytes: UInt64 = 0, sizes: Set<UInt32> = []
    for _ in 0..<r.totalIOs { let io = p.next()!; bytes += UInt64(io.length); sizes.insert(io.length) }
    #expect(r.totalIOs > 1000)
    #expect(r.totalBytes == bytes)
    #expect(sizes == [4096, 65536])
}

@Test func numjobsClonesEachKeepTheirOwnRate() throws {
    let r = try simulate(["--name=n", "--rw=randread", "--bs=4k", "--iodepth=4", "--numjobs=3", "--rate_iops=500",
                          "--runtime=4s"], volume: "gp3:size=100g", interval: S)
    #expect(near(r.intervals[2].ios, 1_500))
}

/// Within a few I/Os (completions near an interval boundary may fall either side).
func near(_ x: UInt64, _ y: UInt64) -> Bool { x + 10 >= y && x <= y + 10 }
