import Testing
import BlockLabCore
@testable import SnapStore

/// `Journal.replay(bytes:)` on thousands of random and mutated journals (seeded): each one
/// replays or throws; a trap would kill the test process.
@Suite struct ReplayFuzzTests {
    /// Valid journals to mutate: a real pool's, and hand-built ones with hostile numbers.
    func corpus() throws -> [[UInt8]] {
        let (dir, pool) = try makePool()
        defer { cleanup(dir) }
        try pool.createVolume(name: "v", size: 1 << 20)
        let io = try pool.openVolume("v")
        try io.write(offset: 0, bytes: [UInt8](repeating: 1, count: 40_000))
        try pool.createSnapshot(volume: "v", name: "s1")
        try io.write(offset: 20_000, bytes: [UInt8](repeating: 2, count: 40_000))
        try pool.createSnapshot(volume: "v", name: "s2")
        try pool.restore(snapshot: "s1", to: "r")
        _ = try pool.initializeVolume("r")
        try pool.deleteSnapshot(name: "s1")
        _ = try pool.sealChecksums()
        try pool.close()
        let real = readFile("\(dir)/pool/journal")

        let header = Frame.encode([.header(chunkSize: 16_384)])
        func j(_ frames: [[Op]]) -> [UInt8] { Superblock.journal(frames: [header] + frames.map { Frame.encode($0) }) }
        let vol = Op.createVolume(lineage: 1, name: "v", size: 1 << 20, base: 0, fast: false, rateBytesPerSec: 0, createdMs: 0)
        var hostile: [[UInt8]] = [
            j([[vol], [.map(lineage: 1, entries: [UInt64(UInt32.max) << 32 | 5], fresh: [true])]]),   // chunk past the end
            j([[vol], [.map(lineage: 1, entries: [UInt64(UInt32.max)], fresh: [true])]]),              // physical out of range
            j([[.createVolume(lineage: UInt32.max, name: "x", size: 4096, base: 0, fast: false, rateBytesPerSec: 0, createdMs: 0)]]),
            j([[.createVolume(lineage: 1, name: "x", size: UInt64.max, base: 0, fast: false, rateBytesPerSec: 0, createdMs: 0)]]),
            j([[.createVolume(lineage: 1, name: "x", size: UInt64.max - 511, base: 0, fast: false, rateBytesPerSec: 0, createdMs: 0)]]),
            j([[vol], [.snapshot(lineage: 1, id: UInt32.max, name: "s", createdMs: 0)]]),
            j([[vol], [.snapshot(lineage: 1, id: 1, name: "s", createdMs: 0)], [.snapshot(lineage: 1, id: 1, name: "t", createdMs: 0)]]),
            j([[vol], [.snapshot(lineage: 1, id: 1, name: "s", createdMs: 0)],
               [.createVolume(lineage: 2, name: "r", size: 1 << 20, base: 1, fast: false, rateBytesPerSec: 0, createdMs: 0)],
               [.hydrate(lineage: 2, chunks: [0, 63, 64, UInt32.max])], [.deleteSnapshot(id: 1)], [.deleteSnapshot(id: 1)],
               [.deleteVolume(lineage: 2)], [.deleteVolume(lineage: 1)]]),
            j([[vol], [.header(chunkSize: 4096)]]),
            j([[vol, vol]]),
            j([[.checksums(physical: [UInt32.max, 0], digests: [1, 2])]]),
            Superblock.journal(frames: [Frame.encode([.header(chunkSize: 0)])]),
            Superblock.journal(frames: [Frame.encode([vol])]),
        ]
        // Hand-encoded hostile fields: huge counts and lengths, bad UTF-8.
        func raw(_ body: (inout ByteWriter) -> Void) -> [UInt8] {
            var w = ByteWriter()
            body(&w)
            var f = ByteWriter()
            f.u32(Frame.magic); f.u32(UInt32(w.bytes.count)); f.u32(CRC32C.checksum(w.bytes))
            return Superblock.journal(frames: [header, f.bytes + w.bytes])
        }
        hostile.append(raw { $0.u8(3); $0.u32(1); $0.u32(UInt32.max) })                       // map count
        hostile.append(raw { $0.u8(7); $0.u32(1); $0.u32(0x4000_0000) })                     // hydrate count
        hostile.append(raw { $0.u8(9); $0.u32(UInt32.max) })                                 // checksum count
        hostile.append(raw { $0.u8(2); $0.u32(1); $0.u32(UInt32.max) })                      // string length
        hostile.append(raw { $0.u8(2); $0.u32(1); $0.u32(3); $0.bytes += [0xFF, 0xC0, 0x80]; $0.u64(4096); $0.u32(0); $0.u8(0); $0.u64(0); $0.u64(0) })
        hostile.append(raw { $0.u8(200) })                                                   // unknown op
        return [real, huge()] + hostile
    }

    /// Valid: a volume of 2^32 - 2 chunks, snapshotted and restored lazily, with a mapping
    /// at its last chunk. Replaying it must not allocate per chunk.
    func huge() -> [UInt8] {
        let size = UInt64(UInt32.max - 1) * 16_384
        return Superblock.journal(frames: [
            Frame.encode([.header(chunkSize: 16_384)]),
            Frame.encode([.createVolume(lineage: 1, name: "big", size: size, base: 0, fast: false, rateBytesPerSec: 0, createdMs: 0)]),
            Frame.encode([.map(lineage: 1, entries: [UInt64(UInt32.max - 2) << 32 | 7], fresh: [true])]),
            Frame.encode([.snapshot(lineage: 1, id: 1, name: "s", createdMs: 0)]),
            Frame.encode([.createVolume(lineage: 2, name: "r", size: size, base: 1, fast: false, rateBytesPerSec: 1, createdMs: 0)]),
            Frame.encode([.hydrate(lineage: 2, chunks: [UInt32.max - 2, 0])]),
        ])
    }

