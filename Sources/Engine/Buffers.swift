import BlockLabCore
import Glibc

/// One page-aligned allocation carved into per-slot buffers (page alignment satisfies
/// O_DIRECT on every device we meet and lets the kernel pin them as fixed buffers).
final class BufferArena {
    let base: UnsafeMutableRawPointer
    let slotSize: Int
    let count: Int
    let iovecs: UnsafeMutablePointer<iovec>

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    init(slots: Int, slotSize: Int) throws {
        let page = BufferArena.pageSize
        let rounded = (slotSize + page - 1) / page * page
        let (bytes, overflow) = rounded.multipliedReportingOverflow(by: slots)
        var p: UnsafeMutableRawPointer?
        guard !overflow, posix_memalign(&p, page, bytes) == 0, let p else {
            throw BlockLabError.runtime("cannot allocate \(slots) I/O buffers of \(rounded) bytes; lower iodepth or bs")
        }
        self.slotSize = rounded
        self.count = slots
        base = p
        memset(base, 0, self.slotSize * slots)
        iovecs = .allocate(capacity: slots)
        for i in 0..<slots {
            iovecs[i] = iovec(iov_base: base + i * self.slotSize, iov_len: self.slotSize)
        }
    }

    deinit {
        free(base)
        iovecs.deallocate()
    }

    @inline(__always)
    func buffer(_ slot: Int) -> UnsafeMutableRawPointer { base + slot * slotSize }

    /// Fills every buffer with pseudo-random bytes, so written data neither compresses nor
    /// dedupes (fio's default; zero_buffers asks for zeros instead).
    func fillRandom(seed: UInt64) { fillPseudoRandom(base, bytes: slotSize * count, seed: seed) }

    /// fio's buffer_pattern: every slot holds the pattern repeated from its start.
    func fill(pattern: [UInt8]) {
        guard !pattern.isEmpty else { return }
        for slot in 0..<count {
            let p = buffer(slot).assumingMemoryBound(to: UInt8.self)
            for i in 0..<slotSize { p[i] = pattern[i % pattern.count] }
        }
    }

    func fillRandom(slot: Int, seed: UInt64) { fillPseudoRandom(buffer(slot), bytes: slotSize, seed: seed) }
}

/// Fills memory with xorshift64* output: fast, and good enough for filler data that must
/// neither compress nor dedupe. `bytes` is a multiple of 8.
func fillPseudoRandom(_ p: UnsafeMutableRawPointer, bytes: Int, seed: UInt64) {
    var x = seed | 1
    let words = p.bindMemory(to: UInt64.self, capacity: bytes / 8)
    for i in 0..<(bytes / 8) {
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27
        words[i] = x &* 0x2545_F491_4F6C_DD1D
    }
}
