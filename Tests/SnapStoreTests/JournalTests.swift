import Foundation
import Glibc
import Testing
import BlockLabCore
@testable import SnapStore
import SnapStoreHarness

func readFile(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    var st = stat()
    fstat(fd, &st)
    var b = [UInt8](repeating: 0, count: Int(st.st_size))
    _ = b.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
    return b
}

func writeFile(_ path: String, _ b: [UInt8]) {
    let fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0o644)
    _ = b.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
    close(fd)
}

/// The commit record: torn vs damaged, cut journals, old-format journals.
@Suite struct JournalTests {
    /// A pool with a volume, snapshots and recorded checksums; returns its directory.
    func populated() throws -> String {
        let (dir, pool) = try makePool()
        try pool.createVolume(name: "v", size: 1 << 20)
        let io = try pool.openVolume("v")
        for i in 0..<4 {
            try io.write(offset: UInt64(i * 70_000), bytes: [UInt8](repeating: UInt8(i + 1), count: 20_000))
            try pool.createSnapshot(volume: "v", name: "s\(i)")
        }
        // The last frame is the checksums record: losing it silently is what must not happen.
        #expect(try pool.sealChecksums() > 0)
        try pool.close()
        return dir
    }

    func journal(_ dir: String) -> String { "\(dir)/pool/journal" }

    func frameOffsets(_ bytes: [UInt8]) -> [Int] {
        var out: [Int] = []
        var pos = Superblock.areaSize
        while pos + Frame.headerSize <= bytes.count {
            out.append(pos)
            var r = ByteReader(bytes, from: pos + 4, to: pos + 8)
            pos += Frame.headerSize + Int(try! r.u32())
        }
        return out
    }

    func isDamage(_ dir: String, _ fragment: String) throws -> Bool {
        let r = try Pool.check(path: "\(dir)/pool")
        let opens: Bool
        do { _ = try Pool(path: "\(dir)/pool"); opens = true } catch { opens = false }
        return !r.ok && !opens && r.errors.contains { $0.contains(fragment) }
    }

