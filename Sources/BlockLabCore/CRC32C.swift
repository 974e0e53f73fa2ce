/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as fio's verify=crc32c and iSCSI;
/// also the snapshot pool's journal checksum.
/// Written by hand because swift-crypto offers no CRC. Slicing-by-8: eight 256-entry tables
/// let the loop consume 8 bytes per step with table lookups only.
public enum CRC32C {
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC of `count` bytes at `p`. Pass a previous result as `seed` to continue it
    /// over more bytes (checksum(a + b) == checksum(b, seed: checksum(a))).
    @inline(__always)
    public static func checksum(_ p: UnsafeRawPointer, count: Int, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        tables.withUnsafeBufferPointer { t in
            var i = 0
            while i + 8 <= count {
                let lo = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ crc
                let hi = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < count {
                crc = t[Int((crc ^ UInt32(p.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return ~crc
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { $0.isEmpty ? 0 : checksum($0.baseAddress!, count: $0.count) }
    }

    /// The CRC of `bytes[from..<to]` (a range inside the array).
    public static func checksum(_ bytes: [UInt8], from: Int, to: Int) -> UInt32 {
        precondition(0 <= from && from <= to && to <= bytes.count, "CRC32C range outside the bytes")
        return bytes.withUnsafeBytes { from == to ? 0 : checksum($0.baseAddress! + from, count: to - from) }
    }
}
