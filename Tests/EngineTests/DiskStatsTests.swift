import BlockLabCore
import Foundation
import Testing
@testable import Engine

/// fio's disk_util from /sys/block/X/stat read before and after a run.
@Suite struct DiskStatsTests {
    @Test func figuresAreTheDifferenceOverTheRun() {
        // reads, read merges, sectors, read ticks, writes, write merges, sectors, write ticks,
        // in flight, io ticks, time in queue
        let before: [UInt64] = [100, 1, 800, 50, 10, 0, 80, 5, 0, 40, 60]
        let after: [UInt64] = [34419, 1, 275_000, 2000, 16, 0, 128, 7, 0, 1187, 2013]
        let u = DiskStats.util(name: "vda", before: before, after: after, ms: 2000)
        #expect(u.readIOs == 34319 && u.writeIOs == 6 && u.readMerges == 0)
        #expect(u.readTicks == 1950 && u.writeTicks == 2 && u.inQueue == 1953)
        #expect(abs(u.util - 57.35) < 0.01)
        // A counter that went backwards (a device reset) counts as nothing, and util stays a percentage.
        let odd = DiskStats.util(name: "x", before: after, after: before, ms: 1)
        #expect(odd.readIOs == 0 && odd.util == 0)
        #expect(DiskStats.util(name: "x", before: before, after: after, ms: 1).util == 100)
    }

    @Test(.enabled(if: DiskStats.disk(of: "/", isBlockDevice: false) != nil, "the root filesystem is on a block device"))
    func aFileOnABlockDeviceHasItsDisk() throws {
        let disk = try #require(DiskStats.disk(of: "/", isBlockDevice: false))
        #expect(DiskStats.read(disk)?.count ?? 0 >= 11)
        let watch = DiskStats.Watch(paths: [("/", false), ("/", false)], clock: SystemClock.shared)
        #expect(watch.finish()?.count == 1, "one entry per disk")
    }

    @Test func tmpfsHasNoDiskSoNoEntry() {
        #expect(DiskStats.disk(of: "/dev/shm", isBlockDevice: false) == nil)
        #expect(DiskStats.Watch(paths: [("/dev/shm", false)], clock: SystemClock.shared).finish() == nil)
    }
}
