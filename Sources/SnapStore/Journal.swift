// The metadata journal: an append-only file of checksummed frames. A frame holds one or
// more operations and is the unit of atomicity: after a crash a frame is either whole
// (its CRC matches) or it is the torn last frame and is discarded. State is rebuilt by
// replaying every frame through the same `apply` code the live operations use.

/// One metadata operation. `map` entries are packed as logical << 32 | physical.
enum Op: Equatable {
    case header(chunkSize: UInt32)
    case createVolume(lineage: UInt32, name: String, size: UInt64, base: UInt32, fast: Bool, rateBytesPerSec: UInt64, createdMs: UInt64)
    /// New mappings in the lineage's open (unsnapshotted) delta; `fresh` marks chunks that
    /// were not visible before (they raise the volume's mapped-chunk count).
    case map(lineage: UInt32, entries: [UInt64], fresh: [Bool])
    case snapshot(lineage: UInt32, id: UInt32, name: String, createdMs: UInt64)
    case deleteSnapshot(id: UInt32)
    case deleteVolume(lineage: UInt32)
    case hydrate(lineage: UInt32, chunks: [UInt32])
    case hydrateAll(lineage: UInt32)
    /// Data digests of chunks owned by snapshots (immutable while so owned).
    case checksums(physical: [UInt32], digests: [UInt64])

    func encode(into w: inout ByteWriter) {
        switch self {
        case .header(let cs):
            w.u8(1); w.u32(cs)
        case let .createVolume(l, name, size, base, fast, rate, ms):
            w.u8(2); w.u32(l); w.str(name); w.u64(size); w.u32(base); w.u8(fast ? 1 : 0); w.u64(rate); w.u64(ms)
        case let .map(l, entries, fresh):
            w.u8(3); w.u32(l); w.u32(UInt32(entries.count))
            for (e, f) in zip(entries, fresh) { w.u64(e); w.u8(f ? 1 : 0) }
        case let .snapshot(l, id, name, ms):
            w.u8(4); w.u32(l); w.u32(id); w.str(name); w.u64(ms)
        case .deleteSnapshot(let id):
            w.u8(5); w.u32(id)
        case .deleteVolume(let l):
            w.u8(6); w.u32(l)
        case let .hydrate(l, chunks):
            w.u8(7); w.u32(l); w.u32(UInt32(chunks.count))
            for c in chunks { w.u32(c) }
        case .hydrateAll(let l):
            w.u8(8); w.u32(l)
        case let .checksums(ps, ds):
            w.u8(9); w.u32(UInt32(ps.count))
            for (p, d) in zip(ps, ds) { w.u32(p); w.u64(d) }
        }
    }

    static func decode(from r: inout ByteReader) throws -> Op {
        switch try r.u8() {
        case 1: return .header(chunkSize: try r.u32())
        case 2:
            return .createVolume(lineage: try r.u32(), name: try r.str(), size: try r.u64(), base: try r.u32(),
                                 fast: try r.u8() != 0, rateBytesPerSec: try r.u64(), createdMs: try r.u64())
        case 3:
            let l = try r.u32()
            let n = Int(try r.u32())
            guard n <= (r.end - r.pos) / 9 else { throw FormatError(message: "map count too large") }
            var entries: [UInt64] = [], fresh: [Bool] = []
            entries.reserveCapacity(n); fresh.reserveCapacity(n)
            for _ in 0..<n { entries.append(try r.u64()); fresh.append(try r.u8() != 0) }
            return .map(lineage: l, entries: entries, fresh: fresh)
        case 4: return .snapshot(lineage: try r.u32(), id: try r.u32(), name: try r.str(), createdMs: try r.u64())
        case 5: return .deleteSnapshot(id: try r.u32())
        case 6: return .deleteVolume(lineage: try r.u32())
        case 7:
            let l = try r.u32()
            let n = Int(try r.u32())
            guard n <= (r.end - r.pos) / 4 else { throw FormatError(message: "hydrate count too large") }
            var chunks: [UInt32] = []
            chunks.reserveCapacity(n)
            for _ in 0..<n { chunks.append(try r.u32()) }
            return .hydrate(lineage: l, chunks: chunks)
        case 8: return .hydrateAll(lineage: try r.u32())
        case 9:
            let n = Int(try r.u32())
            guard n <= (r.end - r.pos) / 12 else { throw FormatError(message: "checksum count too large") }
            var ps: [UInt32] = [], ds: [UInt64] = []
            for _ in 0..<n { ps.append(try r.u32()); ds.append(try r.u64()) }
            return .checksums(physical: ps, digests: ds)
        case let code: throw FormatError(message: "unknown operation code \(code)")
        }
    }
}

