import Throttle

/// How EBS counts I/O ("I/O characteristics and monitoring"): an operation is at most
/// `opSize` (256 KiB SSD, 1 MiB HDD); larger I/Os are split; an I/O that starts where the
/// previous one ended continues the open operation until it is full (8 sequential 32 KiB
/// I/Os are one SSD operation, 8 random ones are eight). On HDD a small random I/O costs a
/// whole operation of throughput credit, so there each operation is charged `opSize` bytes.
///
/// The open operation is shared by all threads using the volume (it is one device): its
/// state is two words, the end offset of the last I/O and the bytes in the open operation,
/// with the running count of EBS operations in the same word (bits 21..., beside the open
/// bytes, which need at most 21 bits), so counting them costs nothing extra. That count wraps
/// after 2^43 operations (100 days at 1 M IOPS). The words live in a `MultiWordCell`: the
/// volume's, where they change together with its buckets (see `VolumeShaper`), or one of
/// their own when the rule is used alone.
public final class EBSAccounting: @unchecked Sendable {
    public let opSize: UInt64
    public let chargeFullOps: Bool
    static let bytesBits: UInt64 = 21
    static let bytesMask: UInt64 = (1 << bytesBits) - 1
    /// The state's two words in `cell`, from `word`.
    let cell: MultiWordCell
    let word: Int
    /// Raw I/Os, raw bytes, charged bytes, and the time I/Os waited in the throttle
    /// (per-thread stripes: no locked add per I/O).
    private let counters = PerThreadCounters(fields: 4)
    /// The state of a volume no I/O has touched yet.
    static let initialWords: [UInt64] = [.max, 0]

    /// Alone, with a cell of its own (`sharing` as for a volume).
    public convenience init(opSize: UInt64, chargeFullOps: Bool, sharing: Sharing = .shared) {
        self.init(opSize: opSize, chargeFullOps: chargeFullOps, cell: MultiWordCell(initial: Self.initialWords, slots: ThreadSlot.slots,
                                                                                  exclusive: sharing == .exclusive), word: 0)
    }

    /// With its state at `word`, `word + 1` of `cell` (initialised to `initialWords`).
    init(opSize: UInt64, chargeFullOps: Bool, cell: MultiWordCell, word: Int) {
        precondition(opSize > 0 && opSize <= Self.bytesMask)
        self.opSize = opSize
        self.chargeFullOps = chargeFullOps
        self.cell = cell
        self.word = word
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
    public func account(offset: UInt64, length: UInt32) -> (ops: UInt64, bytes: UInt64) {
        let slot = ThreadSlot.current
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * cell.count) { buf in
            let src = buf.baseAddress!, dst = src + cell.count
            var claimed = -1
            while true {
                let token = cell.read(into: src)
                let r = step(src: src, dst: dst, offset: offset, length: length)
                if cell.publish(token, from: dst, slot: slot, claimed: &claimed) {
                    record(length: length, charged: r.bytes, slot: slot)
                    return r
                }
            }
        }
    }

    /// The rule applied to the state words in `src` (at `word`), the new ones written to `dst`.
    @inline(__always)
    func step(src: UnsafePointer<UInt64>, dst: UnsafeMutablePointer<UInt64>, offset: UInt64, length: UInt32) -> (ops: UInt64, bytes: UInt64) {
        let len = UInt64(length)
        let packed = src[word + 1]
        let r = Self.count(offset: offset, length: len, openEnd: src[word], openBytes: packed & Self.bytesMask, opSize: opSize)
        dst[word] = offset &+ len
        dst[word + 1] = ((packed >> Self.bytesBits) &+ r.ops) << Self.bytesBits | r.openBytes
        return (r.ops, chargeFullOps ? r.ops * opSize : len)
    }

    /// Adds a counted I/O to the statistics (once its state change is published), with the
    /// time it waits in the throttle.
    @inline(__always)
    func record(length: UInt32, charged: UInt64, waited: UInt64 = 0, slot: Int) {
        // On SSD the charged bytes are the raw bytes: no third counter needed.
        counters.add(1, UInt64(length), chargeFullOps ? charged : 0, waited, slot: slot)
    }

    /// Time I/Os waited in the throttle (ns), as recorded.
    var waitedNs: UInt64 { counters.total(3) }

    public struct Totals: Sendable, Equatable {
        public var rawIOs: UInt64, rawBytes: UInt64, ebsOps: UInt64, chargedBytes: UInt64
    }

    public var totals: Totals {
        let raw = counters.total(1)
        return Totals(rawIOs: counters.total(0), rawBytes: raw,
                      ebsOps: cell.snapshot()[word + 1] >> Self.bytesBits,
                      chargedBytes: chargeFullOps ? counters.total(2) : raw)
    }
}
