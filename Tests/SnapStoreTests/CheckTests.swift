import Glibc
import Testing
import BlockLabCore
@testable import SnapStore
import SnapStoreHarness

@Suite struct CheckTests {
    func populated() throws -> String {
        let (dir, pool) = try makePool()
        try pool.createVolume(name: "v", size: 1 << 20)
        let io = try pool.openVolume("v")
        for i in 0..<6 {
            try io.write(offset: UInt64(i * 70_000), bytes: [UInt8](repeating: UInt8(i + 1), count: 20_000))
            try pool.createSnapshot(volume: "v", name: "s\(i)")
        }
        try pool.deleteSnapshot(name: "s2")
        try pool.close()
        return dir
    }

    func journal(_ dir: String) -> String { "\(dir)/pool/journal" }

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
        let fd = open(path, O_WRONLY | O_TRUNC)
        _ = b.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        close(fd)
    }

    @Test func cleanPoolPasses() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        let r = try Pool.check(path: "\(dir)/pool")
        #expect(r.ok && r.warnings.isEmpty, "\(r.errors) \(r.warnings)")
        #expect(r.snapshots == 5 && r.volumes == 1)
    }

    @Test func flippedMetadataBytesAreDetected() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        let original = readFile(journal(dir))
        #expect(JournalScan.scan(original).frames.count > 5)
        var rng = Rng(s: 11)
        // Flip bytes anywhere in the frames, the last acknowledged frame included: the
        // superblock's committed length tells damage from a torn, never-acknowledged write.
        for round in 0..<25 {
            var bytes = original
            let i = round == 0 ? original.count - 1 : Superblock.areaSize + rng.below(original.count - Superblock.areaSize)
            bytes[i] ^= UInt8(1 << rng.below(8))
            writeFile(journal(dir), bytes)
            let report = try Pool.check(path: "\(dir)/pool")
            #expect(!report.ok, "flip at \(i) not detected")
            #expect(throws: BlockLabError.self) { _ = try Pool(path: "\(dir)/pool") }
            #expect(readFile(journal(dir)) == bytes, "a failed open changed the journal")
        }
        writeFile(journal(dir), original)
        #expect(try Pool.check(path: "\(dir)/pool").ok)
    }

    @Test func tornTailIsDroppedAndLeaksAreReclaimed() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        // Simulate a crash: data written to unreferenced chunks, half a frame appended.
        let pool = try Pool(path: "\(dir)/pool")
        let io = try pool.openVolume("v")
        try io.write(offset: 900_000, bytes: [UInt8](repeating: 0xEE, count: 50_000)) // new chunks, never committed
        let want = try readAll(pool, "s5")
        var frame = Frame.encode([.snapshot(lineage: 1, id: 99, name: "ghost", createdMs: 0)])
        frame.removeLast(3)
        let fd = open(journal(dir), O_WRONLY | O_APPEND)
        _ = frame.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        // Drop the pool without committing (as a SIGKILL would).
        let dataFD = pool.dataFD
        fsync(dataFD)
        pool.closedWithoutCommitForTesting()
        let report = try Pool.check(path: "\(dir)/pool")
        #expect(report.ok, "\(report.errors)")
        #expect(report.warnings.count == 2, "\(report.warnings)") // torn frame + leaked chunks
        let repaired = try Pool.check(path: "\(dir)/pool", repair: true)
        #expect(repaired.ok && repaired.repairs.count == 3, "\(repaired.repairs)") // torn frame, leaks, checksums recorded
        let after = try Pool.check(path: "\(dir)/pool")
        #expect(after.ok && after.warnings.isEmpty, "\(after.warnings)")
        let again = try Pool(path: "\(dir)/pool")
        #expect(!again.hasSnapshot("ghost"))
        #expect(try readAll(again, "s5") == want)
        #expect(try again.openVolume("v").read(offset: 900_000, count: 4) == [0, 0, 0, 0])
    }

    @Test func corruptedSnapshotDataIsDetected() throws {
        let dir = try populated()
        defer { cleanup(dir) }
        let sealed = try Pool.check(path: "\(dir)/pool", repair: true)
        #expect(sealed.ok && sealed.repairs.contains { $0.contains("checksums") }, "\(sealed.repairs)")
        let clean = try Pool.check(path: "\(dir)/pool")
        #expect(clean.ok && clean.checksumsVerified > 0)
        // Deleting the newest snapshot hands its chunks back to the volume: writing them in
        // place must not look like corruption.
        let pool = try Pool(path: "\(dir)/pool")
        try pool.deleteSnapshot(name: "s5")
        try pool.openVolume("v").write(offset: UInt64(5 * 70_000), bytes: [1, 2, 3])
        try pool.close()
        #expect(try Pool.check(path: "\(dir)/pool").ok)
        // Flip one byte of a snapshot's chunk in the data file.
        let p = try Pool(path: "\(dir)/pool", readOnly: true)
        let victim = p.state.snapshots.values.first { $0.name == "s1" }!.delta.values.first!
        let cs = p.chunkSize
        try p.close()
        let fd = open("\(dir)/pool/data", O_RDWR)
        var b: UInt8 = 0
        pread(fd, &b, 1, off_t(victim) * off_t(cs) + 100)
        b ^= 0x10
        pwrite(fd, &b, 1, off_t(victim) * off_t(cs) + 100)
        close(fd)
        let bad = try Pool.check(path: "\(dir)/pool")
        #expect(!bad.ok && bad.errors.contains { $0.contains("data corruption") && $0.contains("s1") }, "\(bad.errors)")
    }

    @Test func shortCrashTest() throws {
        let dir = fastTempDir()
        defer { cleanup(dir) }
        let report = try CrashTest.run(path: "\(dir)/pool", kills: 20, seed: 7, maxDelayMs: 100, spawn: CrashTest.forkSpawner)
        #expect(report.kills == 20)
        #expect(report.snapshotsVerified > 0)
        #expect(report.snapshotsReported > 0)
        #expect(report.importsVerified > 0 && report.volumeDeletesReported > 0, "\(report)")
        do {
            _ = try CrashTest.run(path: "\(dir)/pool2", kills: 0, seed: 7, spawn: CrashTest.forkSpawner)
            Issue.record("--kills 0 ran")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2 && e.description.contains("--kills"))
        }
    }
}

