import Testing
import BlockLabCore
@testable import SnapStore

@Suite struct RestoreTests {
    func setup() throws -> (String, Pool, FakeClock, [UInt8]) {
        let clock = FakeClock(1_000)
        let (dir, pool) = try makePool(chunkSize: 64 * 1024, clock: clock)
        try pool.createVolume(name: "v", size: 4 << 20)
        var rng = Rng(s: 3)
        let io = try pool.openVolume("v")
        for i in 0..<16 { try io.write(offset: UInt64(i) * 131_072, bytes: rng.bytes(1000)) } // 16 chunks
        try pool.createSnapshot(volume: "v", name: "s")
        let want = try readAll(pool, "s")
        try io.write(offset: 0, bytes: rng.bytes(5000))
        return (dir, pool, clock, want)
    }

    @Test func restoredVolumeReadsLikeSnapshotAndFetchesLazily() throws {
        let (dir, pool, clock, want) = try setup()
        defer { cleanup(dir) }
        try pool.restore(snapshot: "s", to: "r", rateBytesPerSec: 64 * 1024 * 4) // 4 chunks/s
        let io = try pool.openVolume("r")
        let first = io.mapReadChunk(offset: 131_072 * 15, length: 4096)
        #expect(first.kind == .fetch && first.penaltyNs > 0)
        #expect(io.mapReadChunk(offset: 131_072 * 15, length: 4096).kind == .data) // loaded now
        #expect(io.mapReadChunk(offset: 65_536, length: 4096).kind == .zero)     // never written
        #expect(io.unloadedChunks == 15)
        clock.advance(by: 2 * NS.perSecond) // background loader: 8 chunks in logical order
        #expect(io.unloadedChunks == 7)
        #expect(io.mapReadChunk(offset: 0, length: 4096).kind == .data)
        #expect(try io.read(offset: 0, count: want.count) == want)
        // Writes to the restored volume leave the snapshot alone.
        try io.write(offset: 10, bytes: [1, 2, 3])
        #expect(try readAll(pool, "s") == want)
        // Loaded state persists.
        try pool.close()
        let again = try Pool(path: "\(dir)/pool", clock: clock)
        let io2 = try again.openVolume("r")
        #expect(io2.unloadedChunks == 0)
        #expect(again.volumes().first { $0.name == "r" }!.fullyLoaded)
    }

    @Test func fastRestoreAndInitialize() throws {
        let (dir, pool, _, want) = try setup()
        defer { cleanup(dir) }
        try pool.restore(snapshot: "s", to: "fast", fastRestore: true)
        let f = try pool.openVolume("fast")
        #expect(f.mapReadChunk(offset: 0, length: 4096).kind == .data)
        #expect(try readAll(pool, "fast") == want)
        try pool.restore(snapshot: "s", to: "slow")
        let (chunks, penalty) = try pool.initializeVolume("slow")
        #expect(chunks == 16 && penalty > 0)
        #expect(try pool.openVolume("slow").mapReadChunk(offset: 131_072, length: 1).kind == .data)
        #expect(try readAll(pool, "slow") == want)
    }

    @Test func deletingTheOriginKeepsRestoredVolumes() throws {
        let (dir, pool, _, want) = try setup()
        defer { cleanup(dir) }
        let vWant = try readAll(pool, "v")
        try pool.restore(snapshot: "s", to: "r")
        try pool.deleteSnapshot(name: "s")
        #expect(!pool.snapshots().contains { $0.name == "s" })
        #expect(try readAll(pool, "r") == want)
        try pool.deleteVolume(name: "v")
        #expect(try readAll(pool, "r") == want)
        try pool.createSnapshot(volume: "r", name: "rs")
        try pool.openVolume("r").write(offset: 0, bytes: [7])
        try pool.deleteVolume(name: "r")
        #expect(try readAll(pool, "rs") == want)
        _ = vWant
        try pool.deleteSnapshot(name: "rs")
        // Everything is gone; every chunk was freed.
        #expect(pool.state.referenceCounts().isEmpty)
        #expect(pool.state.lineages.isEmpty)
        try pool.close()
        #expect(try Pool.check(path: "\(dir)/pool").ok)
    }
}
