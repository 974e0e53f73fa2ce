import BlockLabCore
/// Which blocks of the region this pass has touched: fio's random map (its "axmap"). fio's
/// default offsets (tausworthe) draw a uniform block and, when it is taken, use the next free
/// block after it (wrapping to the start): `nextFree`. The map also serves I/Os that span
/// several blocks (bsrange, bssplit, blockalign below the block size): the planner takes the
/// free run from the start block and stops the I/O short of a taken one, as fio does, so each
/// byte is done once per pass.
///
/// Layout (fio's idea): level 0 has one bit per block; a bit of level i+1 is set when word i
/// of level i is full; the top level is one word. Finding the next free block then climbs
/// only as far as needed instead of scanning a flat bitmap, whose last blocks of a pass would
/// each cost a scan of up to the whole map. Bits past the end of each level are set at reset,
/// so a search never returns them. One bit per block plus 1/63 (32 MiB for 1 TiB at 4 KiB,
/// fio's cost too), allocated once; no allocation after init.
struct RandomMap: Sendable {
    let count: UInt64
    private var words: [UInt64]
    /// First word and number of words of each level, level 0 first.
    private let levelStart: [Int]
    private let levelWords: [Int]
    private(set) var used: UInt64 = 0

    init(count: UInt64) {
        precondition(count > 0)
        self.count = count
        var starts: [Int] = [], sizes: [Int] = []
        var bits = count, total = 0
        repeat {
            let n = Int((bits + 63) / 64)
            starts.append(total); sizes.append(n)
            total += n
            bits = UInt64(n)
        } while bits > 1
        levelStart = starts
        levelWords = sizes
        words = [UInt64](repeating: 0, count: total)
        reset()
    }

    /// Every block free again (no allocation).
    mutating func reset() {
        for i in words.indices { words[i] = 0 }
        var bits = count
        for level in 0..<levelStart.count {
            // Mark the bits past this level's end as taken.
            let tail = bits & 63
            if tail != 0 { words[levelStart[level] + levelWords[level] - 1] = ~0 << tail }
            bits = UInt64(levelWords[level])
        }
        used = 0
    }

    @inline(__always)
    func isFree(_ block: UInt64) -> Bool {
        words[Int(block >> 6)] & (1 << (block & 63)) == 0
    }

    /// Marks `block` taken and propagates a full word up the levels.
    @inline(__always)
    private mutating func set(_ block: UInt64) {
        var index = block
        for level in 0..<levelStart.count {
            let w = levelStart[level] + Int(index >> 6)
            words[w] |= 1 << (index & 63)
            if words[w] != .max { return }
            index >>= 6
        }
    }

    /// Takes `block` (free) and up to `limit - 1` free blocks right after it; returns how many.
    @inline(__always)
    mutating func takeRun(from block: UInt64, limit: UInt64) -> UInt64 {
        var n: UInt64 = 0
        while n < limit, block + n < count, isFree(block + n) {
            set(block + n)
            n += 1
        }
        used += n
        return n
    }

    /// The first free block after `block`, else the first free block from the start (fio's
    /// axmap_next_free); nil only when every block is taken.
    func nextFree(after block: UInt64) -> UInt64? {
        firstZero(level: 0, from: block + 1) ?? firstZero(level: 0, from: 0)
    }

    /// The first clear bit at index >= `p` of `level`.
    private func firstZero(level: Int, from p: UInt64) -> UInt64? {
        let wordIndex = Int(p >> 6)
        guard wordIndex < levelWords[level] else { return nil }
        let free = ~words[levelStart[level] + wordIndex] & (~0 << (p & 63))
        if free != 0 { return (p & ~63) + UInt64(free.trailingZeroBitCount) }
        // The rest of this word is taken: the level above says which later word is not full.
        guard level + 1 < levelStart.count,
              let w = firstZero(level: level + 1, from: UInt64(wordIndex) + 1) else { return nil }
        return w << 6 + UInt64((~words[levelStart[level] + Int(w)]).trailingZeroBitCount)
    }
}