@Suite struct FullDiskTests {
    /// A file-size limit stands in for a full disk: an import that cannot finish fails with
    /// a usage error and leaves no volume behind; the pool stays consistent.
    @Test func importIntoFullDiskLeavesNothingHalfWritten() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "keep", size: 1 << 20)
        try pool.openVolume("keep").write(offset: 0, bytes: [1, 2, 3])
        try pool.close()
        var rng = Rng(s: 4)
        let image = rng.bytes(4 << 20)
        let fd = open("\(dir)/img", O_WRONLY | O_CREAT, 0o644)
        _ = image.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        let pid = fork()
        if pid == 0 {
            // Child: limit file sizes to 2 MiB, then try the import.
            CrashTest.closeInheritedDescriptors(keep: -1)
            signal(SIGXFSZ, SIG_IGN)
            var lim = rlimit(rlim_cur: 2 << 20, rlim_max: 2 << 20)
            setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &lim)
            guard let p = try? Pool(path: "\(dir)/pool") else { _exit(10) }
            do {
                try p.importImage(from: "\(dir)/img", to: "big")
                _exit(11) // should have failed
            } catch let e as BlockLabError {
                guard case .usage(let m) = e, m.contains("disk full") else { _exit(12) }
            } catch { _exit(13) }
            _exit(p.hasVolume("big") ? 14 : 0)
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect((status >> 8) & 0xff == 0 && status & 0x7f == 0, "child status \(status)")
        let report = try Pool.check(path: "\(dir)/pool")
        #expect(report.ok, "\(report.errors)")
        let again = try Pool(path: "\(dir)/pool")
        #expect(!again.hasVolume("big"))
        #expect(try again.openVolume("keep").read(offset: 0, count: 3) == [1, 2, 3])
    }
}
