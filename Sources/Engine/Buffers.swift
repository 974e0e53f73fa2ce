import BlockLabCore
import Glibc
import JobSpec

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
        for slot in 0..<count { fill(slot: slot, pattern: pattern) }
    }

    func fillRandom(slot: Int, seed: UInt64) { fillPseudoRandom(buffer(slot), bytes: slotSize, seed: seed) }

    /// One slot filled with the pattern again (after a read used it), before each write:
    /// the pattern once, then copies of what is done, doubling (a few memcpys per slot).
    func fill(slot: Int, pattern: [UInt8]) {
        guard !pattern.isEmpty else { return }
        let p = buffer(slot)
        var done = Swift.min(pattern.count, slotSize)
        pattern.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: done) }
        while done < slotSize {
            let n = Swift.min(done, slotSize - done)
            (p + done).copyMemory(from: p, byteCount: n)
            done += n
        }
    }
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

/// fio's buffer contents for dedupe_percentage and buffer_compress_percentage (io_u.c
/// fill_io_buffer, lib/rand.c __fill_random_buf_percentage, dedupe.c): each write is cut
/// into chunks (buffer_compress_chunk, else the write size); a chunk is random for
/// (100 - compress) % of it and zeros (or buffer_pattern) for the rest. Each chunk's data
/// comes from a seed stream: a fresh write takes the next seeds; a deduplicated one
/// (dedupe_percentage of writes, drawn at random) takes the seeds of an earlier write again
/// (`repeat`: the last one's, as fio's buf_state_prev) or of a page of the working set
/// (`working_set`: the first unique pages of the job, or with dedupe_global of every job in
/// turn), so whole writes repeat and a dedupe engine finds them.
struct ContentFiller {
    let dedupePercent: Int
    let compressPercent: Int
    /// Chunk bytes (0: the whole write).
    let chunk: Int
    let pattern: [UInt8]?
    /// The working set (working_set mode): its page count (0: none), how far the seed stream
    /// moves per page, pages per thread's share (dedupe_global) and the seeds' origin.
    let workingSetPages: UInt64
    let pageAdvance: UInt64
    let pagesPerShare: UInt64
    let global: Bool
    let thread: Int
    let threads: Int
    let seed: UInt64
    /// The fresh stream, and where it was after the last fresh write (fio's buf_state_prev).
    var state: UInt64
    var prev: UInt64
    var dedupeDraw: SplitMix64
    var workingSetDraw: SplitMix64

    /// The start of thread `t`'s seed stream: streams of different threads never meet.
    static func streamBase(seed: UInt64, thread: Int) -> UInt64 {
        SplitMix64.mix(seed ^ (UInt64(thread) &* 0x9E37_79B9_7F4A_7C15)) & ~UInt64(0xFFFF_FFFF)
    }

    /// - thread: this job thread's index among `threads` (0-based), size: the job's bytes,
    ///   minWrite: its smallest write.
    init(spec: JobSpec, thread: Int, threads: Int, size: UInt64, minWrite: Int) {
        dedupePercent = spec.dedupePercentage
        compressPercent = spec.compressPercentage
        chunk = Int(spec.compressChunk)
        pattern = spec.bufferPattern
        let base = ContentFiller.streamBase(seed: spec.randseed, thread: thread)
        state = base
        prev = base
        dedupeDraw = SplitMix64(seed: spec.randseed &+ 0xDED0_0000 &+ UInt64(thread))
        workingSetDraw = SplitMix64(seed: spec.randseed &+ 0x5E70_0000 &+ UInt64(thread))
        var pages: UInt64 = 0
        var advance: UInt64 = 1
        if spec.dedupePercentage > 0 && spec.dedupeMode == .workingSet {
            let write = UInt64(Swift.max(minWrite, 1))
            let percent = UInt64(spec.dedupeWorkingSetPercentage)
            pages = (size / 100 * percent + size % 100 * percent / 100) / write
            let chunk = spec.compressChunk == 0 ? write : Swift.min(write, UInt64(spec.compressChunk))
            advance = Swift.max(write / Swift.max(chunk, 1), 1)
        }
        workingSetPages = pages
        pageAdvance = advance
        pagesPerShare = Swift.max(pages / UInt64(Swift.max(threads, 1)), 1)
        global = spec.dedupeGlobal
        self.thread = thread
        self.threads = Swift.max(threads, 1)
        seed = spec.randseed
    }

    /// Where page `i` of the working set starts in the seed streams (fio's
    /// init_dedupe_working_set_seeds, in closed form): this thread's first pages, or with
    /// dedupe_global each share of `pagesPerShare` pages from the next thread's stream.
    func workingSetState(_ i: UInt64) -> UInt64 {
        guard global else { return ContentFiller.streamBase(seed: seed, thread: thread) &+ i &* pageAdvance }
        let share = i / pagesPerShare
        let owner = Int((UInt64(thread) &+ share) % UInt64(threads))
        return ContentFiller.streamBase(seed: seed, thread: owner) &+ (i - share * pagesPerShare) &* pageAdvance
    }

    /// Fills one write's `length` bytes.
    mutating func fill(_ p: UnsafeMutableRawPointer, length: Int) {
        var fresh = true
        var rs = state
        if dedupePercent == 100 {
            prev = state
        } else if dedupePercent > 0, Int(dedupeDraw.next() % 100) + 1 <= dedupePercent {
            fresh = false
            rs = workingSetPages == 0 ? prev : workingSetState(workingSetDraw.next() % workingSetPages)
        }
        let c = chunk > 0 ? Swift.min(chunk, length) : length
        var done = 0
        while done < length {
            let n = Swift.min(c, length - done)
            fillPercentage(p + done, count: n, seed: SplitMix64.mix(rs))
            rs &+= 1
            done += n
        }
        if dedupePercent == 100 {
            state = prev
        } else if fresh {
            state = rs
            prev = rs
        }
    }

    /// fio's __fill_random_buf_percentage over one chunk (segment = its length).
    func fillPercentage(_ p: UnsafeMutableRawPointer, count: Int, seed: UInt64) {
        if compressPercent == 100 {
            fillFixed(p, count: count)
            return
        }
        let random = count * (100 - compressPercent) / 100
        fillRandomBytes(p, count: random, seed: seed)
        if count > random { fillFixed(p + random, count: count - random) }
    }

    func fillFixed(_ p: UnsafeMutableRawPointer, count: Int) {
        guard let pattern, !pattern.isEmpty else { memset(p, 0, count); return }
        let b = p.assumingMemoryBound(to: UInt8.self)
        for i in 0..<count { b[i] = pattern[i % pattern.count] }
    }
}

/// Pseudo-random bytes of any length at any alignment (xorshift64* words, the last one cut).
func fillRandomBytes(_ p: UnsafeMutableRawPointer, count: Int, seed: UInt64) {
    var x = seed | 1
    var i = 0
    while i < count {
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27
        var w = x &* 0x2545_F491_4F6C_DD1D
        if count - i >= 8 {
            p.storeBytes(of: w, toByteOffset: i, as: UInt64.self)
            i += 8
        } else {
            while i < count {
                p.storeBytes(of: UInt8(truncatingIfNeeded: w), toByteOffset: i, as: UInt8.self)
                w >>= 8
                i += 1
            }
        }
    }
}
