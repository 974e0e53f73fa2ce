#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore
import SnapStore

/// Benchmark hooks for `make bench`. Each returns printable lines; a line containing
/// "FAIL" means a target (pool volume at least 80 % of a plain file, ...) was missed.
public enum SnapStoreBench {
    static func tempDir(_ base: String) -> String {
        var t = Array("\(base)/blocklab-bench-XXXXXX".utf8CString)
        return t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    static func median(_ xs: [UInt64]) -> UInt64 { xs.sorted()[xs.count / 2] }

    /// Snapshot creation time of a 1 GiB vs a 1 TiB thin volume holding the same data:
    /// the ratio must be within 2x (creation cost must not grow with volume size).
    public static func snapshotCreation(in base: String = "/tmp", rounds: Int = 25) throws -> [String] {
        let dir = tempDir(base)
        defer { _ = system("rm -rf '\(dir)'") }
        try Pool.create(path: "\(dir)/pool")
        let pool = try Pool(path: "\(dir)/pool")
        defer { try? pool.close() }
        var results: [(String, UInt64)] = []
        var seedData = [UInt8](repeating: 0xA5, count: 4096)
        for (name, size) in [("gib", Units.GiB), ("tib", Units.TiB)] {
            try pool.createVolume(name: name, size: size)
            let io = try pool.openVolume(name)
            for i in 0..<512 { try io.write(offset: UInt64(i) * (size / 512), bytes: seedData) } // some data spread out
            try io.commit()
            var times: [UInt64] = []
            for r in 0..<rounds {
                seedData[0] = UInt8(truncatingIfNeeded: r)
                try io.write(offset: UInt64(r) * (size / UInt64(rounds)), bytes: seedData)
                try io.commit() // the write's own commit is not part of the snapshot's cost
                let t0 = SystemClock.shared.now()
                try pool.createSnapshot(volume: name)
                times.append(SystemClock.shared.now() - t0)
            }
            results.append((name, median(times)))
        }
        let ratio = Double(results[1].1) / Double(max(results[0].1, 1))
        return [
            "snapstore snapshot create, 1GiB thin volume: median \(Units.formatDuration(results[0].1)) (\(rounds) rounds)",
            "snapstore snapshot create, 1TiB thin volume: median \(Units.formatDuration(results[1].1)) (\(rounds) rounds)",
            "snapstore snapshot create ratio 1TiB/1GiB: \(Units.formatDecimal(ratio, places: 2)) (target <= 2.00) \(ratio <= 2 ? "PASS" : "FAIL")",
        ]
    }

    /// Diff of two snapshots of a 100 GiB volume with 1 % of its chunks changed: < 1 s.
    public static func diffLarge(in base: String = "/tmp") throws -> [String] {
        let dir = tempDir(base)
        defer { _ = system("rm -rf '\(dir)'") }
        try Pool.create(path: "\(dir)/pool")
        let pool = try Pool(path: "\(dir)/pool")
        defer { try? pool.close() }
        let size = 100 * Units.GiB
        try pool.createVolume(name: "v", size: size)
        let io = try pool.openVolume("v")
        let chunks = size / UInt64(pool.chunkSize)
        let changed = Int(chunks / 100)
        let block = [UInt8](repeating: 0x5A, count: 4096)
        var x: UInt64 = 0x1234_5678
        func nextChunk() -> UInt64 { x = x &* 6364136223846793005 &+ 1442695040888963407; return (x >> 11) % chunks }
        for _ in 0..<changed { try io.write(offset: nextChunk() * UInt64(pool.chunkSize), bytes: block) }
        try pool.createSnapshot(volume: "v", name: "a")
        for _ in 0..<changed { try io.write(offset: nextChunk() * UInt64(pool.chunkSize), bytes: block) }
        try pool.createSnapshot(volume: "v", name: "b")
        let t0 = SystemClock.shared.now()
        let blocks = try pool.diff("a", "b")
        let ns = SystemClock.shared.now() - t0
        return ["snapstore diff 100GiB volume, 1% of chunks changed (\(changed) chunks, \(blocks.count) blocks): \(Units.formatDuration(ns)) (target < 1s) \(ns < NS.perSecond ? "PASS" : "FAIL")"]
    }

    /// 4 KiB random writes: a pool volume (chunks already allocated, group commit every
    /// `batch` writes) against a plain preallocated file with fdatasync every `batch` writes.
    public static func writeIOPS(in base: String = "/tmp", sizeMiB: Int = 256, writes: Int = 40_000, batch: Int = 256) throws -> [String] {
        let dir = tempDir(base)
        defer { _ = system("rm -rf '\(dir)'") }
        let size = UInt64(sizeMiB) * Units.MiB
        var buf = [UInt8](repeating: 0x3C, count: 4096)
        var x: UInt64 = 99
        func nextOffset() -> UInt64 { x = x &* 6364136223846793005 &+ 1442695040888963407; return ((x >> 11) % (size / 4096)) * 4096 }
        // Plain file.
        let fd = open("\(dir)/plain", O_RDWR | O_CREAT, 0o644)
        guard fd >= 0, ftruncate(fd, off_t(size)) == 0 else { throw SystemError("open", errno: errno, path: "\(dir)/plain") }
        let big = [UInt8](repeating: 1, count: 1 << 20)
        for i in 0..<(sizeMiB) { _ = big.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, off_t(i) << 20) } }
        _ = fdatasync(fd)
        var t0 = SystemClock.shared.now()
        for i in 0..<writes {
            _ = buf.withUnsafeBytes { pwrite(fd, $0.baseAddress!, 4096, off_t(nextOffset())) }
            if i % batch == batch - 1 { _ = fdatasync(fd) }
        }
        _ = fdatasync(fd)
        let plainNs = SystemClock.shared.now() - t0
        close(fd)
        // Pool volume.
        try Pool.create(path: "\(dir)/pool")
        let pool = try Pool(path: "\(dir)/pool")
        defer { try? pool.close() }
        try pool.createVolume(name: "v", size: size)
        let io = try pool.openVolume("v")
        for i in 0..<sizeMiB { try io.write(offset: UInt64(i) << 20, bytes: big) }
        try io.commit()
        t0 = SystemClock.shared.now()
        try buf.withUnsafeMutableBytes { b in
            for i in 0..<writes {
                try io.write(offset: nextOffset(), from: UnsafeRawBufferPointer(b))
                if i % batch == batch - 1 { try io.commit() }
            }
        }
        try io.commit()
        let poolNs = SystemClock.shared.now() - t0
        // After a snapshot: first writes copy (COW), later ones go in place.
        try pool.createSnapshot(volume: "v")
        t0 = SystemClock.shared.now()
        for i in 0..<writes {
            buf[0] = UInt8(truncatingIfNeeded: i)
            try io.write(offset: nextOffset(), bytes: buf)
            if i % batch == batch - 1 { try io.commit() }
        }
        try io.commit()
        let cowNs = SystemClock.shared.now() - t0
        func iops(_ ns: UInt64) -> Double { Double(writes) / (Double(ns) / 1e9) }
        let ratio = iops(poolNs) / iops(plainNs)
        return [
            "snapstore 4KiB random write, plain file: \(Int(iops(plainNs))) IOPS (fdatasync every \(batch))",
            "snapstore 4KiB random write, pool volume (allocated): \(Int(iops(poolNs))) IOPS = \(Units.formatDecimal(ratio * 100, places: 1))% of plain (target >= 80%) \(ratio >= 0.8 ? "PASS" : "FAIL")",
            "snapstore 4KiB random write, pool volume after snapshot (COW then in place): \(Int(iops(cowNs))) IOPS",
        ]
    }

    /// The engine's hot path: mapping a 4 KiB read and write in chunks the volume owns.
    public static func mappingLookup(in base: String = "/tmp", lookups: Int = 2_000_000) throws -> [String] {
        let dir = tempDir(base)
        defer { _ = system("rm -rf '\(dir)'") }
        try Pool.create(path: "\(dir)/pool")
        let pool = try Pool(path: "\(dir)/pool")
        defer { try? pool.close() }
        let size = 64 * Units.MiB
        try pool.createVolume(name: "v", size: size)
        let io = try pool.openVolume("v")
        let mib = [UInt8](repeating: 1, count: 1 << 20)
        for i in 0..<64 { try io.write(offset: UInt64(i) << 20, bytes: mib) }
        try io.commit()
        var x: UInt64 = 7, sink: UInt64 = 0
        var t0 = SystemClock.shared.now()
        for _ in 0..<lookups {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            sink &+= io.mapReadChunk(offset: ((x >> 11) % (size / 4096)) * 4096, length: 4096).physicalOffset
        }
        let readNs = SystemClock.shared.now() - t0
        t0 = SystemClock.shared.now()
        for _ in 0..<lookups {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            sink &+= try io.prepareWriteChunk(offset: ((x >> 11) % (size / 4096)) * 4096, length: 4096).physicalOffset
        }
        let writeNs = SystemClock.shared.now() - t0
        return [
            "snapstore mapReadChunk (owned chunk): \(Units.formatDecimal(Double(readNs) / Double(lookups), places: 1))ns per lookup",
            "snapstore prepareWriteChunk (owned chunk, in place): \(Units.formatDecimal(Double(writeNs) / Double(lookups), places: 1))ns per lookup\(sink == 42 ? " " : "")",
        ]
    }

    public static func all(in base: String = "/tmp") -> [String] {
        var out: [String] = []
        for f in [{ try snapshotCreation(in: base) }, { try diffLarge(in: base) }, { try writeIOPS(in: base) }, { try mappingLookup(in: base) }] as [() throws -> [String]] {
            do { out += try f() } catch { out.append("snapstore bench FAIL: \(error)") }
        }
        return out
    }
}
