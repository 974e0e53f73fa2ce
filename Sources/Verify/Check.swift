import BlockLabCore
import Crypto

/// A block that failed its check: what was wrong and which interval, for the message
/// and for verify_dump.
public struct VerifyFailure: Sendable {
    public var message: String
    /// The failing interval: its position in the block and its length.
    public var intervalStart: Int
    public var intervalLength: Int
    /// The header itself was wrong (fio dumps such an interval as `hdr_fail`).
    public var headerFailure: Bool
}

extension VerifyCodec {
    /// Checks a block read from `offset`; nil if good, otherwise a message naming the
    /// offset and what differed.
    public func check(_ buffer: UnsafeRawPointer, length: Int, offset: UInt64) -> String? {
        check(UnsafeMutableRawPointer(mutating: buffer), length: length, offset: offset, numberio: nil)?.message
    }

    /// Checks a block read from `offset`, as fio's verify_io_u: each interval's header
    /// (magic, crc, length, offset, and `numberio` when the job knows which write the
    /// block must hold), then its checksum or pattern. Without `all`, stops at the first bad
    /// interval (verify_fatal); with it, checks a block's every interval and reports them
    /// all, as fio goes on after a bad checksum. A header failure always ends the check.
    /// With verify_offset the headers are swapped back in place.
    public func check(_ buffer: UnsafeMutableRawPointer, length: Int, offset: UInt64, numberio: UInt64?, all: Bool = false) -> VerifyFailure? {
        if isNull { return nil }
        guard let kind else {
            guard let m = checkPattern(UnsafeRawPointer(buffer), from: 0, count: length, blockOffset: offset) else { return nil }
            return VerifyFailure(message: "verify: offset \(offset) (\(length) bytes): " + m, intervalStart: 0, intervalLength: length, headerFailure: false)
        }
        let inc = intervalLength(length)
        var start = 0, n: UInt64 = 0
        var first: VerifyFailure?
        var more = 0
        while start < length {
            let len = Swift.min(inc, length - start)
            let h = buffer + start
            if headerOffset > 0, len >= headerOffset + headerLength { swapHeader(h) }
            let at = offset &+ UInt64(start)
            if let m = checkHeader(UnsafeRawPointer(h), length: len, offset: at, expectedOffset: offset &+ n &* UInt64(inc), kind: kind, numberio: numberio) {
                let f = VerifyFailure(message: m, intervalStart: start, intervalLength: len, headerFailure: true)
                if var first {
                    first.message += "; and at \(at): " + m
                    return first
                }
                return f
            }
            if let m = checkData(UnsafeRawPointer(h), length: len, offset: at, blockStart: start, kind: kind) {
                if first == nil {
                    first = VerifyFailure(message: m, intervalStart: start, intervalLength: len, headerFailure: false)
                    if !all { return first }
                } else {
                    more += 1
                }
            }
            start += len
            n += 1
        }
        if more > 0 { first?.message += " (and \(more) more bad interval\(more == 1 ? "" : "s") in this block)" }
        return first
    }

