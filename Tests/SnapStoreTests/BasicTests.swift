import Testing
import BlockLabCore
@testable import SnapStore

@Suite struct BasicTests {
    @Test func thinVolumeReadsZerosAndTakesNoSpace() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 1 << 20)
        #expect(try readAll(pool, "v") == [UInt8](repeating: 0, count: 1 << 20))
        #expect(pool.volumes().first?.mappedBytes == 0)
        let io = try pool.openVolume("v")
        try io.write(offset: 5000, bytes: [1, 2, 3])
        #expect(try io.read(offset: 4998, count: 7) == [0, 0, 1, 2, 3, 0, 0])
        #expect(pool.volumes().first?.mappedBytes == 16 * 1024)
    }

    @Test func dataSurvivesReopen() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 256 * 1024)
        var rng = Rng(s: 1)
        let data = rng.bytes(100_000)
        try pool.openVolume("v").write(offset: 12_345, bytes: data)
        try pool.createSnapshot(volume: "v", name: "s1")
        try pool.openVolume("v").write(offset: 0, bytes: [9, 9])
        try pool.close()
        let again = try Pool(path: "\(dir)/pool")
        let io = try again.openVolume("v")
        #expect(try io.read(offset: 12_345, count: data.count) == data)
        #expect(try io.read(offset: 0, count: 2) == [9, 9])
        #expect(try readAll(again, "s1")[0..<2] == [0, 0])
        #expect(again.snapshots().map(\.name) == ["s1"])
    }

    @Test func copyOnWriteThenInPlace() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 256 * 1024)
        let io = try pool.openVolume("v")
        let first = try io.prepareWriteChunk(offset: 0, length: 4096)
        #expect(first.copyLength == 0) // a fresh chunk is a hole: nothing to copy
        try io.write(offset: 0, bytes: [UInt8](repeating: 7, count: 4096))
        let inPlace = try io.prepareWriteChunk(offset: 4096, length: 4096)
        #expect(inPlace.copyLength == 0 && inPlace.physicalOffset == first.physicalOffset + 4096)
        try pool.createSnapshot(volume: "v", name: "s")
        let cow = try io.prepareWriteChunk(offset: 8192, length: 4096)
        #expect(cow.copyLength == 16 * 1024)
        #expect(cow.copyFrom == first.physicalOffset)
        #expect(cow.copyTo != cow.copyFrom)
        let after = try io.prepareWriteChunk(offset: 0, length: 4096)
        #expect(after.copyLength == 0 && after.physicalOffset == cow.copyTo)
        // A whole-chunk overwrite of a shared chunk needs no copy.
        try io.write(offset: 16 * 1024, bytes: [1])
        try pool.createSnapshot(volume: "v", name: "s2")
        #expect(try io.prepareWriteChunk(offset: 16 * 1024, length: 16 * 1024).copyLength == 0)
    }

    @Test func mapForReadSegments() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 256 * 1024)
        let io = try pool.openVolume("v")
        try io.write(offset: 16 * 1024, bytes: [1])
        let segs = io.mapForRead(offset: 8 * 1024, length: 16 * 1024)
        #expect(segs.map(\.kind) == [.zero, .data])
        #expect(segs.map(\.length) == [8 * 1024, 8 * 1024])
    }

    @Test func badInputIsUsageError() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        func isUsage(_ body: () throws -> Void) -> Bool {
            do { try body(); return false } catch let e as BlockLabError { if case .usage = e { return true }; return false } catch { return false }
        }
        #expect(isUsage { try Pool.create(path: "\(dir)/p2", chunkSize: 3000) })
        #expect(isUsage { try Pool.create(path: "\(dir)/pool") })
        #expect(isUsage { _ = try Pool(path: dir) }) // not a pool
        #expect(isUsage { _ = try Pool(path: "\(dir)/pool") }) // locked by `pool`
        #expect(isUsage { try pool.createVolume(name: "bad/name", size: 4096) })
        #expect(isUsage { try pool.createVolume(name: "v", size: 1000) })
        try pool.createVolume(name: "v", size: 1 << 20)
        #expect(isUsage { try pool.createVolume(name: "v", size: 4096) })
        #expect(isUsage { try pool.createSnapshot(volume: "nope") })
        #expect(isUsage { try pool.deleteSnapshot(name: "nope") })
        #expect(isUsage { try pool.createSnapshot(volume: "v", name: "v") })
        #expect(isUsage { try pool.restore(snapshot: "nope", to: "x") })
        #expect(isUsage { _ = try pool.openVolume("v").prepareWrite(offset: 1 << 20, length: 1) })
        #expect(isUsage { _ = try pool.prune(volume: "v", keep: nil, maxAgeMs: nil) })
        #expect(isUsage { _ = try PoolAddress.split("noslash", what: "volume") })
        try pool.createSnapshot(volume: "v", name: "s")
        #expect(isUsage { _ = try pool.openSnapshot("s").prepareWrite(offset: 0, length: 1) })
        // Diff across lineages.
        try pool.restore(snapshot: "s", to: "r", fastRestore: true)
        try pool.createSnapshot(volume: "r", name: "rs")
        #expect(isUsage { _ = try pool.diff("s", "rs") })
        #expect(isUsage { _ = try pool.diff("s", "r") })
    }

    @Test func exportImportRoundTrip() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 512 * 1024)
        var rng = Rng(s: 5)
        let io = try pool.openVolume("v")
        try io.write(offset: 70_000, bytes: rng.bytes(50_000))
        try io.write(offset: 400_000, bytes: rng.bytes(3))
        try pool.createSnapshot(volume: "v", name: "s")
        try io.write(offset: 0, bytes: rng.bytes(10))
        let want = try readAll(pool, "v")
        try pool.exportImage("v", to: "\(dir)/img")
        try pool.exportImage("s", to: "\(dir)/img-s")
        try pool.importImage(from: "\(dir)/img", to: "w")
        #expect(try readAll(pool, "w") == want)
        #expect(pool.volumes().first { $0.name == "w" }!.mappedBytes == pool.volumes().first { $0.name == "v" }!.mappedBytes)
        try pool.importImage(from: "\(dir)/img-s", to: "ws")
        #expect(try readAll(pool, "ws") == readAll(pool, "s"))
        do { try pool.importImage(from: "\(dir)/missing", to: "z"); Issue.record("expected an error") } catch {}
        #expect(!pool.hasVolume("z"))
    }
}
