import BlockLabCore
import Crypto

/// Fills write buffers with checkable data and checks what is read back (fio's verify=),
/// in fio 3.33's on-disk layout (verify.h), so fio can check what BlockLab wrote and back.
///
/// A block is cut into intervals (verify_interval, default the whole block); each starts
/// with fio's 40-byte header, little-endian:
///
///     0  magic 0xacca (u16)   2  verify_type (u16)    4  len: interval bytes (u32)
///     8  rand_seed (u64)     16  offset of the interval (u64)
///    24  time_sec (u32)      28  time_nsec (u32)     32  thread (u16)   34  numberio (u16)
///    36  crc32 of bytes 0..<36 (fio's crc32c: CRC-32C without the final inversion)
///
/// then the checksum's slot (crc32c 4 bytes, md5 16, sha256 64 as fio's sha256 fills it,
/// meta none), then data to the interval's end. The checksum covers the data after its slot.
/// The data is pseudo-random from rand_seed over the whole block, or verify_pattern
/// repeated from the block's start; the headers overwrite it. verify_offset swaps each
/// header with the bytes at that offset in its interval.
///
/// verify=pattern (fio's VERIFY_PATTERN_NO_HDR) makes the whole block the pattern
/// repeated: no header, so a misplaced block cannot be told apart. verify_pattern without
/// verify= is fio's VERIFY_PATTERN: headers and the pattern.
public struct VerifyCodec: Sendable {
    /// fio's verify_type numbers.
    public enum Kind: UInt16, Sendable, CaseIterable {
        /// pattern: fio's VERIFY_PATTERN, verify_pattern without verify=: a header, then
        /// the pattern (verify=pattern, VERIFY_PATTERN_NO_HDR, is `kind == nil`).
        case meta = 1, md5 = 2, crc32c = 5, sha256 = 9, pattern = 17

        public var name: String {
            switch self {
            case .meta: return "meta"
            case .pattern: return "pattern (with header)"
            case .crc32c: return "crc32c"
            case .md5: return "md5"
            case .sha256: return "sha256"
            }
        }

        /// Bytes of the checksum fio keeps after the header (its vhdr_* struct).
        public var slotLength: Int {
            switch self {
            case .meta, .pattern: return 0
            case .crc32c: return 4
            case .md5: return 16
            case .sha256: return 64
            }
        }

        /// Bytes of the slot the checksum fills (fio's sha256 fills all 64).
        var digestLength: Int { slotLength }

        /// fio's spellings; crc32c-intel is fio's hardware-accelerated alias of crc32c.
        public init?(fioName: String) {
            switch fioName.lowercased() {
            case "crc32c", "crc32c-intel": self = .crc32c
            case "md5": self = .md5
            case "sha256": self = .sha256
            case "meta": self = .meta
            default: return nil
            }
        }
    }

    public static let magic: UInt16 = 0xacca
    public static let headerSize = 40
    /// fio's VERIFY_CRC32C_INTEL, written when the job asked for crc32c-intel.
    static let crc32cIntelType: UInt16 = 6

    /// nil: pattern only (or verify=null, `isNull`).
    public let kind: Kind?
    /// fio's verify=null: writes get plain pseudo-random data with no header, and a block
    /// read back passes whatever it holds (fio's "pretend to verify": the I/O of a verify,
    /// none of its checking).
    public let isNull: Bool
    /// The verify_type written in headers (crc32c-intel keeps its own number, as in fio).
    let typeNumber: UInt16
    public let pattern: [UInt8]?
    /// The pattern repeated to at least 4 KiB, a whole number of times, so fill and check
    /// copy and compare in large chunks.
    let expanded: [UInt8]
    /// verify_interval (0: the whole block) and verify_offset.
    public let interval: Int
    public let headerOffset: Int
    /// fio's thread number (1-based) written in headers.
    public let thread: UInt16