    func checkHeader(_ p: UnsafeRawPointer, length: Int, offset: UInt64, expectedOffset: UInt64, kind: Kind, numberio: UInt64?) -> String? {
        // Messages are built only on failure: the good path must not allocate.
        var at: String { "verify: offset \(offset) (\(length) bytes)" }
        guard length >= VerifyCodec.headerSize + kind.slotLength else {
            return "\(at): block shorter than the \(kind.name) header and checksum (\(VerifyCodec.headerSize + kind.slotLength) bytes)"
        }
        let magic = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
        guard magic == VerifyCodec.magic else {
            return "\(at): bad magic header \(hex16(magic)), wanted \(hex16(VerifyCodec.magic)): no fio verify header, "
                + "block never written by this job or overwritten"
        }
        let storedCRC = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 36, as: UInt32.self))
        let headerCRC = VerifyCodec.headerCRC(p)
        guard storedCRC == headerCRC else {
            return "\(at): header corrupted: bad header crc \(hex(storedCRC)), calculated \(hex(headerCRC))"
        }
        let storedLength = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard storedLength == UInt32(truncatingIfNeeded: length) else {
            return "\(at): bad header length \(storedLength), wanted \(length)"
        }
        let storedOffset = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        guard storedOffset == expectedOffset else {
            return "\(at): bad header offset \(storedOffset), wanted \(expectedOffset): holds the data written for offset \(storedOffset) (data of another block)"
        }
        if let numberio {
            let stored = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 34, as: UInt16.self))
            let want = UInt16(truncatingIfNeeded: numberio)
            guard stored == want else {
                return "\(at): bad header numberio \(stored), wanted \(want): holds another write of this block (stale or lost write)"
            }
        }
        let storedType = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let known = storedType == typeNumber || (kind == .crc32c && (storedType == Kind.crc32c.rawValue || storedType == VerifyCodec.crc32cIntelType))
        guard known else {
            let name = Kind(rawValue: storedType)?.name ?? "verify type \(storedType)"
            return "\(at): verify type mismatch: block was written with verify=\(name), checking with verify=\(kind.name)"
        }
        return nil
    }

    func checkData(_ p: UnsafeRawPointer, length: Int, offset: UInt64, blockStart: Int, kind: Kind) -> String? {
        let dataStart = VerifyCodec.headerSize + kind.slotLength
        guard kind != .meta && kind != .pattern else {
            // fio's verify=meta checks the header, and the pattern when there is one.
            guard pattern != nil,
                  let m = checkPattern(p + dataStart, from: blockStart + dataStart, count: length - dataStart, blockOffset: offset - UInt64(blockStart))
            else { return nil }
            return "verify: offset \(offset) (\(length) bytes): " + m
        }
        let count = length - dataStart
        if Digests.matches(kind, of: p + dataStart, count: count, stored: p + VerifyCodec.headerSize) { return nil }
        // Failure path only: say what the digest was and where the data first differs.
        let stored = Digests.hex(p + VerifyCodec.headerSize, count: kind.digestLength)
        let computed = Digests.computedHex(kind, of: p + dataStart, count: count)
        var msg = "verify: offset \(offset) (\(length) bytes): \(kind.name) mismatch: expected \(stored) (stored), got \(computed) (computed)"
        if pattern != nil {
            if let d = checkPattern(p + dataStart, from: blockStart + dataStart, count: count, blockOffset: offset - UInt64(blockStart)) {
                msg += "; " + d
            }
        } else {
            let seed = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            if let (i, want, got) = Payload.firstDifference(p + dataStart, count: count, blockByte: blockStart + dataStart, generation: seed) {
                let pos = i + dataStart
                msg += "; first differing byte at \(offset + UInt64(pos)) (block +\(blockStart + pos)): expected \(hex8(want)), got \(hex8(got))"
            } else {
                msg += "; payload intact, the stored checksum itself is damaged"
            }
        }
        return msg
    }

    /// Compares `count` bytes with the pattern as it lies from block byte `from` on; the
    /// first difference, for a message.
    func checkPattern(_ p: UnsafeRawPointer, from: Int, count: Int, blockOffset: UInt64) -> String? {
        let n = pattern!.count
        let bad: Int? = expanded.withUnsafeBytes { e in
            var done = 0
            while done < count {
                let phase = (from + done) % n
                let k = Swift.min(e.count - phase, count - done)
                if memcmp(p + done, e.baseAddress! + phase, k) != 0 {
                    for i in 0..<k where p.load(fromByteOffset: done + i, as: UInt8.self) != e[phase + i] { return done + i }
                }
                done += k
            }
            return nil
        }
        guard let i = bad else { return nil }
        let pos = from + i
        let got = p.load(fromByteOffset: i, as: UInt8.self)
        return "pattern mismatch at \(blockOffset + UInt64(pos)) (block +\(pos)): "
            + "expected \(hex8(expanded[pos % n])), got \(hex8(got))"
    }

    /// The block as it should have been written, for verify_dump's `.expected` file: the
    /// seed and time come from the header read back (as fio regenerates from its
    /// rand_seed), the offset and numberio from what the job expected there.
    public func expected(into buffer: UnsafeMutableRawPointer, length: Int, offset: UInt64, received: UnsafeRawPointer,
                         failure: VerifyFailure, numberio: UInt64?) {
        guard kind != nil else {
            fillPattern(buffer, from: 0, count: length)
            return
        }
        let h = received + failure.intervalStart
        var seed: UInt64 = 0, time: UInt64 = 0, n: UInt64 = numberio ?? 0
        if !failure.headerFailure || UInt16(littleEndian: h.loadUnaligned(as: UInt16.self)) == VerifyCodec.magic {
            seed = UInt64(littleEndian: h.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            time = UInt64(UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 24, as: UInt32.self))) * 1_000_000_000
                + UInt64(UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 28, as: UInt32.self)))
            if numberio == nil { n = UInt64(UInt16(littleEndian: h.loadUnaligned(fromByteOffset: 34, as: UInt16.self))) }
        }
        fill(buffer, length: length, offset: offset, stamp: Stamp(numberio: n, timeNs: time, seed: seed))
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

func hex16(_ v: UInt16) -> String { "0x" + String(v, radix: 16) }

func hex8(_ v: UInt8) -> String {
    let s = String(v, radix: 16)
    return "0x" + (s.count < 2 ? "0" : "") + s
}

#if canImport(Glibc)
import Glibc
#endif