/// Frame layout: magic u32 | payload length u32 | CRC-32C of payload u32 | payload.
enum Frame {
    static let magic: UInt32 = 0x4A4C_4231 // "1BLJ" little-endian
    static let headerSize = 12

    static func encode(_ ops: [Op]) -> [UInt8] {
        var payload = ByteWriter()
        for op in ops { op.encode(into: &payload) }
        var w = ByteWriter()
        w.u32(magic); w.u32(UInt32(payload.bytes.count)); w.u32(CRC32C.checksum(payload.bytes))
        w.bytes.append(contentsOf: payload.bytes)
        return w.bytes
    }
}

/// The result of reading a journal: the ops of every valid frame, where valid data ends,
/// and what was wrong after that point, if anything.
struct JournalScan {
    var frames: [[Op]] = []
    /// Offset just past the last valid frame.
    var validEnd = 0
    /// A bad frame that runs to the end of the file: a torn last write (crash mid-append).
    var tornTail: (offset: Int, bytes: Int)?
    /// A bad frame followed by more data: real corruption.
    var corruption: (offset: Int, reason: String)?

    static func scan(_ bytes: [UInt8]) -> JournalScan {
        var s = JournalScan()
        var pos = 0
        while pos < bytes.count {
            var r = ByteReader(bytes, from: pos, to: bytes.count)
            // A bad frame is a torn tail only if nothing valid follows it: a crash can tear
            // only the last append. A valid frame further on means the bad one was corrupted.
            func bad(_ reason: String, frameEnd: Int) {
                if validFrameExists(in: bytes, after: pos) { s.corruption = (pos, reason) } else { s.tornTail = (pos, bytes.count - pos) }
            }
            guard bytes.count - pos >= Frame.headerSize, let magic = try? r.u32(), let len = try? r.u32(), let crc = try? r.u32() else {
                bad("short frame header", frameEnd: bytes.count); break
            }
            let end = pos + Frame.headerSize + Int(len)
            guard magic == Frame.magic else { bad("bad frame magic", frameEnd: min(end, bytes.count)); break }
            guard end <= bytes.count else { bad("frame runs past end of file", frameEnd: end); break }
            guard CRC32C.checksum(bytes, from: pos + Frame.headerSize, to: end) == crc else {
                bad("checksum mismatch", frameEnd: end); break
            }
            var pr = ByteReader(bytes, from: pos + Frame.headerSize, to: end)
            var ops: [Op] = []
            do {
                while !pr.atEnd { ops.append(try Op.decode(from: &pr)) }
            } catch {
                s.corruption = (pos, "undecodable frame: \((error as? FormatError)?.message ?? "\(error)")"); break
            }
            s.frames.append(ops)
            pos = end
            s.validEnd = end
        }
        return s
    }

    static func validFrameExists(in bytes: [UInt8], after start: Int) -> Bool {
        var p = start + 1
        while p + Frame.headerSize <= bytes.count {
            var r = ByteReader(bytes, from: p, to: bytes.count)
            if let m = try? r.u32(), m == Frame.magic, let len = try? r.u32(), let crc = try? r.u32() {
                let end = p + Frame.headerSize + Int(len)
                if end <= bytes.count, CRC32C.checksum(bytes, from: p + Frame.headerSize, to: end) == crc { return true }
            }
            p += 1
        }
        return false
    }
}
