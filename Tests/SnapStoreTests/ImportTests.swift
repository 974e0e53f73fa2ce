import Glibc
import Testing
import BlockLabCore
@testable import SnapStore
import SnapStoreHarness

/// `volume import` is atomic: the volume exists only once complete.
@Suite struct ImportTests {
    /// Counts write-type calls and SIGKILLs the process at call `killAt` (never if 0).
    final class Killer: @unchecked Sendable {
        let killAt: Int
        var calls = 0
        init(killAt: Int) { self.killAt = killAt }
        func tick() { calls += 1; if calls == killAt { kill(getpid(), SIGKILL) } }
        var io: PoolIO {
            PoolIO(pwrite: { [self] fd, buf, n, off in tick(); return Glibc.pwrite(fd, buf, n, off) },
                   fdatasync: { [self] fd in tick(); return Glibc.fdatasync(fd) },
                   ftruncate: { fd, len in Glibc.ftruncate(fd, len) })
        }
    }

    let image: [UInt8] = {
        var rng = Rng(s: 9)
        var b = rng.bytes(1 << 20)
        for i in 0..<(64 * 1024) { b[i] = 0 }
        return b
    }()

    func freshPool(_ dir: String) throws {
        try Pool.create(path: "\(dir)/pool", chunkSize: 16 * 1024)
        let p = try Pool(path: "\(dir)/pool")
        try p.createVolume(name: "keep", size: 1 << 20)
        try p.openVolume("keep").write(offset: 0, bytes: [1, 2, 3])
        try p.close()
    }

    /// Kills an importing child process at every write call of the import in turn: the pool
    /// always checks OK, holds either no volume or the whole image, and a retry under the
    /// same name succeeds. (Before, a kill after the first frame left an empty volume.)
    @Test func importKilledAtEveryWriteLeavesNoPartialVolume() throws {
        let dir = fastTempDir()
        defer { cleanup(dir) }
        writeFile("\(dir)/image", image)
        try freshPool(dir)
        let counter = Killer(killAt: 0)
        let p = try Pool(path: "\(dir)/pool", io: counter.io)
        try p.importImage(from: "\(dir)/image", to: "big")
        try p.close()
        let total = counter.calls
        #expect(total > 50)
        var absent = 0, whole = 0
        for n in 1...total {
            cleanup("\(dir)/pool")
            try freshPool(dir)
            let pid = fork()
            if pid == 0 {
                CrashTest.closeInheritedDescriptors(keep: -1)
                let k = Killer(killAt: n)
                guard let pool = try? Pool(path: "\(dir)/pool", io: k.io) else { _exit(10) }
                do { try pool.importImage(from: "\(dir)/image", to: "big") } catch { _exit(11) }
                _exit(12) // the kill should have come first
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            #expect(status & 0x7f == SIGKILL, "call \(n): child status \(status)")
            let r = try Pool.check(path: "\(dir)/pool")
            #expect(r.ok, "call \(n): \(r.errors)")
            let pool = try Pool(path: "\(dir)/pool")
            if pool.hasVolume("big") {
                whole += 1
                #expect(try { try readAll(pool, "big") == image }(), "call \(n): partial import")
            } else {
                absent += 1
                try pool.importImage(from: "\(dir)/image", to: "big")
                #expect(try { try readAll(pool, "big") == image }())
            }
            #expect(try pool.openVolume("keep").read(offset: 0, count: 3) == [1, 2, 3])
            try pool.close()
            let after = try Pool.check(path: "\(dir)/pool")
            #expect(after.ok && after.warnings.isEmpty, "call \(n): \(after.warnings)")
        }
        // Killed before its frame was written: gone; after (superblock writes): complete.
        #expect(absent >= total - 4 && whole >= 1, "absent \(absent) whole \(whole) of \(total)")
    }

    @Test func importedNameIsReservedOnlyWhileImporting() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        writeFile("\(dir)/image", image)
        writeFile("\(dir)/odd", [1, 2, 3])
        #expect(throws: BlockLabError.self) { try pool.importImage(from: "\(dir)/odd", to: "x") }
        #expect(!pool.hasVolume("x"))
        try pool.importImage(from: "\(dir)/image", to: "x")
        #expect(throws: BlockLabError.self) { try pool.importImage(from: "\(dir)/image", to: "x") }
        #expect(pool.volumes().map(\.name) == ["x"])
        #expect(pool.volumes()[0].mappedBytes == UInt64(image.count - 64 * 1024))
    }
}
