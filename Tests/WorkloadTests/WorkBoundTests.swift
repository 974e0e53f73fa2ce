import BlockLabCore
import JobSpec
import Testing
@testable import Workload

/// I/O counts and bytes, each case checked against fio 3.33 (`fio --name=t --filename=f
/// --ioengine=psync ARGS --output-format=json`, total_ios and io_bytes).
@Suite struct WorkBoundTests {
    @Test func sequentialWrite64MiBIn128KiBIsExactly512IOs() throws {
        var p = try planner("--rw=write --size=64m --bs=128k")
        #expect(p.plannedIOCount == 512 && p.plannedBytes == 64 << 20 && p.plannedIsExact)
        let ios = drain(&p)
        #expect(ios.count == 512)
        #expect(totalBytes(ios) == 64 << 20)
        #expect(ios.enumerated().allSatisfy { $0.element.offset == UInt64($0.offset) * 131072 && $0.element.direction == .write })
        #expect(p.next() == nil)
    }

    static let fioCases: [(args: String, ios: Int, bytes: UInt64)] = [
        ("--rw=write --size=100k --bs=64k", 1, 65536),
        ("--rw=randwrite --size=100k --bs=64k", 1, 65536),
        ("--rw=randwrite --size=100k --bs=64k --norandommap", 2, 131072),
        ("--rw=write --size=100k --bs=64k --blockalign=4k", 1, 65536),
        ("--rw=randread --size=1m --bs=4k --number_ios=10 --loops=3", 30, 122880),
        ("--rw=read --size=1m --bs=4k --io_size=3m", 768, 3 << 20),
        ("--rw=read --size=1m --bs=4k --io_size=100k --loops=2", 50, 204800),
        ("--rw=randread --size=1m --bs=4k --io_size=10k", 3, 12288),
        ("--rw=randread --size=1m --bs=4k --loops=3", 768, 3 << 20),
    ]

    @Test(arguments: fioCases.indices)
    func countsMatchFio(_ i: Int) throws {
        let c = Self.fioCases[i]
        var p = try planner(c.args)
        let ios = drain(&p)
        #expect(ios.count == c.ios, "\(c.args)")
        #expect(totalBytes(ios) == c.bytes, "\(c.args)")
        #expect(p.plannedIsExact && p.plannedIOCount == UInt64(c.ios) && p.plannedBytes == c.bytes, "\(c.args)")
    }

    /// fio moves exactly the region with variable sizes: the random map and the region end
    /// shorten the I/Os that would overlap or overhang.
    @Test(arguments: ["--rw=randrw --size=1m --bsrange=4k-64k", "--rw=read --size=1m --bssplit=4k/50:64k/50",
                      "--rw=randwrite --size=1m --bssplit=4k/50:64k/50", "--rw=randrw --size=1m --bs=4k,64k"])
    func variableSizesMoveExactlyTheRegion(_ args: String) throws {
        var p = try planner(args)
        let ios = drain(&p)
        #expect(totalBytes(ios) == 1 << 20)
        #expect(!p.plannedIsExact)
        // Estimates (the random map shortens I/Os unpredictably); bytes are what an ETA needs.
        #expect(p.plannedBytes! >= (1 << 20) * 9 / 10 && p.plannedBytes! <= (1 << 20) * 11 / 10)
        #expect(p.plannedIOCount! > 0)
    }

    @Test func timeBasedNeverRunsOut() throws {
        for args in ["--rw=read --size=64k --bs=4k", "--rw=randwrite --size=64k --bs=4k",
                     "--rw=randrw --size=64k --bsrange=4k-16k", "--rw=randread --size=64k --bs=4k --random_distribution=zipf:1.1"] {
            var p = try planner(args, timeBased: true)
            #expect(p.plannedIOCount == nil && p.plannedBytes == nil)
            #expect(take(&p, 5000).count == 5000, "\(args)")
        }
    }

    @Test func sequentialWrapsWhenMoreWorkIsDue() throws {
        var p = try planner("--rw=read --size=16k --bs=4k --io_size=40k")
        let offsets = drain(&p).map(\.offset)
        #expect(offsets == [0, 4096, 8192, 12288, 0, 4096, 8192, 12288, 0, 4096])
    }

    @Test func sequentialDirectionsKeepSeparatePositions() throws {
        var p = try planner("--rw=readwrite --size=1m --bs=4k,8k --rwmixread=50")
        let ios = drain(&p)
        let reads = ios.filter { $0.direction == .read }.map(\.offset)
        let writes = ios.filter { $0.direction == .write }.map(\.offset)
        #expect(!reads.isEmpty && !writes.isEmpty)
        #expect(reads == (0..<reads.count).map { UInt64($0) * 4096 })
        #expect(writes == (0..<writes.count).map { UInt64($0) * 8192 })
    }

    @Test func regionSmallerThanABlockIsAUsageError() throws {
        let spec = try job("--rw=read --size=1m --bs=64k")
        #expect(throws: BlockLabError.self) { try IOPlanner(spec: spec, region: 0..<4096, timeBased: false, seedSalt: 0) }
        let mixed = try job("--rw=randrw --size=1m --bs=4k,1m")
        #expect(throws: BlockLabError.self) { try IOPlanner(spec: mixed, region: 0..<(512 << 10), timeBased: true, seedSalt: 0) }
    }
}
