import Testing
import BlockLabCore
@testable import SnapStore

/// Random operation sequences (write, snapshot, delete, restore, delete volume, reopen,
/// journal compaction)
/// against an in-memory model: every volume and snapshot must read back as the model says,
/// and `check` must pass with no leaks at the end.
@Suite struct PropertyTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomOperationsMatchModel(seed: UInt64) throws {
        let size = 256 * 1024, cs = 16 * 1024
        let clock = FakeClock()
        var (dir, pool) = try makePool(chunkSize: cs, clock: clock)
        defer { cleanup(dir) }
        var rng = Rng(s: seed)
        var volumes: [String: [UInt8]] = [:]
        var snaps: [String: [UInt8]] = [:]
        var n = 0
        func check(_ what: String) throws {
            for (name, want) in volumes.merging(snaps, uniquingKeysWith: { a, _ in a }) {
                #expect(try readAll(pool, name) == want, "seed \(seed) \(what): \(name)")
            }
        }
        for step in 0..<120 {
            n += 1
            let r = rng.below(100)
            if volumes.isEmpty || r < 8 {
                let name = "v\(n)"
                try pool.createVolume(name: name, size: UInt64(size))
                volumes[name] = [UInt8](repeating: 0, count: size)
            } else if r < 55 {
                let name = volumes.keys.sorted()[rng.below(volumes.count)]
                let off = rng.below(size - 1), len = 1 + rng.below(min(3 * cs, size - off))
                let data = rng.bytes(len)
                try pool.openVolume(name).write(offset: UInt64(off), bytes: data)
                volumes[name]!.replaceSubrange(off..<off + len, with: data)
            } else if r < 72 {
                let v = volumes.keys.sorted()[rng.below(volumes.count)]
                let name = try pool.createSnapshot(volume: v)
                snaps[name] = volumes[v]
            } else if r < 84, !snaps.isEmpty {
                let name = snaps.keys.sorted()[rng.below(snaps.count)]
                try pool.deleteSnapshot(name: name)
                snaps[name] = nil
            } else if r < 91, !snaps.isEmpty {
                let from = snaps.keys.sorted()[rng.below(snaps.count)]
                let name = "r\(n)"
                try pool.restore(snapshot: from, to: name, fastRestore: rng.below(2) == 0)
                volumes[name] = snaps[from]
            } else if r < 95, volumes.count > 1 {
                let name = volumes.keys.sorted()[rng.below(volumes.count)]
                try pool.deleteVolume(name: name)
                volumes[name] = nil
            } else {
                try pool.close() // replay the journal
                pool = try Pool(path: "\(dir)/pool", clock: clock)
                if rng.below(2) == 0 { _ = try pool.compact() } // checkpoint the journal
                try check("after reopen at step \(step)")
            }
        }
        try check("at end")
        // Diff of every same-lineage pair covers the brute-force difference.
        for a in pool.snapshots() {
            for b in pool.snapshots() where b.lineage == a.lineage && b.name != a.name {
                #expect(Set(bruteDiff(snaps[a.name]!, snaps[b.name]!)).isSubset(of: Set(try pool.diff(a.name, b.name))))
            }
        }
        try pool.close()
        let report = try Pool.check(path: "\(dir)/pool")
        #expect(report.ok, "\(report.errors)")
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        // Deleting everything frees everything.
        pool = try Pool(path: "\(dir)/pool", clock: clock)
        for s in pool.snapshots() { try pool.deleteSnapshot(name: s.name) }
        for v in pool.volumes() { try pool.deleteVolume(name: v.name) }
        #expect(pool.state.referenceCounts().isEmpty)
        #expect(pool.state.lineages.isEmpty)
    }
}

@Suite struct CompactionTests {
    /// A checkpoint rebuilds the same pool: contents, hidden pinned snapshots, restored
    /// volumes' loaded state, checksums; and the pool keeps working afterwards.
    @Test func checkpointRebuildsTheSamePool() throws {
        let clock = FakeClock()
        var (dir, pool) = try makePool(chunkSize: 16 * 1024, clock: clock)
        defer { cleanup(dir) }
        var rng = Rng(s: 77)
        try pool.createVolume(name: "v", size: 512 * 1024)
        var io = try pool.openVolume("v")
        for i in 0..<30 {
            try io.write(offset: UInt64(rng.below(500_000)), bytes: rng.bytes(1 + rng.below(20_000)))
            if i % 5 == 4 { try pool.createSnapshot(volume: "v", name: "s\(i / 5)") }
        }
        try pool.restore(snapshot: "s2", to: "r")
        _ = try pool.openVolume("r").read(offset: 0, count: 100_000) // loads a few chunks
        try pool.deleteSnapshot(name: "s2") // hidden: r depends on it
        try pool.deleteSnapshot(name: "s0")
        try pool.createSnapshot(volume: "r", name: "s2") // the hidden one's name, reused
        try pool.deleteVolume(name: "v")      // lineage lives on in its snapshots
        try pool.commit()
        try pool.close()
        _ = try Pool.check(path: "\(dir)/pool", repair: true) // records checksums
        pool = try Pool(path: "\(dir)/pool", clock: clock)
        let names = pool.snapshots().map(\.name) + pool.volumes().map(\.name)
        var before: [String: [UInt8]] = [:]
        for n in names { before[n] = try readAll(pool, n) }
        let print0 = pool.state.fingerprint()
        let unloaded0 = try pool.openVolume("r").unloadedChunks
        pool.state.lineages.values.forEach { $0.map = nil }
        #expect(try pool.compact())
        #expect(pool.state.fingerprint() == print0)
        try pool.close()
        pool = try Pool(path: "\(dir)/pool", clock: clock)
        #expect(pool.state.fingerprint() == print0)
        for n in names { #expect(try readAll(pool, n) == before[n]!, "\(n)") }
        #expect(try pool.openVolume("r").unloadedChunks == unloaded0)
        io = try pool.openVolume("r")
        try io.write(offset: 0, bytes: [1, 2, 3])
        try pool.createSnapshot(volume: "r", name: "after")
        #expect(try readAll(pool, "after")[0..<3] == [1, 2, 3])
        try pool.close()
        let report = try Pool.check(path: "\(dir)/pool")
        #expect(report.ok && report.warnings.isEmpty && report.checksumsVerified > 0, "\(report.errors) \(report.warnings)")
    }
}
