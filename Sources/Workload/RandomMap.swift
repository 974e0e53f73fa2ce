/// Which blocks of the region this pass has touched: fio's random map (its "axmap").
///
/// Needed where the permutation alone is not enough: when an I/O can span several blocks
/// (bsrange, bssplit, read/write sizes differing, blockalign below the block size), and for
/// the skewed distributions, which pick a block and, if it is taken, use the next free one, as
/// fio does. One bit per block (32 MiB for 1 TiB at 4 KiB, fio's cost too), allocated at
/// init; above it, one bit per full word, level by level, so finding the next free block is
/// O(log64 n) rather than a scan.
struct RandomMap {
    let count: UInt64
    /// All levels in one array: level 0 (blocks) first, then one bit per word of the level below.
    private var words: [UInt64]
    /// Start word and bit count of each level; the last level is a single word.
    private var levelStart: [Int] = []
    private var levelBits: [UInt64] = []
    private(set) var used: UInt64 = 0

    init(count: UInt64) {
        self.count = count
        var bits = count
        var total = 0
        repeat {
            levelStart.append(total)
            levelBits.append(bits)
            let w = Int((bits + 63) / 64)
            total += w
            bits = UInt64(w)
        } while levelBits.last! > 64
        words = [UInt64](repeating: 0, count: total)
        reset()
    }

    /// Every block free again. Bits past the end of each level count as used.
    mutating func reset() {
        for i in words.indices { words[i] = 0 }
        for level in levelBits.indices {
            let bits = levelBits[level]
            let rem = bits % 64
            if rem != 0 { words[levelStart[level] + Int(bits / 64)] = ~0 << rem }
        }
        used = 0
    }

    @inline(__always)
    func isFree(_ block: UInt64) -> Bool {
        words[Int(block >> 6)] & (1 << (block & 63)) == 0
    }

    /// Marks `block` used (it must be free), marking full words upwards.
    @inline(__always)
    mutating func take(_ block: UInt64) {
        var index = block
        for level in levelBits.indices {
            let w = levelStart[level] + Int(index >> 6)
            words[w] |= 1 << (index & 63)
            if words[w] != ~0 { break }
            index >>= 6
        }
        used += 1
    }

    /// Takes `block` (free) and up to `limit - 1` free blocks right after it; returns how many.
    mutating func takeRun(from block: UInt64, limit: UInt64) -> UInt64 {
        var n: UInt64 = 0
        while n < limit, block + n < count, isFree(block + n) {
            take(block + n)
            n += 1
        }
        return n
    }

    /// The first free block at or after `block`, wrapping to the start; nil when all are used.
    func nextFree(from block: UInt64) -> UInt64? {
        if used == count { return nil }
        if let b = find(level: 0, from: block) { return b }
        return find(level: 0, from: 0)
    }

    /// The first index >= `from` at `level` whose bit is clear.
    private func find(level: Int, from: UInt64) -> UInt64? {
        if from >= levelBits[level] { return nil }
        let base = levelStart[level]
        let w = Int(from >> 6)
        let free = ~words[base + w] & (~0 << (from & 63))
        if free != 0 { return UInt64(w) << 6 | UInt64(free.trailingZeroBitCount) }
        let nextWord: UInt64
        if level + 1 < levelBits.count {
            guard let n = find(level: level + 1, from: UInt64(w) + 1) else { return nil }
            nextWord = n
        } else {
            return nil // the top level is a single word
        }
        let bits = ~words[base + Int(nextWord)]
        return nextWord << 6 | UInt64(bits.trailingZeroBitCount)
    }
}
