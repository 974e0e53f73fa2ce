import Testing
import BlockLabCore
@testable import SnapStore

@Suite struct SnapshotTests {
    static let size = 1 << 20

    /// Writes four generations with snapshots, returns the reference copies.
    func build(_ pool: Pool, seed: UInt64) throws -> [String: [UInt8]] {
        try pool.createVolume(name: "v", size: UInt64(Self.size))
        var rng = Rng(s: seed)
        var model = [UInt8](repeating: 0, count: Self.size)
        var refs: [String: [UInt8]] = [:]
        let io = try pool.openVolume("v")
        for gen in 0..<4 {
            for _ in 0..<12 {
                let off = rng.below(Self.size - 40_000), data = rng.bytes(1 + rng.below(40_000))
                try io.write(offset: UInt64(off), bytes: data)
                model.replaceSubrange(off..<off + data.count, with: data)
            }
            if gen < 3 { try pool.createSnapshot(volume: "v", name: "s\(gen)"); refs["s\(gen)"] = model }
        }
        refs["v"] = model
        return refs
    }

    @Test(arguments: [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    func deleteInEveryOrder(order: [Int]) throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        var refs = try build(pool, seed: 42)
        for i in order {
            try pool.deleteSnapshot(name: "s\(i)")
            refs["s\(i)"] = nil
            for (name, want) in refs { #expect(try readAll(pool, name) == want, "\(name) after deleting s\(i)") }
                    }
        // Everything but the volume's own data is freed, and the space is reusable.
        let v = pool.volumes()[0]
        #expect(pool.state.referenceCounts().count == Int(v.mappedBytes) / pool.chunkSize)
        try pool.close()
        let report = try Pool.check(path: "\(dir)/pool")
        #expect(report.ok, "\(report.errors)")
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        let again = try Pool(path: "\(dir)/pool")
        #expect(try readAll(again, "v") == refs["v"]!)
    }

    @Test func snapshotAccountingAndFreeing() throws {
        let cs = 16 * 1024
        let (dir, pool) = try makePool(chunkSize: cs)
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 1 << 20)
        let io = try pool.openVolume("v")
        try io.write(offset: 0, bytes: [UInt8](repeating: 1, count: 4 * cs)) // chunks 0-3
        try pool.createSnapshot(volume: "v", name: "a")
        try io.write(offset: 0, bytes: [UInt8](repeating: 2, count: cs))     // rewrite chunk 0
        try io.write(offset: UInt64(8 * cs), bytes: [3])                    // new chunk 8
        try pool.createSnapshot(volume: "v", name: "b")
        try io.write(offset: UInt64(cs), bytes: [4])                        // rewrite chunk 1
        let a = try pool.snapshotInfo("a"), b = try pool.snapshotInfo("b")
        #expect(a.incrementalBytes == UInt64(4 * cs) && a.mappedBytes == UInt64(4 * cs))
        #expect(a.uniqueBytes == UInt64(cs)) // only chunk 0 was rewritten by b
        #expect(a.sharedBytes == UInt64(3 * cs))
        #expect(b.incrementalBytes == UInt64(2 * cs) && b.mappedBytes == UInt64(5 * cs))
        #expect(b.uniqueBytes == 0) // chunk 1 was rewritten by the volume, but it belongs to a
        let before = pool.state.referenceCounts().count
        try pool.deleteSnapshot(name: "a")
        #expect(pool.state.referenceCounts().count == before - 1) // a's chunk 0; b still needs a's chunk 1
        // Freed chunks are reused.
        let hw = pool.highWater
        try pool.createVolume(name: "w", size: 1 << 20)
        try pool.openVolume("w").write(offset: 0, bytes: [5])
        #expect(pool.highWater == hw)
        #expect(try readAll(pool, "w")[0..<2] == [5, 0])
    }

    @Test func diffMatchesBruteForce() throws {
        let (dir, pool) = try makePool(chunkSize: 64 * 1024)
        defer { cleanup(dir) }
        let size = 8 << 20
        try pool.createVolume(name: "v", size: UInt64(size))
        var rng = Rng(s: 9)
        var model = [UInt8](repeating: 0, count: size)
        var refs: [[UInt8]] = []
        var written: [Set<UInt64>] = []
        let io = try pool.openVolume("v")
        for gen in 0..<5 {
            var w = Set<UInt64>()
            for _ in 0..<(3 + gen * 2) {
                let off = rng.below(size - 100_000), data = rng.bytes(1 + rng.below(100_000))
                try io.write(offset: UInt64(off), bytes: data)
                model.replaceSubrange(off..<off + data.count, with: data)
                let first = UInt64(off) / 65536, last = UInt64(off + data.count - 1) / 65536
                for c in first...last { w.insert(c * 65536 / 524_288) }
            }
            written.append(w)
            try pool.createSnapshot(volume: "v", name: "s\(gen)")
            refs.append(model)
        }
        for a in 0..<5 {
            for b in 0..<5 where a != b {
                let got = try pool.diff("s\(a)", "s\(b)")
                let lo = min(a, b), hi = max(a, b)
                let expectWritten = written[(lo + 1)...hi].reduce(Set<UInt64>()) { $0.union($1) }
                #expect(Set(got) == expectWritten)
                #expect(Set(bruteDiff(refs[a], refs[b])).isSubset(of: Set(got)))
                #expect(got == got.sorted())
            }
        }
        // Against the live volume, and after deleting a middle snapshot.
        try io.write(offset: 3 << 20, bytes: [1, 2, 3])
        model.replaceSubrange((3 << 20)..<((3 << 20) + 3), with: [1, 2, 3])
        #expect(try pool.diff("s4", "v") == [6])
        try pool.deleteSnapshot(name: "s2")
        let d13 = try pool.diff("s1", "s3")
        #expect(Set(d13) == written[2].union(written[3]))
        #expect(Set(bruteDiff(refs[1], model)).isSubset(of: Set(try pool.diff("s1", "v"))))
    }

    @Test func pruneKeepsNewestAndYoung() throws {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        var now: UInt64 = 1_000_000_000
        pool.wallClockMs = { now }
        try pool.createVolume(name: "v", size: 1 << 20)
        for i in 0..<6 {
            try pool.openVolume("v").write(offset: UInt64(i * 4096), bytes: [UInt8(i + 1)])
            try pool.createSnapshot(volume: "v", name: "s\(i)")
            now += 86_400_000 // one day apart
        }
        let expected = try (0..<6).map { try readAll(pool, "s\($0)") }
        #expect(try pool.prune(volume: "v", keep: 4, maxAgeMs: nil) == ["s0", "s1"])
        // now = day 6; s2 is 4 days old, s3 3 days, s4 2 days, s5 1 day.
        #expect(try pool.prune(volume: "v", keep: nil, maxAgeMs: 2 * 86_400_000 + 1) == ["s2", "s3"])
        #expect(pool.snapshots().map(\.name) == ["s4", "s5"])
        #expect(try readAll(pool, "s4") == expected[4])
        #expect(try readAll(pool, "s5") == expected[5])
    }
}
