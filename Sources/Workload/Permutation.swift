import BlockLabCore
/// A keyed pseudo-random bijection of 0..<count in O(1) memory.
///
/// Why not a bitmap or a shuffled array: a 16 TiB volume at 4 KiB has 2^32 blocks; a shuffled
/// index table would need 32 GiB. Instead a keyed mixing function permutes the k-bit integers
/// (k = bits of the next power of two >= count): each step — multiply by an odd key, xor with
/// its own high half shifted down, add a key, all mod 2^k — is invertible, so the composition
/// is a bijection. Values >= count are skipped ("cycle walking"); since 2^k < 2 x count, that
/// costs under one extra step on average. Walking a counter 0..<2^k through it visits every
/// block exactly once per pass: fio's random map without its memory.
public struct Permutation: Sendable {
    public let count: UInt64
    private let mask: UInt64
    private let shift: UInt64
    private var mul0: UInt64 = 1, mul1: UInt64 = 1, mul2: UInt64 = 1
    private var add0: UInt64 = 0, add1: UInt64 = 0, add2: UInt64 = 0
    /// Position in the current pass (a counter over 0..<2^k).
    private var counter: UInt64 = 0

    public init(count: UInt64, rng: inout Xoshiro256) {
        precondition(count > 0 && count <= 1 << 62)
        self.count = count
        let bits = max(1, 64 - (count - 1).leadingZeroBitCount)
        mask = bits == 64 ? ~0 : (1 << UInt64(bits)) - 1
        shift = UInt64(max(1, bits / 2))
        rekey(rng: &rng)
    }

    /// New keys and a fresh pass (a different order each pass, as fio's map gives).
    public mutating func rekey(rng: inout Xoshiro256) {
        mul0 = rng.next() | 1; mul1 = rng.next() | 1; mul2 = rng.next() | 1
        add0 = rng.next(); add1 = rng.next(); add2 = rng.next()
        counter = 0
    }

    @inline(__always)
    func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x = (x &* mul0) & mask; x ^= x >> shift; x = (x &+ add0) & mask
        x = (x &* mul1) & mask; x ^= x >> shift; x = (x &+ add1) & mask
        x = (x &* mul2) & mask; x ^= x >> shift; x = (x &+ add2) & mask
        return x
    }

    /// The image of `index` (< count) under the bijection: used to scatter hot ranks.
    @inline(__always)
    public func scatter(_ index: UInt64) -> UInt64 {
        var x = mix(index)
        while x >= count { x = mix(x) }
        return x
    }

    /// The next value of this pass, or nil when every value of 0..<count has been given.
    @inline(__always)
    public mutating func next() -> UInt64? {
        while counter <= mask {
            let x = mix(counter)
            counter &+= 1
            if x < count { return x }
        }
        return nil
    }
}
