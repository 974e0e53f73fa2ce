// The metadata journal: a small superblock (two checksummed slots recording how much of the
// journal has been acknowledged) followed by an append-only sequence of checksummed frames.
// A frame holds one or more operations and is the unit of atomicity. After a crash a frame
// past the acknowledged length that does not check out is a torn, never-acknowledged append
// and is dropped; any damage inside the acknowledged length is lost committed work and is
// reported, never dropped. State is rebuilt by replaying every frame through the same
// `apply` code the live operations use.

import BlockLabCore

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

/// The journal's commit record: how many bytes (and frames) of the journal were durable when
/// the last commit was acknowledged. Written, in one of two slots in turn, after the frame
/// it covers is durable and before the commit returns; the slot with the highest sequence
/// number whose checksum matches is current, so a torn slot write leaves the other slot.
///
/// Slot layout (little-endian, 36 bytes, slots at journal offsets 0 and 512, frames from 1024):
/// magic u32 | version u32 | sequence u64 | committed length u64 | frames u64 | CRC-32C(previous 32 bytes) u32
struct Superblock: Equatable {
    static let magic: UInt32 = 0x4253_4C42 // "BLSB" little-endian
    static let version: UInt32 = 2
    static let slotOffsets = [0, 512]
    /// Frames start here.
    static let areaSize = 1024
    static let encodedSize = 36

    var sequence: UInt64
    /// Journal offset just past the last acknowledged frame.
    var committedLength: UInt64
    /// Number of frames in [areaSize, committedLength).
    var frames: UInt64

    var slotOffset: Int { Superblock.slotOffsets[Int(sequence % 2)] }

    func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u32(Superblock.magic); w.u32(Superblock.version); w.u64(sequence); w.u64(committedLength); w.u64(frames)
        w.u32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    /// The slot at `offset`, or nil if it is missing, torn or not a superblock.
    static func decode(_ bytes: [UInt8], at offset: Int) -> Superblock? {
        guard offset >= 0, bytes.count - offset >= encodedSize else { return nil }
        var r = ByteReader(bytes, from: offset, to: offset + encodedSize)
        guard let m = try? r.u32(), m == magic, let v = try? r.u32(), v == version,
              let seq = try? r.u64(), let len = try? r.u64(), let frames = try? r.u64(), let crc = try? r.u32(),
              CRC32C.checksum(bytes, from: offset, to: offset + encodedSize - 4) == crc else { return nil }
        return Superblock(sequence: seq, committedLength: len, frames: frames)
    }

    /// A superblock area with both slots recording `committedLength` (sequences 0 and 1).
    static func area(committedLength: Int, frames: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: areaSize)
        for seq: UInt64 in 0...1 {
            let sb = Superblock(sequence: seq, committedLength: UInt64(committedLength), frames: UInt64(frames))
            out.replaceSubrange(sb.slotOffset..<sb.slotOffset + encodedSize, with: sb.encode())
        }
        return out
    }

    /// A journal file holding `frames` after a fresh superblock area that acknowledges them all.
    static func journal(frames: [[UInt8]]) -> [UInt8] {
        let body = frames.flatMap { $0 }
        return area(committedLength: areaSize + body.count, frames: frames.count) + body
    }
}

/// The result of reading a journal: the ops of every valid frame, where valid data ends,
/// and what was wrong after that point, if anything.
struct JournalScan {
    var frames: [[Op]] = []
    /// Offset just past the last valid frame.
    var validEnd = 0
    /// The current superblock; nil for a journal in the old format (frames from offset 0,
    /// no commit record), where a damaged last frame cannot be told from a torn write.
    var superblock: Superblock?
    var legacy = false
    /// Superblock slots that did not check out while the other one did (a torn slot write).
    var badSlots: [Int] = []
    /// A bad frame past the acknowledged length, with everything after it: a torn,
    /// never-acknowledged append (crash or failed write mid-append).
    var tornTail: (offset: Int, bytes: Int)?
    /// Damage: a bad frame inside the acknowledged length, a journal shorter than it, no
    /// valid superblock, or (old format) a bad frame followed by valid ones.
    var corruption: (offset: Int, reason: String)?

    /// Frames start here (after the superblock area, or at 0 in the old format).
    var frameStart: Int { legacy ? 0 : Superblock.areaSize }

    static func scan(_ bytes: [UInt8]) -> JournalScan {
        var s = JournalScan()
        if bytes.count >= 4, bytes[0] == 0x31, bytes[1] == 0x42, bytes[2] == 0x4C, bytes[3] == 0x4A { // Frame.magic
            s.legacy = true
            s.scanFrames(bytes, committed: nil)
            return s
        }
        let slots = Superblock.slotOffsets.map { Superblock.decode(bytes, at: $0) }
        guard let sb = slots.compactMap({ $0 }).max(by: { $0.sequence < $1.sequence }) else {
            s.corruption = (0, bytes.count < Superblock.areaSize
                ? "journal is \(bytes.count) bytes, too short to hold its superblock: the file was cut"
                : "no valid superblock (both commit-record slots are damaged)")
            return s
        }
        s.superblock = sb
        s.badSlots = slots.indices.filter { slots[$0] == nil }
        guard sb.committedLength >= UInt64(Superblock.areaSize), sb.committedLength <= UInt64(Int32.max) * 1024 else {
            s.corruption = (sb.slotOffset, "superblock records an impossible committed length \(sb.committedLength)")
            return s
        }
        s.scanFrames(bytes, committed: Int(sb.committedLength))
        if s.corruption == nil && bytes.count < Int(sb.committedLength) {
            s.corruption = (bytes.count, "journal is \(bytes.count) bytes but \(sb.committedLength) bytes (\(sb.frames) frames) were acknowledged: committed metadata was cut off")
        }
        return s
    }