    @Test func freshPoolJournalHasSuperblock() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.close()
        let bytes = readFile(journal(dir))
        let scan = JournalScan.scan(bytes)
        #expect(!scan.legacy && scan.corruption == nil && scan.tornTail == nil && scan.badSlots.isEmpty)
        #expect(scan.superblock?.committedLength == UInt64(bytes.count) && scan.superblock?.frames == 1)
        #expect(try Pool.check(path: "\(dir)/pool").ok)
    }

    @Test func everyCommitRecordsItsLength() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 1 << 20)
        for i in 0..<3 {
            try pool.createSnapshot(volume: "v", name: "s\(i)")
            let bytes = readFile(journal(dir))
            let sb = JournalScan.scan(bytes).superblock
            #expect(sb?.committedLength == UInt64(bytes.count) && sb?.frames == UInt64(3 + i))
        }
    }

    @Test func journalCutToItsHeaderIsDamage() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        let bytes = readFile(journal(dir))
        let offsets = frameOffsets(bytes)
        // Cut back to the header frame: committed work is gone, not "OK (0 volumes)".
        writeFile(journal(dir), Array(bytes[0..<offsets[1]]))
        #expect(try isDamage(dir, "cut off"))
        // Cut to a frame boundary in the middle, inside the superblock, and to nothing.
        writeFile(journal(dir), Array(bytes[0..<offsets[3]]))
        #expect(try isDamage(dir, "cut off"))
        writeFile(journal(dir), Array(bytes[0..<600]))
        #expect(try isDamage(dir, "cut off"))
        writeFile(journal(dir), [])
        #expect(try isDamage(dir, "superblock"))
        writeFile(journal(dir), bytes)
        #expect(try Pool.check(path: "\(dir)/pool").ok)
    }

    @Test func damagedLastAcknowledgedFrameIsNotDropped() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        let bytes = readFile(journal(dir))
        let last = frameOffsets(bytes).last!
        for (i, at) in [last + 2, last + Frame.headerSize + 5, bytes.count - 1].enumerated() {
            var damaged = bytes
            damaged[at] ^= UInt8(1 << i)
            writeFile(journal(dir), damaged)
            #expect(try isDamage(dir, "acknowledged"), "damage at \(at) of \(bytes.count)")
            let repair = try Pool.check(path: "\(dir)/pool", repair: true)
            #expect(!repair.ok)
            #expect(readFile(journal(dir)) == damaged, "the damaged frame was dropped")
        }
        // Cutting the last frame short is damage too, not a torn write.
        writeFile(journal(dir), Array(bytes[0..<(bytes.count - 7)]))
        #expect(try isDamage(dir, "acknowledged"))
    }

    @Test func tornTailPastTheCommittedLengthIsDropped() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        let bytes = readFile(journal(dir))
        var frame = Frame.encode([.snapshot(lineage: 1, id: 99, name: "ghost", createdMs: 0)])
        frame.removeLast(3)
        writeFile(journal(dir), bytes + frame)
        let r = try Pool.check(path: "\(dir)/pool")
        #expect(r.ok && r.warnings.contains { $0.contains("torn") }, "\(r.errors) \(r.warnings)")
        let pool = try Pool(path: "\(dir)/pool")
        #expect(pool.recovery.contains { $0.contains("torn") })
        #expect(!pool.hasSnapshot("ghost") && pool.hasSnapshot("s3"))
        try pool.close()
        #expect(readFile(journal(dir)) == bytes)
    }

    /// A crash after the frame was durable but before the superblock recorded it: the frame
    /// is committed (never acknowledged, but whole), so it is replayed and then recorded.
    @Test func wholeFramePastTheCommittedLengthIsKept() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        let bytes = readFile(journal(dir))
        let frame = Frame.encode([.snapshot(lineage: 1, id: 99, name: "late", createdMs: 0)])
        writeFile(journal(dir), bytes + frame)
        #expect(try Pool.check(path: "\(dir)/pool").ok)
        let pool = try Pool(path: "\(dir)/pool")
        #expect(pool.hasSnapshot("late"))
        try pool.close()
        let after = readFile(journal(dir))
        #expect(JournalScan.scan(after).superblock?.committedLength == UInt64(after.count))
        // Now it is acknowledged: damaging it is damage.
        var damaged = after
        damaged[after.count - 2] ^= 1
        writeFile(journal(dir), damaged)
        #expect(try isDamage(dir, "acknowledged"))
    }

    @Test func tornSuperblockSlotFallsBackToTheOther() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        let bytes = readFile(journal(dir))
        let sb = JournalScan.scan(bytes).superblock!
        var torn = bytes
        torn[sb.slotOffset + 20] ^= 0xFF
        writeFile(journal(dir), torn)
        let r = try Pool.check(path: "\(dir)/pool")
        #expect(r.ok && r.warnings.contains { $0.contains("slot") }, "\(r.errors) \(r.warnings)")
        let pool = try Pool(path: "\(dir)/pool")
        #expect(pool.hasSnapshot("s3"))
        try pool.close()
        let after = try Pool.check(path: "\(dir)/pool")
        #expect(after.ok && after.warnings.isEmpty, "\(after.warnings)")
        // Both slots damaged: no commit record, so nothing can be trusted.
        var both = bytes
        both[5] ^= 1; both[512 + 5] ^= 1
        writeFile(journal(dir), both)
        #expect(try isDamage(dir, "superblock"))
    }

    @Test func oldFormatJournalOpensAndIsUpgraded() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        let want = try { () throws -> [UInt8] in
            let p = try Pool(path: "\(dir)/pool", readOnly: true)
            defer { try? p.close() }
            return try readAll(p, "s2")
        }()
        let bytes = readFile(journal(dir))
        var torn = Frame.encode([.deleteSnapshot(id: 1)])
        torn.removeLast(2)
        let old = Array(bytes[Superblock.areaSize...]) + torn
        writeFile(journal(dir), old)
        let r = try Pool.check(path: "\(dir)/pool")
        #expect(r.ok && r.warnings.contains { $0.contains("old format") }, "\(r.errors) \(r.warnings)")
        let ro = try Pool(path: "\(dir)/pool", readOnly: true)
        #expect(try readAll(ro, "s2") == want)
        try ro.close()
        let pool = try Pool(path: "\(dir)/pool")
        #expect(pool.recovery.contains { $0.contains("upgraded") }, "\(pool.recovery)")
        #expect(try readAll(pool, "s2") == want && pool.hasSnapshot("s0"))
        try pool.close()
        let upgraded = readFile(journal(dir))
        #expect(Array(upgraded[Superblock.areaSize...]) == Array(bytes[Superblock.areaSize...]))
        #expect(JournalScan.scan(upgraded).superblock?.committedLength == UInt64(upgraded.count))
        let after = try Pool.check(path: "\(dir)/pool")
        #expect(after.ok && after.warnings.isEmpty)
    }

    @Test func compactionKeepsTheCommitRecord() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 1 << 20)
        for i in 0..<30 { try pool.createSnapshot(volume: "v", name: "s\(i)"); try pool.deleteSnapshot(name: "s\(i)") }
        try pool.createSnapshot(volume: "v", name: "keep")
        let before = pool.journalLength
        #expect(try pool.compact())
        #expect(pool.journalLength < before)
        try pool.createSnapshot(volume: "v", name: "after")
        try pool.close()
        let bytes = readFile(journal(dir))
        #expect(JournalScan.scan(bytes).superblock?.committedLength == UInt64(bytes.count))
        let r = try Pool.check(path: "\(dir)/pool")
        #expect(r.ok && r.snapshots == 2, "\(r.errors)")
    }
}

