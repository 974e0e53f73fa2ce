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

/// fio's default offsets: a uniform draw, and a taken block gives way to the next free one.
@Suite struct RandomMapTests {
    /// nextFree against a brute-force scan, over fills of every density and sizes around
    /// the word and level boundaries.
    @Test(arguments: [1, 2, 63, 64, 65, 4095, 4096, 4097, 262_145])
    func nextFreeMatchesAScan(_ count: Int) {
        var map = RandomMap(count: UInt64(count))
        var taken = [Bool](repeating: false, count: count)
        var rng = Xoshiro256(seed: UInt64(count))
        var left = count
        while left > 0 {
            let b = rng.below(UInt64(count))
            let got = map.isFree(b) ? b : map.nextFree(after: b)
            if count <= 5000 || left % 61 == 0 || left < 40 { // the big map: spot checks (the scan is slow in debug)
                let expected = taken[Int(b)] ? (((Int(b) + 1)..<count).first { !taken[$0] } ?? (0..<count).first { !taken[$0] }) : Int(b)
                #expect(got.map(Int.init) == expected, "count \(count), draw \(b)")
            }
            guard let g = got else { break }
            #expect(map.takeRun(from: g, limit: 1) == 1)
            taken[Int(g)] = true
            left -= 1
        }
        #expect(map.used == UInt64(count))
        #expect(map.nextFree(after: 0) == nil)
        map.reset()
        #expect(map.used == 0 && map.nextFree(after: UInt64(count - 1)) == 0)
    }

    /// Late in a pass the default reads runs of neighbours (as fio); lfsr scatters to the end.
    @Test func defaultGivesLatePassRunsAndLfsrDoesNot() throws {
        func adjacentShare(_ args: String) throws -> Double {
            var p = try planner("--rw=randread --bs=4k --size=\(65_536 * 4096) " + args)
            let ios = drain(&p)
            #expect(ios.count == 65_536)
            #expect(Set(ios.map(\.offset)).count == 65_536) // every block once either way
            // I/Os that start where one of the 32 before them ended (a queue's worth).
            var adjacent = 0
            for i in 1..<ios.count where ios[max(0, i - 32)..<i].contains(where: { $0.offset + 4096 == ios[i].offset }) { adjacent += 1 }
            return Double(adjacent) / Double(ios.count)
        }
        let fioLike = try adjacentShare("")
        let lfsr = try adjacentShare("--random_generator=lfsr")
        #expect(fioLike > 0.005) // ~1.3 % at this size
        #expect(lfsr < 0.002)
    }

    @Test func lfsrIgnoresNorandommapAsFioDoes() throws {
        var p = try planner("--rw=randread --bs=4k --size=1m --norandommap --random_generator=lfsr")
        let ios = drain(&p)
        #expect(ios.count == 256 && Set(ios.map(\.offset)).count == 256)
    }

    @Test func unknownGeneratorNamesTheOption() {
        do {
            _ = try job("--rw=randread --random_generator=mt19937")
            Issue.record("mt19937 was accepted")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2 && e.description.contains("random_generator") && e.description.contains("lfsr"), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