    /// - kind: "crc32c" (or "crc32c-intel"), "md5", "sha256", "meta"; "pattern" for the
    ///   pattern alone; nil for fio's header and pattern (verify_pattern without verify=).
    /// - pattern: verify_pattern bytes; required when kind is nil or "pattern".
    public init(kind: String?, pattern: [UInt8]?, interval: Int = 0, headerOffset: Int = 0, thread: UInt16 = 1) throws {
        if let pattern, pattern.isEmpty { throw BlockLabError.usage("verify_pattern: empty pattern") }
        isNull = kind?.lowercased() == "null"
        if isNull {
            self.kind = nil
            typeNumber = 0
        } else if kind == nil, pattern != nil {
            self.kind = .pattern
            typeNumber = Kind.pattern.rawValue
        } else if let kind, kind.lowercased() != "pattern" {
            guard let k = Kind(fioName: kind) else {
                throw BlockLabError.usage("verify=\(kind): unsupported (use crc32c, md5, sha256, meta, or verify_pattern alone)")
            }
            self.kind = k
            typeNumber = kind.lowercased() == "crc32c-intel" ? VerifyCodec.crc32cIntelType : k.rawValue
        } else {
            guard pattern != nil else {
                throw BlockLabError.usage("verify\(kind.map { "=\($0)" } ?? ""): needs verify_pattern")
            }
            self.kind = nil
            typeNumber = 0
        }
        guard interval >= 0, headerOffset >= 0 else { throw BlockLabError.usage("verify_interval and verify_offset must not be negative") }
        self.pattern = isNull ? nil : pattern
        self.interval = interval
        self.headerOffset = headerOffset
        self.thread = thread
        if let pattern, !isNull {
            var e: [UInt8] = []
            while e.count < 4096 { e += pattern }
            expanded = e
        } else {
            expanded = []
        }
        if let k = self.kind, interval > 0 {
            guard interval > VerifyCodec.headerSize + k.slotLength else {
                throw BlockLabError.usage("verify_interval=\(interval) is too small for verify=\(k.name): "
                    + "its header and checksum take \(VerifyCodec.headerSize + k.slotLength) bytes")
            }
            guard headerOffset == 0 || headerOffset >= VerifyCodec.headerSize + k.slotLength else {
                throw BlockLabError.usage("verify_offset=\(headerOffset) overlaps the \(VerifyCodec.headerSize + k.slotLength)-byte header it is swapped with")
            }
            guard headerOffset + VerifyCodec.headerSize + k.slotLength <= interval else {
                throw BlockLabError.usage("verify_offset=\(headerOffset) puts the \(VerifyCodec.headerSize + k.slotLength)-byte header "
                    + "past the end of the \(interval)-byte verify_interval")
            }
        }
    }

    /// The smallest block `kind` can verify: header and checksum plus one byte of data
    /// (1 byte for verify=pattern), as fio's "Blocksize too small". nil: verify_pattern
    /// without verify= (a header and the pattern).
    public static func minimumBlockSize(_ kind: String?) throws -> Int {
        guard let kind else { return headerSize + 1 }
        guard kind.lowercased() != "pattern" && kind.lowercased() != "null" else { return 1 }
        guard let k = Kind(fioName: kind) else {
            throw BlockLabError.usage("verify=\(kind): unsupported (use crc32c, md5, sha256, meta, or verify_pattern alone)")
        }
        return headerSize + k.slotLength + 1
    }

    public var minimumBlockSize: Int { kind.map { VerifyCodec.headerSize + $0.slotLength + 1 } ?? 1 }

    /// Bytes of header plus checksum slot in each interval (0 for pattern only).
    public var headerLength: Int { kind.map { VerifyCodec.headerSize + $0.slotLength } ?? 0 }

    /// Throws a usage error naming the option when `blockSize` is too small for this codec.
    public func validate(blockSize: Int) throws {
        guard blockSize >= minimumBlockSize else {
            throw BlockLabError.usage("verify=\(kind?.name ?? (isNull ? "null" : "pattern")): blocks must be at least \(minimumBlockSize) bytes "
                + "(header and checksum), bs is \(blockSize)")
        }
        if headerOffset > 0, headerOffset + headerLength > intervalLength(blockSize) {
            throw BlockLabError.usage("verify_offset=\(headerOffset) puts the \(headerLength)-byte header past the end of a \(intervalLength(blockSize))-byte block")
        }
    }

    /// fio's get_hdr_inc: the interval, or the whole block when the interval is larger.
    @inline(__always)
    func intervalLength(_ length: Int) -> Int { interval > 0 && interval <= length ? interval : length }

    /// What a write stamps into its headers.
    public struct Stamp: Sendable, Equatable {
        /// fio's numberio: the job's count of writes before this one (headers keep 16 bits).
        public var numberio: UInt64
        /// When the write was taken up (monotonic ns).
        public var timeNs: UInt64
        /// Seed of the pseudo-random data (0: derived from offset and numberio).
        public var seed: UInt64
        public init(numberio: UInt64, timeNs: UInt64 = 0, seed: UInt64 = 0) {
            self.numberio = numberio
            self.timeNs = timeNs
            self.seed = seed
        }
    }

