import Testing
@testable import Workload

/// fio's `rw=read:-8k` / `rw=write:12k` offsets, pinned against fio 3.33's own
/// (`--write_iops_log --log_offset=1` on a 64 KiB file, bs=4k).
@Suite struct SequentialSkipTests {
    @Test func backwardsReadMatchesFio() throws {
        var p = try planner("--rw=read:-8k --bs=4k --size=64k")
        let blocks = drain(&p).map { $0.offset / 4096 }
        #expect(blocks == [0, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    }

    @Test func holedWriteMatchesFio() throws {
        var p = try planner("--rw=write:12k --bs=4k --size=64k")
        let blocks = drain(&p).map { $0.offset / 4096 }
        #expect(blocks == [0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12])
    }

    @Test func stridedZonesMatchFio() throws {
        // fio 3.33, bs=4k on 64 KiB: zonesize=8k with zoneskip=8k, or with zonerange=16k.
        for zones in ["--zoneskip=8k", "--zonerange=16k"] {
            var p = try planner("--rw=read --bs=4k --size=64k --zonemode=strided --zonesize=8k \(zones)")
            #expect(drain(&p).map { $0.offset / 4096 } == [0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13], "\(zones)")
        }
    }

    @Test func offsetsStayInsideAnOffsetRegion() throws {
        var p = try planner("--rw=read:-8k --bs=4k --size=64k --offset=1m")
        let ios = drain(&p)
        #expect(ios.allSatisfy { $0.offset >= 1 << 20 && $0.offset + UInt64($0.length) <= (1 << 20) + 65536 })
        #expect(totalBytes(ios) == 65536)
    }
}
