import BlockLabCore
import Crypto

/// The block checksums. md5 and sha256 come from swift-crypto (its hasher allocates one
/// small context object per block; CRC-32C, the usual choice, allocates nothing).
enum Digests {
    static func store(_ kind: VerifyCodec.Kind, of p: UnsafeRawPointer, count: Int, to out: UnsafeMutableRawPointer) {
        let data = UnsafeRawBufferPointer(start: p, count: count)
        switch kind {
        case .meta: return
        case .crc32c:
            // fio's crc32c omits the final inversion.
            out.storeBytes(of: (~CRC32C.checksum(p, count: count)).littleEndian, toByteOffset: 0, as: UInt32.self)
        case .md5:
            md5(data).withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        case .sha256:
            sha256(data).withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    static func matches(_ kind: VerifyCodec.Kind, of p: UnsafeRawPointer, count: Int, stored: UnsafeRawPointer) -> Bool {
        let data = UnsafeRawBufferPointer(start: p, count: count)
        switch kind {
        case .meta: return true
        case .crc32c:
            return ~CRC32C.checksum(p, count: count) == UInt32(littleEndian: stored.loadUnaligned(as: UInt32.self))
        case .md5:
            return md5(data).withUnsafeBytes { equal($0, stored) }
        case .sha256:
            return sha256(data).withUnsafeBytes { equal($0, stored) }
        }
    }

    static func md5(_ data: UnsafeRawBufferPointer) -> Insecure.MD5.Digest {
        var h = Insecure.MD5()
        h.update(bufferPointer: data)
        return h.finalize()
    }

    static func sha256(_ data: UnsafeRawBufferPointer) -> SHA256.Digest {
        var h = SHA256()
        h.update(bufferPointer: data)
        return h.finalize()
    }

    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawPointer) -> Bool {
        for i in 0..<a.count where a[i] != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        return true
    }

    /// crc32c prints as a 32-bit number, digests as hex bytes.
    static func hex(_ p: UnsafeRawPointer, count: Int) -> String {
        if count == 4 { return Verify.hex(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))) }
        return (0..<count).map { i -> String in
            let s = String(p.load(fromByteOffset: i, as: UInt8.self), radix: 16)
            return s.count < 2 ? "0" + s : s
        }.joined()
    }

    static func computedHex(_ kind: VerifyCodec.Kind, of p: UnsafeRawPointer, count: Int) -> String {
        var buf = [UInt8](repeating: 0, count: kind.slotLength)
        buf.withUnsafeMutableBytes { store(kind, of: p, count: count, to: $0.baseAddress!) }
        return buf.withUnsafeBytes { hex($0.baseAddress!, count: kind.digestLength) }
    }
}

/// The pseudo-random payload: a counter-based SplitMix64 stream keyed by (offset,
/// generation), so any byte can be regenerated to locate a difference.
enum Payload {
    @inline(__always)
    static func word(_ key: UInt64, _ index: UInt64) -> UInt64 {
        SplitMix64.mix(key &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    @inline(__always)
    static func key(offset: UInt64, generation: UInt64) -> UInt64 {
        word(offset ^ 0x424C_4B4C_4142_0000, generation)
    }

    static func fill(_ p: UnsafeMutableRawPointer, count: Int, offset: UInt64, generation: UInt64) {
        let k = key(offset: offset, generation: generation)
        var i = 0
        while i + 8 <= count {
            p.storeBytes(of: word(k, UInt64(i >> 3)).littleEndian, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        if i < count {
            var w = word(k, UInt64(i >> 3))
            while i < count {
                p.storeBytes(of: UInt8(truncatingIfNeeded: w), toByteOffset: i, as: UInt8.self)
                w >>= 8
                i += 1
            }
        }
    }

    /// The first byte that is not what `fill` (over the whole block, keyed by
    /// `generation` at offset 0) wrote from block byte `blockByte` on: (index, expected, got).
    static func firstDifference(_ p: UnsafeRawPointer, count: Int, blockByte: Int, generation: UInt64) -> (Int, UInt8, UInt8)? {
        let k = key(offset: 0, generation: generation)
        for i in 0..<count {
            let b = blockByte + i
            let want = UInt8(truncatingIfNeeded: word(k, UInt64(b >> 3)) >> (8 * UInt64(b & 7)))
            let got = p.load(fromByteOffset: i, as: UInt8.self)
            if want != got { return (i, want, got) }
        }
        return nil
    }
}
