import BlockLabCore
import Testing
@testable import Verify

/// A block-sized buffer for the codec to work on.
final class Block {
    let p: UnsafeMutableRawPointer
    let count: Int
    init(_ count: Int) {
        self.count = count
        p = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 4096)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: count)
    }
    deinit { p.deallocate() }
    subscript(i: Int) -> UInt8 {
        get { p.load(fromByteOffset: i, as: UInt8.self) }
        set { p.storeBytes(of: newValue, toByteOffset: i, as: UInt8.self) }
    }
    func copy(from other: Block) { p.copyMemory(from: other.p, byteCount: count) }
}

let kinds: [String] = ["crc32c", "md5", "sha256"]

@Suite struct CRC32CTests {
    @Test func knownAnswer() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        // RFC 3720 B.4: 32 bytes of zeros.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func chainingAndAllLengthsMatchBytewise() {
        let data = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        func slow(_ b: ArraySlice<UInt8>) -> UInt32 {
            var c: UInt32 = ~0
            for x in b { c ^= UInt32(x); for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 } }
            return ~c
        }
        for n in 0...data.count { #expect(CRC32C.checksum(Array(data[0..<n])) == slow(data[0..<n])) }
        let whole = CRC32C.checksum(data)
        let a = CRC32C.checksum(Array(data[0..<37]))
        let chained = data[37...].withUnsafeBytes { CRC32C.checksum($0.baseAddress!, count: $0.count, seed: a) }
        #expect(chained == whole)
    }
}

@Suite struct VerifyCodecTests {
    @Test(arguments: kinds) func roundTrip(kind: String) throws {
        let codec = try VerifyCodec(kind: kind, pattern: nil)
        for size in [try VerifyCodec.minimumBlockSize(kind), 512, 4096, 4099, 65536] {
            let b = Block(size)
            codec.fill(b.p, length: size, offset: 1 << 30, generation: 7)
            #expect(codec.check(b.p, length: size, offset: 1 << 30) == nil, "\(kind) \(size)")
        }
    }

    @Test(arguments: kinds) func roundTripWithPattern(kind: String) throws {
        let codec = try VerifyCodec(kind: kind, pattern: [0xDE, 0xAD, 0xBE, 0xEF, 0x01])
        let b = Block(4096)
        codec.fill(b.p, length: 4096, offset: 8192, generation: 1)
        #expect(codec.check(b.p, length: 4096, offset: 8192) == nil)
        // fio's layout: the pattern lies from the block's start, the header over it.
        let slot = try #require(VerifyCodec.Kind(fioName: kind)).slotLength
        let data = VerifyCodec.headerSize + slot
        let pattern: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF, 0x01]
        #expect(b[data] == pattern[data % 5] && b[data + 1] == pattern[(data + 1) % 5] && b[4095] == pattern[4095 % 5])
        #expect(b[0] == 0xca && b[1] == 0xac) // fio's magic 0xacca, little-endian
    }

    @Test(arguments: kinds) func flippedPayloadByteIsLocated(kind: String) throws {
        let codec = try VerifyCodec(kind: kind, pattern: nil)
        let b = Block(4096)
        codec.fill(b.p, length: 4096, offset: 40960, generation: 3)
        b[1000] ^= 0x10
        let msg = try #require(codec.check(b.p, length: 4096, offset: 40960))
        #expect(msg.contains("offset 40960"))
        #expect(msg.contains("\(kind) mismatch"))
        #expect(msg.contains("first differing byte at \(40960 + 1000)"))
    }

    @Test func flippedHeaderByteIsReported() throws {
        let codec = try VerifyCodec(kind: "crc32c", pattern: nil)
        let b = Block(4096)
        codec.fill(b.p, length: 4096, offset: 0, generation: 0)
        b[20] ^= 1
        let msg = try #require(codec.check(b.p, length: 4096, offset: 0))
        #expect(msg.contains("offset 0") && msg.contains("header corrupted"))
    }

    @Test(arguments: kinds) func blockOfAnotherOffsetIsNamed(kind: String) throws {
        let codec = try VerifyCodec(kind: kind, pattern: nil)
        let b = Block(4096)
        codec.fill(b.p, length: 4096, offset: 4096 * 5, generation: 2)
        let msg = try #require(codec.check(b.p, length: 4096, offset: 4096 * 9))
        #expect(msg.contains("offset \(4096 * 9)"))
        #expect(msg.contains("written for offset \(4096 * 5)"))
        #expect(msg.contains("another block"))
    }

    @Test func unwrittenBlockHasBadMagic() throws {
        let codec = try VerifyCodec(kind: "sha256", pattern: nil)
        let b = Block(512)
        let msg = try #require(codec.check(b.p, length: 512, offset: 512))
        #expect(msg.contains("bad magic") && msg.contains("offset 512"))
    }

    @Test func generationsDiffer() throws {
        let codec = try VerifyCodec(kind: "crc32c", pattern: nil)
        let a = Block(4096), b = Block(4096)
        codec.fill(a.p, length: 4096, offset: 0, generation: 1)
        codec.fill(b.p, length: 4096, offset: 0, generation: 2)
        #expect(memcmp(a.p + 44, b.p + 44, 4000) != 0)
        // A damaged checksum with an intact payload is told apart from damaged data.
        a[VerifyCodec.headerSize] ^= 0xFF
        let msg = try #require(codec.check(a.p, length: 4096, offset: 0))
        #expect(msg.contains("stored checksum itself is damaged"))
    }

    @Test func patternOnly() throws {
        let codec = try VerifyCodec(kind: "pattern", pattern: [0xAA, 0x55, 0x01])
        let b = Block(10000)
        codec.fill(b.p, length: 10000, offset: 0, generation: 0)
        #expect(b[0] == 0xAA && b[1] == 0x55 && b[2] == 0x01 && b[9999] == [0xAA, 0x55, 0x01][9999 % 3])
        #expect(codec.check(b.p, length: 10000, offset: 65536) == nil)
        b[5000] = 0
        let msg = try #require(codec.check(b.p, length: 10000, offset: 65536))
        #expect(msg.contains("pattern mismatch at \(65536 + 5000)"))
        #expect(msg.contains("expected 0x01, got 0x00")) // 5000 % 3 == 2 -> 0x01
    }

    @Test func usageErrors() throws {
        #expect(throws: BlockLabError.self) { try VerifyCodec(kind: "crc99", pattern: nil) }
        #expect(throws: BlockLabError.self) { try VerifyCodec(kind: nil, pattern: nil) }
        #expect(throws: BlockLabError.self) { try VerifyCodec(kind: "md5", pattern: []) }
        // fio's 40-byte header, the checksum's slot, and at least a byte of data.
        #expect(try VerifyCodec.minimumBlockSize("crc32c") == 45)
        #expect(try VerifyCodec.minimumBlockSize("sha256") == 105)
        #expect(try VerifyCodec.minimumBlockSize("meta") == 41)
        #expect(try VerifyCodec.minimumBlockSize("pattern") == 1)
        #expect(try VerifyCodec.minimumBlockSize(nil) == 41) // verify_pattern alone: fio's header, then the pattern
        let implicit = try VerifyCodec(kind: nil, pattern: [0x12])
        #expect(implicit.kind == .pattern && implicit.headerLength == 40)
        let codec = try VerifyCodec(kind: "crc32c-intel", pattern: nil)
        #expect(codec.kind == .crc32c)
        #expect(throws: BlockLabError.self) { try codec.validate(blockSize: 16) }
        try codec.validate(blockSize: 512)
    }
}

#if canImport(Glibc)
import Glibc
#endif
