import BlockLabCore
import JobSpec
import Testing
@testable import Workload

/// Trim modes' order of I/Os, pinned to fio 3.33's own (`--write_iolog` of the same job on a
/// loop device).
@Suite struct TrimPlacementTests {
    func ops(_ ios: [PlannedIO]) -> [String] {
        ios.map { "\($0.direction.name) \($0.offset)" }
    }

    @Test func sequentialTrimCoversTheRegionOnce() throws {
        var p = try planner("--rw=trim --size=64k --bs=16k")
        let ios = drain(&p)
        #expect(ops(ios) == ["trim 0", "trim 16384", "trim 32768", "trim 49152"])
        #expect(p.plannedIOCount == 4 && p.plannedBytes == 65536 && p.plannedIsExact)
    }

    @Test func randomTrimTouchesEveryBlockOnce() throws {
        var p = try planner("--rw=randtrim --size=1m --bs=4k")
        let ios = drain(&p)
        #expect(ios.count == 256 && ios.allSatisfy { $0.direction == .trim && $0.length == 4096 })
        #expect(Set(ios.map(\.offset)).count == 256)
    }

    @Test func trimwriteWithLargerTrimsFollowsFiosRule() throws {
        // fio: trim 0, write 0, trim 16k, writes up to 16k, trim 32k, ...; the pass ends at
        // the trim that no longer fits (4 trims, 13 writes).
        var p = try planner("--rw=trimwrite --size=64k --bs=4k,4k,16k")
        let ios = drain(&p)
        #expect(ops(ios) == ["trim 0", "write 0", "trim 16384", "write 4096", "write 8192", "write 12288", "write 16384",
                             "trim 32768", "write 20480", "write 24576", "write 28672", "write 32768",
                             "trim 49152", "write 36864", "write 40960", "write 45056", "write 49152"])
    }

    @Test func trimwriteOfEqualSizesAlternatesAndCountsTwice() throws {
        var p = try planner("--rw=trimwrite --size=64k --bs=16k")
        #expect(p.plannedIOCount == 8 && p.plannedBytes == 131072)
        let ios = drain(&p)
        #expect(ops(ios) == ["trim 0", "write 0", "trim 16384", "write 16384", "trim 32768", "write 32768", "trim 49152", "write 49152"])
        // number_ios counts trims and writes (fio doubles it for trimwrite).
        var q = try planner("--rw=trimwrite --size=64k --bs=16k --number_ios=2")
        #expect(drain(&q).count == 4)
    }

    @Test func randtrimwriteWritesEachTrimmedBlockRightAfterIt() throws {
        // fio: trim 0, write 0, trim 45056, write 45056, ... 16 of each over 64 KiB.
        var p = try planner("--rw=randtrimwrite --size=64k --bs=4k")
        let ios = drain(&p)
        #expect(ios.count == 32)
        for pair in stride(from: 0, to: ios.count, by: 2) {
            #expect(ios[pair].direction == .trim && ios[pair + 1].direction == .write)
            #expect(ios[pair].offset == ios[pair + 1].offset && ios[pair].length == ios[pair + 1].length)
        }
        #expect(Set(ios.filter { $0.direction == .trim }.map(\.offset)).count == 16)
    }

    @Test func trimwriteWithSplitSizesGivesTheNthTrimAndWriteOneSize() throws {
        // fio seeds the trim sizes' generator as the writes', so each write covers its trim.
        var p = try planner("--rw=trimwrite --size=1m --bssplit=4k/50:16k/50")
        let ios = drain(&p)
        let trims = ios.filter { $0.direction == .trim }, writes = ios.filter { $0.direction == .write }
        #expect(trims.count > 10)
        #expect(zip(trims, writes).allSatisfy { $0.offset == $1.offset && $0.length == $1.length })
    }
}
