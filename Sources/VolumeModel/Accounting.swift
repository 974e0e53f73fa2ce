import Synchronization

/// How EBS counts I/O ("I/O characteristics and monitoring"): an operation is at most
/// `opSize` (256 KiB SSD, 1 MiB HDD); larger I/Os are split; an I/O that starts where the
/// previous one ended continues the open operation until it is full (8 sequential 32 KiB
/// I/Os are one SSD operation, 8 random ones are eight). On HDD a small random I/O costs a
/// whole operation of throughput credit, so there each operation is charged `opSize` bytes.
///
/// The open operation is shared by all threads using the volume (it is one device): its
/// state, (end offset of the last I/O, bytes in the open operation), is one 128-bit atomic.
public final class EBSAccounting: @unchecked Sendable {
    public let opSize: UInt64
    public let chargeFullOps: Bool
    private let open = Atomic<WordPair>(WordPair(first: UInt.max, second: 0))
    private let rawIOs = Atomic<UInt64>(0)
    private let rawBytes = Atomic<UInt64>(0)
    private let ebsOps = Atomic<UInt64>(0)
    private let chargedBytes = Atomic<UInt64>(0)

    public init(opSize: UInt64, chargeFullOps: Bool) {
        precondition(opSize > 0)
        self.opSize = opSize
        self.chargeFullOps = chargeFullOps
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
        let ops = (rest + opSize - 1) / opSize
        let tail = rest % opSize
        return (ops, tail == 0 ? opSize : tail)
    }

    /// Counts one I/O: returns the EBS operations and the bytes charged to throughput.
    @inline(__always)
    public func account(offset: UInt64, length: UInt32) -> (ops: UInt64, bytes: UInt64) {
        let len = UInt64(length)
        var w = open.load(ordering: .relaxed)
        var result: (ops: UInt64, openBytes: UInt64)
        while true {
            result = Self.count(offset: offset, length: len, openEnd: UInt64(w.first), openBytes: UInt64(w.second), opSize: opSize)
            let r = open.compareExchange(expected: w, desired: WordPair(first: UInt(offset &+ len), second: UInt(result.openBytes)), ordering: .relaxed)
            if r.exchanged { break }
            w = r.original
        }
        let charged = chargeFullOps ? result.ops * opSize : len
        rawIOs.add(1, ordering: .relaxed)
        rawBytes.add(len, ordering: .relaxed)
        ebsOps.add(result.ops, ordering: .relaxed)
        chargedBytes.add(charged, ordering: .relaxed)
        return (result.ops, charged)
    }

    public struct Totals: Sendable, Equatable {
        public var rawIOs: UInt64, rawBytes: UInt64, ebsOps: UInt64, chargedBytes: UInt64
    }

    public var totals: Totals {
        Totals(rawIOs: rawIOs.load(ordering: .relaxed), rawBytes: rawBytes.load(ordering: .relaxed),
               ebsOps: ebsOps.load(ordering: .relaxed), chargedBytes: chargedBytes.load(ordering: .relaxed))
    }
}
