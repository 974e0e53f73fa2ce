import BlockLabCore
import JobSpec
import Testing
@testable import Workload

@Suite struct DistributionTests {
    /// Accesses per block over `n` time-based I/Os of a 4 KiB job on `blocks` blocks.
    func histogram(_ args: String, blocks: Int = 10_000, n: Int = 200_000) throws -> [Int] {
        var p = try planner("--bs=4k --size=\(blocks * 4096) " + args, timeBased: true)
        var counts = [Int](repeating: 0, count: blocks)
        for io in take(&p, n) { counts[Int(io.offset / 4096)] += 1 }
        return counts
    }

    func share(ofHottest fraction: Double, _ counts: [Int]) -> Double {
        let sorted = counts.sorted(by: >)
        let top = sorted.prefix(Int(Double(counts.count) * fraction)).reduce(0, +)
        return Double(top) / Double(counts.reduce(0, +))
    }

    @Test func rwmixReadRatio() throws {
        var p = try planner("--rw=randrw --rwmixread=70 --bs=4k --size=64m", timeBased: true)
        let ios = take(&p, 100_000)
        let reads = Double(ios.filter { $0.direction == .read }.count) / Double(ios.count)
        #expect(abs(reads - 0.70) < 0.01)
        var q = try planner("--rw=randrw --rwmixwrite=10 --bs=4k --size=64m", timeBased: true)
        let r = Double(take(&q, 50_000).filter { $0.direction == .read }.count) / 50_000
        #expect(abs(r - 0.90) < 0.01)
    }

    @Test func bssplitProportions() throws {
        var p = try planner("--rw=randread --bssplit=4k/60:64k/40 --size=64m --norandommap", timeBased: true)
        let ios = take(&p, 100_000)
        let small = Double(ios.filter { $0.length == 4096 }.count) / Double(ios.count)
        #expect(abs(small - 0.60) < 0.015)
        #expect(ios.allSatisfy { $0.length == 4096 || $0.length == 65536 })
    }

    @Test func bsrangeUsesMultiplesOfTheMinimum() throws {
        var p = try planner("--rw=randread --bsrange=1k-4k --size=64m --norandommap", timeBased: true)
        let lengths = Set(take(&p, 10_000).map(\.length))
        #expect(lengths == [1024, 2048, 3072, 4096])
    }

    @Test func uniformIsFlat() throws {
        let counts = try histogram("--rw=randread --norandommap")
        #expect(share(ofHottest: 0.2, counts) < 0.30)
    }

    @Test func zipfIsSkewedAndScattered() throws {
        let counts = try histogram("--rw=randread --norandommap --random_distribution=zipf:1.2")
        // Top 1% of blocks: ~50% of accesses for θ=1.2 over 10,000 blocks (uniform: 1%).
        #expect(share(ofHottest: 0.01, counts) > 0.40)
        // The hottest blocks are spread over the region, not one run at its start.
        let hottest = counts.indices.sorted { counts[$0] > counts[$1] }.prefix(10)
        #expect(hottest.max()! - hottest.min()! > 1000)
    }

    @Test func paretoFollowsItsRule() throws {
        let counts = try histogram("--rw=randread --norandommap --random_distribution=pareto:0.8")
        let s = share(ofHottest: 0.2, counts)
        #expect(s > 0.75 && s < 0.86)
    }

    @Test func normalIsCentred() throws {
        let counts = try histogram("--rw=randread --norandommap --random_distribution=normal:10")
        let total = Double(counts.reduce(0, +))
        let withinOneSigma = Double(counts[4000..<6000].reduce(0, +)) / total
        #expect(abs(withinOneSigma - 0.683) < 0.02)
    }

    @Test func zonedSendsEightyPercentToTheFirstFifth() throws {
        let counts = try histogram("--rw=randread --norandommap --random_distribution=zoned:80/20:20/80")
        let first = Double(counts[0..<2000].reduce(0, +)) / Double(counts.reduce(0, +))
        #expect(abs(first - 0.80) < 0.01)
    }

    /// fio 3.33 drops the random map for skewed distributions, so blocks repeat within a
    /// pass and the skew holds over the whole pass (fio: zipf:1.2 on 256 blocks -> 68 distinct).
    @Test func skewedDistributionsDoNotUseTheRandomMap() throws {
        var z = try planner("--rw=randread --bs=4k --size=1m --random_distribution=zipf:1.2")
        let ios = drain(&z)
        #expect(ios.count == 256)
        #expect(Set(ios.map(\.offset)).count < 150)
        var p = try planner("--rw=randread --bs=4k --size=\(10_000 * 4096) --random_distribution=zoned:80/20:20/80")
        let pass = drain(&p)
        #expect(pass.count == 10_000)
        let hot = Double(pass.filter { $0.offset < 2000 * 4096 }.count) / Double(pass.count)
        #expect(abs(hot - 0.80) < 0.03)
    }

    @Test func centrePutsTheHotSpotThere() throws {
        let zipf = try histogram("--rw=randread --random_distribution=zipf:1.2:0.25", n: 50_000)
        #expect(zipf.indices.max { zipf[$0] < zipf[$1] } == 2500)
        #expect(share(ofHottest: 0.01, zipf) > 0.40)
        let normal = try histogram("--rw=randread --random_distribution=normal:5:0.75", n: 50_000)
        let mean = normal.indices.reduce(0.0) { $0 + Double($1 * normal[$1]) } / Double(normal.reduce(0, +))
        #expect(abs(mean - 7500) < 100)
    }
}
