import BlockLabCore
/// Which blocks of the region this pass has touched: fio's random map (its "axmap"), for
/// uniform random I/O whose I/Os can span several blocks (bsrange, bssplit, read and write
/// sizes differing, blockalign below the block size). There the permutation alone would let
/// a large I/O overlap a block the permutation hands out later; the map lets the planner
/// skip taken blocks and stop an I/O short of one, so each byte is still done once per pass.
/// One bit per block (32 MiB for 1 TiB at 4 KiB, fio's cost too), allocated at init.
///
/// Fixed-size uniform jobs need no map (the permutation is enough), and skewed distributions
/// use none: fio 3.33 turns its random map off for them ("If a non-uniform model is used,
/// fio will disable use of the random map", man fio; zipf:1.2 over 256 blocks touches ~70).
struct RandomMap: Sendable {
    let count: UInt64
    private var words: [UInt64]
    private(set) var used: UInt64 = 0

    init(count: UInt64) {
        self.count = count
        words = [UInt64](repeating: 0, count: Int((count + 63) / 64))
    }

    /// Every block free again (no allocation).
    mutating func reset() {
        for i in words.indices { words[i] = 0 }
        used = 0
    }

    @inline(__always)
    func isFree(_ block: UInt64) -> Bool {
        words[Int(block >> 6)] & (1 << (block & 63)) == 0
    }

    /// Takes `block` (free) and up to `limit - 1` free blocks right after it; returns how many.
    @inline(__always)
    mutating func takeRun(from block: UInt64, limit: UInt64) -> UInt64 {
        var n: UInt64 = 0
        while n < limit, block + n < count, isFree(block + n) {
            let b = block + n
            words[Int(b >> 6)] |= 1 << (b & 63)
            n += 1
        }
        used += n
        return n
    }
}
