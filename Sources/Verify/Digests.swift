#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore
import Crypto

/// The block checksums. md5 comes from swift-crypto (its hasher allocates one
/// small context object per block; CRC-32C, the usual choice, allocates nothing).
enum Digests {
    static func store(_ kind: VerifyCodec.Kind, of p: UnsafeRawPointer, count: Int, to out: UnsafeMutableRawPointer) {
        let data = UnsafeRawBufferPointer(start: p, count: count)
        switch kind {
        case .meta, .pattern: return
        case .crc32c:
            // fio's crc32c omits the final inversion.
            out.storeBytes(of: (~CRC32C.checksum(p, count: count)).littleEndian, toByteOffset: 0, as: UInt32.self)
        case .md5:
            md5(data).withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        case .sha256:
            FioSHA256.digest(p, count: count, into: out)
        }
    }

    static func matches(_ kind: VerifyCodec.Kind, of p: UnsafeRawPointer, count: Int, stored: UnsafeRawPointer) -> Bool {
        let data = UnsafeRawBufferPointer(start: p, count: count)
        switch kind {
        case .meta, .pattern: return true
        case .crc32c:
            return ~CRC32C.checksum(p, count: count) == UInt32(littleEndian: stored.loadUnaligned(as: UInt32.self))
        case .md5:
            return md5(data).withUnsafeBytes { equal($0, stored) }
        case .sha256:
            return withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { t in
                FioSHA256.digest(p, count: count, into: t.baseAddress!)
                return memcmp(t.baseAddress!, stored, 64) == 0
            }
        }
    }

    static func md5(_ data: UnsafeRawBufferPointer) -> Insecure.MD5.Digest {
        var h = Insecure.MD5()
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

/// fio's "sha256" (crc/sha256.c as verify uses it), which is not the standard digest: the
/// SHA-256 compression over the data, padded with the bit length little-endian, and then
/// what fio keeps in its 64-byte slot is its working block, the last padded block, with
/// its first 8 bytes replaced by the low byte of each of the 8 state words. Written here
/// from that description so blocks checksummed by either tool check in the other.
enum FioSHA256 {
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    @inline(__always) static func ror(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    /// One SHA-256 compression of the 64 bytes at `p` (big-endian words) into `h`.
    static func compress(_ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
                         _ p: UnsafeRawPointer, _ w: UnsafeMutablePointer<UInt32>) {
        for i in 0..<16 { w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
        for i in 16..<64 {
            let s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = h
        for i in 0..<64 {
            let t1 = hh &+ (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
            let t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
            hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
        }
        h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e, h.5 &+ f, h.6 &+ g, h.7 &+ hh)
    }

    /// The 64 bytes fio stores for `count` bytes at `p`.
    static func digest(_ p: UnsafeRawPointer, count: Int, into out: UnsafeMutableRawPointer) {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { wb in
            let w = wb.baseAddress!
            var done = 0
            while count - done >= 64 {
                compress(&h, p + done, w)
                done += 64
            }
            // The padded tail: 0x80, zeros to 56 mod 64, then the bit count little-endian
            // (fio's count is 32 bits of bytes).
            withUnsafeTemporaryAllocation(byteCount: 128, alignment: 8) { tb in
                let t = tb.baseAddress!
                memset(t, 0, 128)
                let tail = count - done
                if tail > 0 { t.copyMemory(from: p + done, byteCount: tail) }
                t.storeBytes(of: UInt8(0x80), toByteOffset: tail, as: UInt8.self)
                let blocks = tail < 56 ? 1 : 2
                let bits = UInt64(UInt32(truncatingIfNeeded: count)) << 3
                t.storeBytes(of: bits.littleEndian, toByteOffset: blocks * 64 - 8, as: UInt64.self)
                compress(&h, UnsafeRawPointer(t), w)
                if blocks == 2 { compress(&h, UnsafeRawPointer(t + 64), w) }
                out.copyMemory(from: t + (blocks - 1) * 64, byteCount: 64)
            }
        }
        withUnsafeBytes(of: &h) { words in
            for i in 0..<8 { out.storeBytes(of: words[i * 4], toByteOffset: i, as: UInt8.self) }
        }
    }
}