/// `pool check` and opens on a pool another process or handle holds.
@Suite struct LockTests {
    @Test func checkOnAHeldPoolSaysSoInsteadOfCorrupt() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 1 << 20)
        do {
            _ = try Pool.check(path: "\(dir)/pool")
            Issue.record("check of a held pool returned a report")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2 && e.description.contains("in use by another process"), "\(e)")
        }
        try pool.close()
        // A reader shares the lock with a check, but not with a repair.
        let reader = try Pool(path: "\(dir)/pool", readOnly: true)
        #expect(try Pool.check(path: "\(dir)/pool").ok)
        #expect(throws: BlockLabError.self) { _ = try Pool.check(path: "\(dir)/pool", repair: true) }
        try reader.close()
        #expect(try Pool.check(path: "\(dir)/pool", repair: true).ok)
    }

    @Test func checkWaitsForAnotherProcess() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.close()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let pid = fork()
        if pid == 0 {
            CrashTest.closeInheritedDescriptors(keep: fds[1])
            guard let p = try? Pool(path: "\(dir)/pool") else { _exit(10) }
            try? p.createVolume(name: "w", size: 1 << 20)
            var one: UInt8 = 1
            _ = write(fds[1], &one, 1)
            usleep(300_000)
            try p.close()
            _exit(0)
        }
        close(fds[1])
        var b: UInt8 = 0
        #expect(read(fds[0], &b, 1) == 1)
        close(fds[0])
        let r = try Pool.check(path: "\(dir)/pool", wait: true)
        #expect(r.ok && r.volumes == 1, "\(r.errors)")
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(status == 0)
    }
}

/// The output and target guard (BlockLabCore's PathSafety) recognises pools by the journal's
/// magic numbers without depending on SnapStore: they must stay the journal's own.
@Suite struct PoolRecognitionTests {
    func bytes(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    @Test func theGuardKnowsTheJournalsMagicNumbers() throws {
        #expect(PathSafety.poolJournalMagic == bytes(Frame.magic))
        #expect(PathSafety.poolSuperblockMagic == bytes(Superblock.magic))
        let dir = NSTemporaryDirectory() + "blocklab-recognise-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Pool.create(path: dir)
        #expect(PathSafety.isPoolDirectory(dir))
        #expect(PathSafety.enclosingPool(of: dir + "/data") == dir)
    }
}
