// Little-endian encoding for the metadata journal, plus CRC-32C.
// CRC-32C is written by hand because none of the packages in Package.swift offer it
// (swift-crypto has only cryptographic hashes, which are slower than needed per frame).

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func str(_ s: String) {
        let u = Array(s.utf8)
        u32(UInt32(u.count))
        bytes.append(contentsOf: u)
    }
}

struct FormatError: Error { let message: String }

struct ByteReader {
    let bytes: [UInt8]
    var pos: Int
    let end: Int

    init(_ bytes: [UInt8], from: Int, to: Int) { self.bytes = bytes; pos = from; end = to }

    var atEnd: Bool { pos >= end }

    mutating func u8() throws -> UInt8 {
        guard pos + 1 <= end else { throw FormatError(message: "truncated record") }
        defer { pos += 1 }
        return bytes[pos]
    }
    mutating func u32() throws -> UInt32 {
        guard pos + 4 <= end else { throw FormatError(message: "truncated record") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[pos + i]) << (8 * UInt32(i)) }
        pos += 4
        return v
    }
    mutating func u64() throws -> UInt64 {
        let lo = try u32(), hi = try u32()
        return UInt64(hi) << 32 | UInt64(lo)
    }
    mutating func str() throws -> String {
        let n = Int(try u32())
        guard n <= end - pos else { throw FormatError(message: "truncated string") }
        guard let s = String(validating: bytes[pos..<pos + n], as: UTF8.self) else { throw FormatError(message: "string is not valid UTF-8") }
        pos += n
        return s
    }
}