    /// Recomputes every frame checksum and the superblock so a mutation reaches the decoder
    /// and `apply` instead of stopping at a checksum.
    func reseal(_ input: [UInt8], lengthMayLie: Bool) -> [UInt8] {
        var b = input
        guard b.count >= Superblock.areaSize else { return b }
        var pos = Superblock.areaSize, frames = 0
        while pos + Frame.headerSize <= b.count {
            var r = ByteReader(b, from: pos, to: b.count)
            _ = try? r.u32()
            let len = Int((try? r.u32()) ?? 0)
            let end = pos + Frame.headerSize + len
            guard end <= b.count else { break }
            let crc = CRC32C.checksum(b, from: pos + Frame.headerSize, to: end)
            b.replaceSubrange(pos..<pos + 4, with: [0x31, 0x42, 0x4C, 0x4A])
            withUnsafeBytes(of: crc.littleEndian) { b.replaceSubrange(pos + 8..<pos + 12, with: $0) }
            pos = end
            frames += 1
        }
        let committed = lengthMayLie ? pos + 17 : pos
        let area = Superblock.area(committedLength: committed, frames: frames)
        b.replaceSubrange(0..<Superblock.areaSize, with: area)
        return b
    }

    @Test func replayNeverTraps() throws {
        let seeds = try corpus()
        // The unmutated corpus: the real journal replays, the hostile ones are refused.
        let real = try Journal.replay(bytes: seeds[0])
        #expect(real.volumes == ["r", "v"] && real.snapshots == ["s2"] && real.chunkSize == 16 * 1024)
        let big = try Journal.replay(bytes: seeds[1])
        #expect(big.volumes == ["big", "r"] && big.snapshots == ["s"])
        for (i, h) in seeds.dropFirst(2).enumerated() {
            #expect(throws: (any Error).self, "hostile journal \(i) replayed") { _ = try Journal.replay(bytes: h) }
        }
        var rng = Rng(s: 0x5EED)
        var replayed = 0, refused = 0
        let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0xFE]
        for iteration in 0..<4000 {
            var b: [UInt8]
            if iteration % 10 == 9 {
                b = rng.bytes(rng.below(3000)) // pure noise, sometimes with a valid superblock
                if rng.below(2) == 0 { b = reseal(b, lengthMayLie: false) }
            } else {
                b = seeds[rng.below(seeds.count)]
                for _ in 0..<(1 + rng.below(4)) {
                    guard !b.isEmpty else { break }
                    switch rng.below(7) {
                    case 0: b[rng.below(b.count)] ^= UInt8(1 << rng.below(8))
                    case 1: b[rng.below(b.count)] = interesting[rng.below(interesting.count)]
                    case 2: // a run of 0xFF: huge lengths, counts, ids
                        let at = rng.below(b.count)
                        for k in at..<min(b.count, at + 1 + rng.below(8)) { b[k] = 0xFF }
                    case 3: b.removeLast(rng.below(min(b.count, 64)) + 1)
                    case 4: b.insert(contentsOf: rng.bytes(1 + rng.below(16)), at: rng.below(b.count))
                    case 5: // splice in a piece of another journal
                        let other = seeds[rng.below(seeds.count)]
                        let from = rng.below(other.count), n = min(other.count - from, 1 + rng.below(200))
                        let at = rng.below(b.count)
                        b.replaceSubrange(at..<min(b.count, at + n), with: other[from..<from + n])
                    default:
                        let at = Superblock.areaSize + rng.below(max(1, b.count - Superblock.areaSize))
                        if at + 4 <= b.count { b.replaceSubrange(at..<at + 4, with: [0xFF, 0xFF, 0xFF, 0x7F]) }
                    }
                }
                if rng.below(4) != 0 { b = reseal(b, lengthMayLie: rng.below(8) == 0) }
            }
            do { _ = try Journal.replay(bytes: b); replayed += 1 } catch { refused += 1 }
        }
        #expect(replayed > 100 && refused > 100, "replayed \(replayed), refused \(refused)")
    }

    /// A chain of 20,000 restores (each volume restored from the previous one's snapshot):
    /// resolving the newest volume's content and the cascade when the chain is deleted both
    /// walk the chain in loops; recursion overflowed the stack here.
    @Test func deepRestoreChainsDoNotRecurse() throws {
        let n: UInt32 = 20_000
        var ops: [Op] = []
        for k in 1...n {
            ops.append(.createVolume(lineage: k, name: "v\(k)", size: 4096, base: k == 1 ? 0 : k - 1, fast: true, rateBytesPerSec: 0, createdMs: 0))
            if k == 1 { ops.append(.map(lineage: 1, entries: [5], fresh: [true])) }
            ops.append(.snapshot(lineage: k, id: k, name: "s\(k)", createdMs: 0))
        }
        let built = Superblock.journal(frames: [Frame.encode([.header(chunkSize: 4096)]), Frame.encode(ops)])
        let state = try PoolState.replay(JournalScan.scan(built))
        let map = ChunkMap(chunkCount: 1)
        state.fill(map, lineage: n, upTo: nil)
        #expect(map.get(0) == ChunkMap.entry(physical: 5, epoch: 0))
        var deletes: [Op] = (1...n).map { .deleteSnapshot(id: $0) }
        deletes += (1...n).map { .deleteVolume(lineage: $0) }
        let all = Superblock.journal(frames: [Frame.encode([.header(chunkSize: 4096)]), Frame.encode(ops), Frame.encode(deletes)])
        let r = try Journal.replay(bytes: all)
        #expect(r.volumes.isEmpty && r.snapshots.isEmpty)
    }
}
