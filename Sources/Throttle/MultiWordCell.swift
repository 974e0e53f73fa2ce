import Synchronization

/// Several 64-bit words that change together, without a lock, for one locked instruction
/// per update however many words there are.
///
/// Why: a request that must pass a volume's limits, its credit bucket and its EBS
/// accounting touched one atomic word (or pair) per bucket group, one locked
/// compare-exchange each (13-17 ns here, most of the admit budget). Instead the whole state
/// lives in a block of words, and `current` (one 64-bit word: a version counter above a
/// block index) names the block that holds it. An update reads the current block, computes
/// the new state, writes it into a block no one reads as current, and publishes it with one
/// compare-exchange on `current`. The version makes every publication unique, so a reader
/// that raced a writer (its block was replaced, then reused and overwritten) fails that
/// exchange and starts again; it never commits what it read from a torn block, and it
/// never computes on one either: `read` checks that `current` did not move while it copied.
///
/// Which block to write: each thread slot (0..<`slots`, the caller's per-thread index)
/// owns two blocks and writes into whichever is not current; only it writes them, and a
/// block that is not current stays so until its owner publishes it. Threads beyond
/// `slots` share an overflow pool whose blocks are claimed with a compare-exchange and given
/// back by whoever replaces them (more locked operations, only for those threads; see
/// `claimPoolBlock` for the limit).
///
/// `exclusive` (one thread at a time, ordered by thread start/join): one block updated in
/// place with plain stores, no version, no exchange.
///
/// Written by hand: the packages this project uses offer atomics, not multi-word snapshots.
public final class MultiWordCell: @unchecked Sendable {
    /// Words in the state.
    public let count: Int
    public let exclusive: Bool
    @usableFromInline let slots: Int
    /// Words per block: `count` rounded up to a cache line, so blocks share no line.
    @usableFromInline let stride: Int
    /// version << 16 | block index.
    @usableFromInline let current: Atomic<UInt64>
    @usableFromInline let blocks: UnsafeMutablePointer<Atomic<UInt64>>
    /// Bit i: overflow block i is claimed (being filled, or current).
    @usableFromInline let poolBusy = Atomic<UInt64>(0)
    @usableFromInline static let poolSize = 64
    private let blockCount: Int

    /// - initial: the state (`count` words).
    /// - slots: how many thread slots own blocks; a slot >= this uses the overflow pool.
    public init(initial: [UInt64], slots: Int = 64, exclusive: Bool) {
        precondition(!initial.isEmpty)
        count = initial.count
        self.exclusive = exclusive
        self.slots = slots
        stride = (initial.count + 7) / 8 * 8
        // Owned blocks, then the pool, then the initial block (never reused once replaced).
        blockCount = exclusive ? 1 : 2 * slots + Self.poolSize + 1
        precondition(blockCount < 1 << 16)
        // Cache-line aligned, so a block of up to 8 words is one line: when threads on two
        // cores share the cell, every line of a block crosses between them on most updates.
        blocks = UnsafeMutableRawPointer.allocate(byteCount: blockCount * stride * 8, alignment: 64)
            .bindMemory(to: Atomic<UInt64>.self, capacity: blockCount * stride)
        for i in 0..<blockCount * stride { (blocks + i).initialize(to: Atomic(0)) }
        let first = exclusive ? 0 : blockCount - 1
        for (i, w) in initial.enumerated() { blocks[first * stride + i].store(w, ordering: .relaxed) }
        current = Atomic(UInt64(first))
    }

    deinit {
        blocks.deinitialize(count: blockCount * stride)
        UnsafeMutableRawPointer(blocks).deallocate()
    }

    /// Copies the current state into `into` (`count` words); returns the token `publish`
    /// needs. The copy is consistent: `current` did not move while it was taken.
    @inlinable @inline(__always)
    public func read(into: UnsafeMutablePointer<UInt64>) -> UInt64 {
        if exclusive {
            for i in 0..<count { into[i] = blocks[i].load(ordering: .relaxed) }
            return 0
        }
        while true {
            let token = current.load(ordering: .acquiring)
            let base = blocks + Int(token & 0xFFFF) * stride
            for i in 0..<count { into[i] = base[i].load(ordering: .relaxed) }
            // The copies must be done before `current` is looked at again (a seqlock's read side).
            atomicMemoryFence(ordering: .acquiring)
            if current.load(ordering: .relaxed) == token { return token }
        }
    }

    /// Publishes `from` as the new state if the state is still the one `token` was read
    /// with; false (nothing changed) otherwise: read again and recompute. `claimed` carries
    /// an overflow thread's pool block between attempts (start with -1).
    @inlinable @inline(__always)
    public func publish(_ token: UInt64, from: UnsafePointer<UInt64>, slot: Int, claimed: inout Int) -> Bool {
        if exclusive {
            for i in 0..<count { blocks[i].store(from[i], ordering: .relaxed) }
            return true
        }
        let old = Int(token & 0xFFFF)
        var target: Int
        if slot < slots {
            target = 2 * slot
            if target == old { target += 1 }
        } else {
            if claimed < 0 { claimed = claimPoolBlock() }
            target = claimed
        }
        let base = blocks + target * stride
        // Pairs with `read`'s acquiring fence: a reader that copies any of these words then
        // sees `current` already past the token under which this block was last current.
        atomicMemoryFence(ordering: .releasing)
        for i in 0..<count { base[i].store(from[i], ordering: .relaxed) }
        let next = ((token >> 16) &+ 1) << 16 | UInt64(target)
        // Releasing: the block's words are visible before the index that names them.
        guard current.compareExchange(expected: token, desired: next, ordering: .acquiringAndReleasing).exchanged else { return false }
        if slot >= slots { claimed = -1 } // the block is current now; its replacer gives it back
        if old >= 2 * slots && old < 2 * slots + Self.poolSize {
            _ = poolBusy.bitwiseAnd(~(UInt64(1) << UInt64(old - 2 * slots)), ordering: .releasing)
        }
        return true
    }

    /// A free overflow block, claimed. All 64 busy means 63 overflow threads are filling
    /// blocks at this instant (about 128 threads on one cell): then this thread waits for
    /// one of them to publish, so past that many threads the cell is no longer lock-free.
    @usableFromInline func claimPoolBlock() -> Int {
        var m = poolBusy.load(ordering: .relaxed)
        while true {
            if m == .max { m = poolBusy.load(ordering: .acquiring); continue }
            let i = (~m).trailingZeroBitCount
            let r = poolBusy.compareExchange(expected: m, desired: m | (1 << UInt64(i)), ordering: .acquiringAndReleasing)
            if r.exchanged { return 2 * slots + i }
            m = r.original
        }
    }

    /// Sets some words (index, value), leaving the others (at set-up, not per I/O; `slot` as
    /// for `publish`).
    public func set(_ words: [(Int, UInt64)], slot: Int) {
        var state = [UInt64](repeating: 0, count: count)
        var claimed = -1
        state.withUnsafeMutableBufferPointer { buf in
            while true {
                let token = read(into: buf.baseAddress!)
                for (i, w) in words { buf[i] = w }
                if publish(token, from: buf.baseAddress!, slot: slot, claimed: &claimed) { return }
            }
        }
    }

    /// The current state, for readers outside the update path.
    public func snapshot() -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: count) { buf, n in
            _ = read(into: buf.baseAddress!)
            n = count
        }
    }
}
