import BlockLabCore
import Crypto

/// Fills write buffers with checkable data and checks what is read back (fio's verify=).
/// Each block carries a small header (magic, offset, length, seed, checksum kind) and a
/// checksum of the block, so a read of block X can tell "wrong data" from "data of block Y".
///
/// Block layout (little-endian), when a checksum kind is set:
///
///     0  magic "BLKV"      4  header version (1)   5  kind   6  reserved (0)
///     8  block length     12  CRC-32C of the header (this field taken as absent)
///    16  offset           24  generation (seed of the payload)
///    32  payload: verify_pattern repeated, or pseudo-random from (offset, generation)
///   L-d  digest (d = 4, 16 or 32 bytes) of bytes 0 ..< L-d
///
/// With a pattern and no kind, the whole block is the pattern repeated (fio's
/// verify=pattern): no header, so a misplaced block cannot be told apart.
public struct VerifyCodec: Sendable {
    public enum Kind: UInt8, Sendable, CaseIterable {
        case crc32c = 1, md5 = 2, sha256 = 3

        public var name: String {
            switch self {
            case .crc32c: return "crc32c"
            case .md5: return "md5"
            case .sha256: return "sha256"
            }
        }

        public var digestLength: Int {
            switch self {
            case .crc32c: return 4
            case .md5: return 16
            case .sha256: return 32
            }
        }

        /// fio's spellings; crc32c-intel is fio's hardware-accelerated alias of crc32c.
        public init?(fioName: String) {
            switch fioName.lowercased() {
            case "crc32c", "crc32c-intel": self = .crc32c
            case "md5": self = .md5
            case "sha256": self = .sha256
            default: return nil
            }
        }
    }

    public static let magic: UInt32 = 0x564B_4C42 // "BLKV" in little-endian byte order
    public static let headerVersion: UInt8 = 1
    public static let headerSize = 32

    /// nil: pattern only.
    public let kind: Kind?
    public let pattern: [UInt8]?
    /// The pattern repeated to at least 4 KiB, a whole number of times, so fill and check
    /// copy and compare in large chunks.
    let expanded: [UInt8]

    /// - kind: "crc32c" (or "crc32c-intel"), "md5", "sha256"; nil or "pattern" for pattern only.
    /// - pattern: verify_pattern bytes; required when kind is nil.
    public init(kind: String?, pattern: [UInt8]?) throws {
        if let pattern, pattern.isEmpty { throw BlockLabError.usage("verify_pattern: empty pattern") }
        if let kind, kind.lowercased() != "pattern" {
            guard let k = Kind(fioName: kind) else {
                throw BlockLabError.usage("verify=\(kind): unsupported (use crc32c, md5, sha256, or verify_pattern alone)")
            }
            self.kind = k
        } else {
            guard pattern != nil else {
                throw BlockLabError.usage("verify\(kind.map { "=\($0)" } ?? ""): needs verify_pattern")
            }
            self.kind = nil
        }
        self.pattern = pattern
        if let pattern {
            var e: [UInt8] = []
            while e.count < 4096 { e += pattern }
            expanded = e
        } else {
            expanded = []
        }
    }

    /// The smallest block `kind` can verify: header plus digest (1 byte for pattern only).
    public static func minimumBlockSize(_ kind: String?) throws -> Int {
        guard let kind, kind.lowercased() != "pattern" else { return 1 }
        guard let k = Kind(fioName: kind) else {
            throw BlockLabError.usage("verify=\(kind): unsupported (use crc32c, md5, sha256, or verify_pattern alone)")
        }
        return headerSize + k.digestLength
    }

    public var minimumBlockSize: Int { kind.map { VerifyCodec.headerSize + $0.digestLength } ?? 1 }

    /// Throws a usage error naming the option when `blockSize` is too small for this codec.
    public func validate(blockSize: Int) throws {
        guard blockSize >= minimumBlockSize else {
            throw BlockLabError.usage("verify=\(kind?.name ?? "pattern"): blocks must be at least \(minimumBlockSize) bytes "
                + "(header and checksum), bs is \(blockSize)")
        }
    }

    /// Fills `buffer` (length bytes) with the data block `offset` should hold for `generation`.
    /// `length` must be at least `minimumBlockSize` (see `validate(blockSize:)`).
    public func fill(_ buffer: UnsafeMutableRawPointer, length: Int, offset: UInt64, generation: UInt64) {
        guard let kind else {
            fillPattern(buffer, count: length)
            return
        }
        precondition(length >= minimumBlockSize, "verify block shorter than header + checksum")
        let h = VerifyCodec.headerSize
        buffer.storeBytes(of: VerifyCodec.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: VerifyCodec.headerVersion, toByteOffset: 4, as: UInt8.self)
        buffer.storeBytes(of: kind.rawValue, toByteOffset: 5, as: UInt8.self)
        buffer.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        buffer.storeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian, toByteOffset: 8, as: UInt32.self)
        buffer.storeBytes(of: offset.littleEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: generation.littleEndian, toByteOffset: 24, as: UInt64.self)
        buffer.storeBytes(of: VerifyCodec.headerCRC(buffer).littleEndian, toByteOffset: 12, as: UInt32.self)
        let payloadEnd = length - kind.digestLength
        if pattern != nil {
            fillPattern(buffer + h, count: payloadEnd - h)
        } else {
            Payload.fill(buffer + h, count: payloadEnd - h, offset: offset, generation: generation)
        }
        Digests.store(kind, of: UnsafeRawPointer(buffer), count: payloadEnd, to: buffer + payloadEnd)
    }

    /// Checks a block read from `offset`; nil if good, otherwise a message naming the
    /// offset and what differed.
    public func check(_ buffer: UnsafeRawPointer, length: Int, offset: UInt64) -> String? {
        guard let kind else { return checkPattern(buffer, count: length, blockOffset: offset, dataStart: 0) }
        return checkBlock(buffer, length: length, offset: offset, kind: kind)
    }

    static func headerCRC(_ p: UnsafeRawPointer) -> UInt32 {
        CRC32C.checksum(p + 16, count: 16, seed: CRC32C.checksum(p, count: 12))
    }

    func fillPattern(_ p: UnsafeMutableRawPointer, count: Int) {
        expanded.withUnsafeBytes { e in
            var done = 0
            while done < count {
                let n = min(e.count, count - done)
                (p + done).copyMemory(from: e.baseAddress!, byteCount: n)
                done += n
            }
        }
    }
}
