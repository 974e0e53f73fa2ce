import Synchronization
import Throttle

/// How EBS counts I/O ("I/O characteristics and monitoring"): an operation is at most
/// `opSize` (256 KiB SSD, 1 MiB HDD); larger I/Os are split; an I/O that starts where the
/// previous one ended continues the open operation until it is full (8 sequential 32 KiB
/// I/Os are one SSD operation, 8 random ones are eight). On HDD a small random I/O costs a
/// whole operation of throughput credit, so there each operation is charged `opSize` bytes.
///
/// The open operation is shared by all threads using the volume (it is one device): its
/// state, (end offset of the last I/O, bytes in the open operation), is one 128-bit atomic,
/// and the running count of EBS operations rides in the same word (bits 21... of the second
/// half, beside the open bytes, which need at most 21 bits) so counting them costs no extra
/// locked instruction. That count wraps after 2^43 operations (100 days at 1 M IOPS).
public final class EBSAccounting: @unchecked Sendable {
    public let opSize: UInt64
    public let chargeFullOps: Bool
    /// `.exclusive`: one thread at a time; the state lives in the two plain words.
    public let sharing: Sharing
    private let open = Atomic<WordPair>(WordPair(first: UInt.max, second: 0))
    static let bytesBits: UInt64 = 21
    static let bytesMask: UInt64 = (1 << bytesBits) - 1
    /// Plain copies of `open`'s halves used as the expected value (see DualTokenBucket: a
    /// 128-bit atomic load costs a locked cmpxchg16b on x86-64).
    private let shadowEnd = Atomic<UInt64>(.max)
    private let shadowBytes = Atomic<UInt64>(0)
    /// Raw I/Os, raw bytes, charged bytes (per-thread stripes: no locked add per I/O).
    private let counters = PerThreadCounters(fields: 3)

    public init(opSize: UInt64, chargeFullOps: Bool, sharing: Sharing = .shared) {
        precondition(opSize > 0 && opSize <= Self.bytesMask)
        self.opSize = opSize
        self.chargeFullOps = chargeFullOps
        self.sharing = sharing
    }

    /// Pure rule: the operations an I/O adds given the open operation's state, and the new state.
    @inline(__always)
    public static func count(offset: UInt64, length: UInt64, openEnd: UInt64, openBytes: UInt64, opSize: UInt64)
        -> (ops: UInt64, openBytes: UInt64) {
        guard length > 0 else { return (0, openBytes) }
        var rest = length
        if offset == openEnd && openBytes > 0 && openBytes < opSize {
            // Continues the open operation: fill it first.
            let room = opSize - openBytes
            if rest <= room { return (0, openBytes + rest) }
            rest -= room
        }
        // Operation sizes are powers of two (256 KiB, 1 MiB): shift and mask instead of two
        // 64-bit divisions (tens of cycles each) on every I/O.
        let ops: UInt64, tail: UInt64
        if opSize & (opSize - 1) == 0 {
            ops = (rest + opSize - 1) >> UInt64(opSize.trailingZeroBitCount)
            tail = rest & (opSize - 1)
        } else {
            ops = (rest + opSize - 1) / opSize
            tail = rest % opSize
        }
        return (ops, tail == 0 ? opSize : tail)
    }

    /// Counts one I/O: returns the EBS operations and the bytes charged to throughput.
    @inline(__always)
    public func account(offset: UInt64, length: UInt32) -> (ops: UInt64, bytes: UInt64) {
        account(offset: offset, length: length, slot: ThreadSlot.current)
    }

    /// As above, for a caller that already has its `ThreadSlot`.
    @inline(__always)
    func account(offset: UInt64, length: UInt32, slot: Int) -> (ops: UInt64, bytes: UInt64) {
        let len = UInt64(length)
        var w = WordPair(first: UInt(shadowEnd.load(ordering: .relaxed)), second: UInt(shadowBytes.load(ordering: .relaxed)))
        var result: (ops: UInt64, openBytes: UInt64)
        var next: UInt64 = 0
        while true {
            let packed = UInt64(w.second)
            result = Self.count(offset: offset, length: len, openEnd: UInt64(w.first), openBytes: packed & Self.bytesMask, opSize: opSize)
            next = ((packed >> Self.bytesBits) &+ result.ops) << Self.bytesBits | result.openBytes
            if sharing == .exclusive { break }
            let r = open.compareExchange(expected: w, desired: WordPair(first: UInt(offset &+ len), second: UInt(next)), ordering: .relaxed)
            if r.exchanged { break }
            w = r.original
        }
        shadowEnd.store(offset &+ len, ordering: .relaxed)
        shadowBytes.store(next, ordering: .relaxed)
        let charged = chargeFullOps ? result.ops * opSize : len
        counters.add(0, 1, slot: slot)
        counters.add(1, len, slot: slot)
        // On SSD the charged bytes are the raw bytes: no second counter needed.
        if chargeFullOps { counters.add(2, charged, slot: slot) }
        return (result.ops, charged)
    }

    public struct Totals: Sendable, Equatable {
        public var rawIOs: UInt64, rawBytes: UInt64, ebsOps: UInt64, chargedBytes: UInt64
    }

    public var totals: Totals {
        let raw = counters.total(1)
        return Totals(rawIOs: counters.total(0), rawBytes: raw,
                      ebsOps: (sharing == .shared ? UInt64(open.load(ordering: .relaxed).second) : shadowBytes.load(ordering: .relaxed)) >> Self.bytesBits,
                      chargedBytes: chargeFullOps ? counters.total(2) : raw)
    }
}
