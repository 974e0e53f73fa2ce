import BlockLabCore
import JobSpec
import Testing
@testable import Workload

@Suite struct PlacementTests {
    @Test(arguments: [256, 1000, 1, 3])
    func randomMapTouchesEveryBlockOncePerPass(_ blocks: Int) throws {
        var p = try planner("--rw=randread --size=\(blocks * 4096) --bs=4k --loops=3")
        let ios = drain(&p)
        #expect(ios.count == 3 * blocks)
        for pass in 0..<3 {
            let slice = ios[(pass * blocks)..<((pass + 1) * blocks)]
            #expect(Set(slice.map(\.offset)) == Set((0..<blocks).map { UInt64($0) * 4096 }))
        }
        if blocks >= 256 {
            #expect(ios.prefix(blocks).map(\.offset) != ios.dropFirst(blocks).prefix(blocks).map(\.offset))
            #expect(ios.prefix(blocks).map(\.offset) != (0..<blocks).map { UInt64($0) * 4096 }) // not sequential
        }
    }

    @Test func withoutRandomMapDuplicatesOccur() throws {
        var p = try planner("--rw=randread --size=1m --bs=4k --norandommap")
        let ios = drain(&p)
        #expect(ios.count == 256)
        #expect(Set(ios.map(\.offset)).count < 240) // ~162 distinct expected for 256 draws of 256
    }

    /// With variable sizes the map still gives every byte exactly once per pass.
    @Test(arguments: ["--rw=randrw --size=1m --bsrange=4k-64k", "--rw=randwrite --size=1m --bssplit=4k/50:64k/50",
                      "--rw=randread --size=1m --bs=8k --blockalign=4k", "--rw=randrw --size=1m --bs=4k,64k"])
    func mapCoversEveryByteOnce(_ args: String) throws {
        var p = try planner(args)
        var covered = [Bool](repeating: false, count: 256)
        for io in drain(&p) {
            #expect(io.offset % 4096 == 0 && io.length % 4096 == 0)
            for b in Int(io.offset / 4096)..<Int((io.offset + UInt64(io.length)) / 4096) {
                #expect(!covered[b], "block \(b) twice with \(args)")
                covered[b] = true
            }
        }
        #expect(covered.allSatisfy { $0 })
    }

    @Test(arguments: [
        "--rw=randrw --bsrange=4k-16k --blockalign=4k", "--rw=randread --bssplit=4k/30:12k/70 --norandommap",
        "--rw=read --bsrange=4k-16k", "--rw=randwrite --bs=8k --random_distribution=zipf:0.9",
        "--rw=randread --bs=16k --random_distribution=normal:30 --norandommap",
        "--rw=randrw --bs=4k,64k --random_distribution=pareto:0.7",
        "--rw=randread --bs=16k --blockalign=4k --norandommap", "--rw=randwrite --bs=16k --blockalign=4k --random_distribution=zipf:1.1",
    ])
    func everyIOInsideTheRegionAndAligned(_ args: String) throws {
        let start: UInt64 = 1 << 20, end = start + (10 << 20) + 3 * 1024
        var p = try planner("--size=1g " + args, region: start..<end, timeBased: true)
        let align: UInt64 = args.contains("blockalign=4k") || args.contains("bs=4k") || args.contains("4k/") || args.contains("4k-") ? 4096 : (args.contains("bs=8k") ? 8192 : 16384)
        for io in take(&p, 20_000) {
            #expect(io.offset >= start && io.offset + UInt64(io.length) <= end, "\(io) with \(args)")
            #expect((io.offset - start) % align == 0, "\(io) with \(args)")
            #expect(io.length > 0)
        }
    }

    @Test func sameSeedSameSequenceAndSaltOrRandrepeatChangeIt() throws {
        let args = "--rw=randrw --size=8m --bsrange=4k-32k --random_distribution=zipf:1.1"
        var a = try planner(args), b = try planner(args)
        let seqA = take(&a, 3000), seqB = take(&b, 3000)
        #expect(seqA == seqB)
        var c = try planner(args, salt: 1)
        #expect(take(&c, 3000) != seqA)
        var d = try planner(args + " --randseed=1234")
        #expect(take(&d, 3000) != seqA)
        var e = try planner(args + " --randrepeat=0"), f = try planner(args + " --randrepeat=0")
        #expect(take(&e, 3000) != take(&f, 3000))
    }
}

@Suite struct AlignmentTests {
    /// Without the map, blockalign below the block size lets I/Os start on any aligned offset.
    @Test func unmappedOffsetsUseBlockalignGranularity() throws {
        var p = try planner("--rw=randread --bs=16k --blockalign=4k --norandommap --size=1m", timeBased: true)
        let ios = take(&p, 5000)
        #expect(ios.allSatisfy { $0.offset % 4096 == 0 && $0.offset + 16384 <= 1 << 20 })
        #expect(ios.contains { $0.offset % 16384 != 0 })
    }
}