    /// Fills `buffer` (length bytes) with the data block `offset` should hold for this write.
    /// `length` must be at least `minimumBlockSize` (see `validate(blockSize:)`).
    public func fill(_ buffer: UnsafeMutableRawPointer, length: Int, offset: UInt64, stamp: Stamp) {
        if isNull {
            let seed = stamp.seed != 0 ? stamp.seed : Payload.key(offset: offset, generation: stamp.numberio &+ (UInt64(thread) << 48))
            Payload.fill(buffer, count: length, offset: 0, generation: seed)
            return
        }
        guard let kind else {
            fillPattern(buffer, from: 0, count: length)
            return
        }
        precondition(length >= minimumBlockSize, "verify block shorter than header + checksum")
        let seed = stamp.seed != 0 ? stamp.seed : Payload.key(offset: offset, generation: stamp.numberio &+ (UInt64(thread) << 48))
        if pattern != nil {
            fillPattern(buffer, from: 0, count: length)
        } else {
            Payload.fill(buffer, count: length, offset: 0, generation: seed)
        }
        let inc = intervalLength(length)
        let slot = kind.slotLength
        var start = 0, n: UInt64 = 0
        while start < length {
            let len = Swift.min(inc, length - start)
            let h = buffer + start
            h.storeBytes(of: VerifyCodec.magic.littleEndian, toByteOffset: 0, as: UInt16.self)
            h.storeBytes(of: typeNumber.littleEndian, toByteOffset: 2, as: UInt16.self)
            h.storeBytes(of: UInt32(truncatingIfNeeded: len).littleEndian, toByteOffset: 4, as: UInt32.self)
            h.storeBytes(of: seed.littleEndian, toByteOffset: 8, as: UInt64.self)
            h.storeBytes(of: (offset &+ n &* UInt64(inc)).littleEndian, toByteOffset: 16, as: UInt64.self)
            h.storeBytes(of: UInt32(truncatingIfNeeded: stamp.timeNs / 1_000_000_000).littleEndian, toByteOffset: 24, as: UInt32.self)
            h.storeBytes(of: UInt32(truncatingIfNeeded: stamp.timeNs % 1_000_000_000).littleEndian, toByteOffset: 28, as: UInt32.self)
            h.storeBytes(of: thread.littleEndian, toByteOffset: 32, as: UInt16.self)
            h.storeBytes(of: UInt16(truncatingIfNeeded: stamp.numberio).littleEndian, toByteOffset: 34, as: UInt16.self)
            h.storeBytes(of: VerifyCodec.headerCRC(h).littleEndian, toByteOffset: 36, as: UInt32.self)
            let dataStart = VerifyCodec.headerSize + slot
            if len > dataStart {
                Digests.store(kind, of: UnsafeRawPointer(h + dataStart), count: len - dataStart, to: h + VerifyCodec.headerSize)
            }
            if headerOffset > 0 { swapHeader(h) }
            start += len
            n += 1
        }
    }

    /// Source compatibility: `generation` is the write's numberio.
    public func fill(_ buffer: UnsafeMutableRawPointer, length: Int, offset: UInt64, generation: UInt64) {
        fill(buffer, length: length, offset: offset, stamp: Stamp(numberio: generation))
    }

    /// fio's memswp of the header with the bytes at verify_offset (its own inverse).
    @inline(__always)
    func swapHeader(_ h: UnsafeMutableRawPointer) {
        let n = headerLength
        var i = 0
        while i < n {
            let a = h.load(fromByteOffset: i, as: UInt8.self)
            h.storeBytes(of: h.load(fromByteOffset: headerOffset + i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
            h.storeBytes(of: a, toByteOffset: headerOffset + i, as: UInt8.self)
            i += 1
        }
    }

    /// fio's header crc32: its crc32c (no final inversion) of the bytes before the field.
    static func headerCRC(_ p: UnsafeRawPointer) -> UInt32 { ~CRC32C.checksum(p, count: 36) }

    /// `count` bytes of the pattern as it lies from block byte `from` on.
    func fillPattern(_ p: UnsafeMutableRawPointer, from: Int, count: Int) {
        expanded.withUnsafeBytes { e in
            var done = 0
            let n = pattern!.count
            while done < count {
                let phase = (from + done) % n
                let k = Swift.min(e.count - phase, count - done)
                (p + done).copyMemory(from: e.baseAddress! + phase, byteCount: k)
                done += k
            }
        }
    }
}
