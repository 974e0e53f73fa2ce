import BlockLabCore
import Foundation
import Glibc
import Metrics

/// fio's disk_util: the block devices under a run's targets, their counters from
/// /sys/block/NAME/stat read before and after the run.
enum DiskStats {
    /// /sys/block/NAME/stat's fields: reads, read merges, sectors read, read ticks (ms),
    /// writes, write merges, sectors written, write ticks, in flight, io ticks, time in queue.
    static func read(_ disk: String) -> [UInt64]? {
        guard let text = try? String(contentsOfFile: "/sys/block/\(disk)/stat", encoding: .utf8) else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).compactMap { UInt64($0) }
        return fields.count >= 11 ? fields : nil
    }

    /// The whole disk holding `path` (the device itself for a block device).
    static func disk(of path: String, isBlockDevice: Bool) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let (major, minor) = deviceMajorMinor(isBlockDevice ? st.st_rdev : st.st_dev)
        return CompletionCPU.diskName(major: major, minor: minor)
    }

    /// One disk's figures between two readings `ms` apart, as fio's JSON has them.
    static func util(name: String, before b: [UInt64], after a: [UInt64], ms: UInt64) -> DiskUtil {
        func d(_ i: Int) -> UInt64 { a[i] >= b[i] ? a[i] - b[i] : 0 }
        var u = DiskUtil(name: name)
        u.readIOs = d(0); u.readMerges = d(1); u.readTicks = d(3)
        u.writeIOs = d(4); u.writeMerges = d(5); u.writeTicks = d(7)
        u.inQueue = d(10)
        u.util = ms == 0 ? 0 : Swift.min(100, Double(d(9)) * 100 / Double(ms))
        return u
    }

    /// Readings taken when made and when finished.
    struct Watch {
        let clock: MonotonicClock
        let startNs: UInt64
        let before: [(String, [UInt64])]

        init(paths: [(String, Bool)], clock: MonotonicClock) {
            self.clock = clock
            var seen: Set<String> = []
            var list: [(String, [UInt64])] = []
            for (path, isDevice) in paths {
                guard let disk = DiskStats.disk(of: path, isBlockDevice: isDevice), seen.insert(disk).inserted,
                      let stat = DiskStats.read(disk) else { continue }
                list.append((disk, stat))
            }
            before = list
            startNs = clock.now()
        }

        /// nil when no target sits on a block device sysfs knows (fio then has no entry).
        func finish() -> [DiskUtil]? {
            let ms = (clock.now() - startNs) / NS.perMillisecond
            let out = before.compactMap { name, b in DiskStats.read(name).map { DiskStats.util(name: name, before: b, after: $0, ms: ms) } }
            return out.isEmpty ? nil : out
        }
    }
}