    /// Scans frames from `frameStart`. With `committed`, a bad frame before it is damage and
    /// one at or after it is a torn tail; without (old format), a bad frame is a torn tail
    /// only if no valid frame follows it.
    private mutating func scanFrames(_ bytes: [UInt8], committed: Int?) {
        var pos = frameStart
        validEnd = pos
        var framesAtCommit: Int? = committed == pos ? 0 : nil
        while pos < bytes.count {
            var r = ByteReader(bytes, from: pos, to: bytes.count)
            func bad(_ reason: String) {
                if let c = committed {
                    if pos < c {
                        corruption = (pos, "\(reason) inside the acknowledged part of the journal (\(c) bytes): committed metadata is damaged")
                    } else {
                        tornTail = (pos, bytes.count - pos)
                    }
                } else if JournalScan.validFrameExists(in: bytes, after: pos) {
                    corruption = (pos, reason)
                } else {
                    tornTail = (pos, bytes.count - pos)
                }
            }
            guard bytes.count - pos >= Frame.headerSize, let magic = try? r.u32(), let len = try? r.u32(), let crc = try? r.u32() else {
                bad("short frame header"); return
            }
            let end = pos + Frame.headerSize + Int(len)
            guard magic == Frame.magic else { bad("bad frame magic"); return }
            guard end <= bytes.count else { bad("frame runs past end of file"); return }
            guard CRC32C.checksum(bytes, from: pos + Frame.headerSize, to: end) == crc else { bad("checksum mismatch"); return }
            if let c = committed, pos < c, end > c {
                corruption = (pos, "frame at \(pos)-\(end) straddles the acknowledged length \(c)"); return
            }
            var pr = ByteReader(bytes, from: pos + Frame.headerSize, to: end)
            var ops: [Op] = []
            do {
                while !pr.atEnd { ops.append(try Op.decode(from: &pr)) }
            } catch {
                corruption = (pos, "undecodable frame: \((error as? FormatError)?.message ?? "\(error)")"); return
            }
            frames.append(ops)
            pos = end
            validEnd = end
            if pos == committed { framesAtCommit = frames.count }
        }
        if let sb = superblock, let n = framesAtCommit, UInt64(n) != sb.frames {
            corruption = (Int(sb.committedLength), "\(n) frames in the acknowledged part of the journal but the superblock records \(sb.frames)")
        }
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

/// Replaying journal bytes, as a pure function (no files, no locks): the entry point for
/// fuzzing. Every number read from the journal is range-checked before it is used for
/// arithmetic, indexing or allocation, so any input either replays or throws.
public enum Journal {
    /// What a journal replays to.
    public struct Replay: Sendable, Equatable {
        public var chunkSize: Int
        public var volumes: [String]
        public var snapshots: [String]
        public var frames: Int
        /// Acknowledged length from the superblock (nil: old format without one).
        public var committedLength: Int?
        /// Bytes of a torn, never-acknowledged tail that a writable open would drop.
        public var tornBytes: Int
    }

    /// Replays `bytes` (a whole journal file). Throws `JournalError` on damage or on
    /// metadata that does not make sense; never traps.
    public static func replay(bytes: [UInt8]) throws -> Replay {
        let scan = JournalScan.scan(bytes)
        let state = try PoolState.replay(scan)
        return Replay(chunkSize: Int(state.chunkSize), volumes: state.volumeByName.keys.sorted(),
                      snapshots: state.snapshotByName.keys.sorted(), frames: scan.frames.count,
                      committedLength: scan.superblock.map { Int($0.committedLength) }, tornBytes: scan.tornTail?.bytes ?? 0)
    }
}

/// Why a journal could not be replayed.
public struct JournalError: Error, CustomStringConvertible, Equatable {
    public let offset: Int?
    public let message: String
    public var description: String { offset.map { "journal offset \($0): \(message)" } ?? message }
}

extension PoolState {
    /// The state a scanned journal describes. Throws on damage or inconsistent metadata.
    static func replay(_ scan: JournalScan) throws -> PoolState {
        if let c = scan.corruption { throw JournalError(offset: c.offset, message: c.reason) }
        guard case .header? = scan.frames.first?.first else { throw JournalError(offset: scan.frameStart, message: "journal has no valid header") }
        let state = PoolState()
        do {
            for frame in scan.frames { for op in frame { _ = try state.apply(op, live: false) } }
        } catch let e as FormatError {
            throw JournalError(offset: nil, message: e.message)
        }
        return state
    }
}
