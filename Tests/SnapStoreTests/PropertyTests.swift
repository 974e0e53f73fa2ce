import Testing
import BlockLabCore
@testable import SnapStore

/// Random operation sequences (write, snapshot, delete, restore, delete volume, reopen)
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
                pool.close() // replay the journal
                pool = try Pool(path: "\(dir)/pool", clock: clock)
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
        pool.close()
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
