import BlockLabCore
import Crypto

extension VerifyCodec {
    func checkBlock(_ p: UnsafeRawPointer, length: Int, offset: UInt64, kind: Kind) -> String? {
        // Messages are built only on failure: the good path must not allocate.
        var at: String { "verify: offset \(offset) (\(length) bytes)" }
        guard length >= minimumBlockSize else {
            return "\(at): block shorter than the \(kind.name) header and checksum (\(minimumBlockSize) bytes)"
        }
        let magic = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard magic == VerifyCodec.magic else {
            return "\(at): bad magic \(hex(magic)) (expected \(hex(VerifyCodec.magic))): no BlockLab verify header, "
                + "block never written by this job or overwritten"
        }
        let storedCRC = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let headerCRC = VerifyCodec.headerCRC(p)
        guard storedCRC == headerCRC else {
            return "\(at): header corrupted: header crc32c expected \(hex(storedCRC)), got \(hex(headerCRC))"
        }
        let version = p.load(fromByteOffset: 4, as: UInt8.self)
        guard version == VerifyCodec.headerVersion else {
            return "\(at): header version \(version), this BlockLab reads \(VerifyCodec.headerVersion)"
        }
        let storedKind = p.load(fromByteOffset: 5, as: UInt8.self)
        guard storedKind == kind.rawValue else {
            let name = Kind(rawValue: storedKind)?.name ?? "unknown kind \(storedKind)"
            return "\(at): block was written with verify=\(name), checking with verify=\(kind.name)"
        }
        let storedLength = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let storedOffset = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        guard storedOffset == offset else {
            return "\(at): holds the data written for offset \(storedOffset) (data of another block)"
        }
        guard storedLength == UInt32(truncatingIfNeeded: length) else {
            return "\(at): header records a block of \(storedLength) bytes"
        }
        let payloadEnd = length - kind.digestLength
        if Digests.matches(kind, of: p, count: payloadEnd, stored: p + payloadEnd) { return nil }
        // Failure path only: say what the digest was and where the data first differs.
        let stored = Digests.hex(p + payloadEnd, count: kind.digestLength)
        let computed = Digests.computedHex(kind, of: p, count: payloadEnd)
        var msg = "\(at): \(kind.name) mismatch: expected \(stored) (stored), got \(computed) (computed)"
        let generation = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        if pattern != nil {
            if let d = checkPattern(p + VerifyCodec.headerSize, count: payloadEnd - VerifyCodec.headerSize,
                                    blockOffset: offset, dataStart: VerifyCodec.headerSize) {
                msg += "; " + d
            }
        } else if let (i, want, got) = Payload.firstDifference(p + VerifyCodec.headerSize, count: payloadEnd - VerifyCodec.headerSize,
                                                              offset: offset, generation: generation) {
            let pos = i + VerifyCodec.headerSize
            msg += "; first differing byte at \(offset + UInt64(pos)) (block +\(pos)): expected \(hex8(want)), got \(hex8(got))"
        } else {
            msg += "; payload intact, the stored checksum itself is damaged"
        }
        return msg
    }

    /// Compares `count` bytes with the pattern; `dataStart` is where they begin in the block.
    func checkPattern(_ p: UnsafeRawPointer, count: Int, blockOffset: UInt64, dataStart: Int) -> String? {
        let bad: Int? = expanded.withUnsafeBytes { e in
            var done = 0
            while done < count {
                let n = min(e.count, count - done)
                if memcmp(p + done, e.baseAddress!, n) != 0 {
                    for i in 0..<n where p.load(fromByteOffset: done + i, as: UInt8.self) != e[i] { return done + i }
                }
                done += n
            }
            return nil
        }
        guard let i = bad else { return nil }
        let pos = dataStart + i
        let got = p.load(fromByteOffset: i, as: UInt8.self)
        return "verify: offset \(blockOffset): pattern mismatch at \(blockOffset + UInt64(pos)) (block +\(pos)): "
            + "expected \(hex8(expanded[i % expanded.count])), got \(hex8(got))"
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

func hex8(_ v: UInt8) -> String {
    let s = String(v, radix: 16)
    return "0x" + (s.count < 2 ? "0" : "") + s
}

#if canImport(Glibc)
import Glibc
#endif
