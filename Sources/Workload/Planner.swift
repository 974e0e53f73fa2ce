import BlockLabCore
import JobSpec

/// One I/O the engine should issue next.
public struct PlannedIO: Equatable, Sendable {
    public var direction: IODirection
    public var offset: UInt64
    public var length: UInt32
    public init(direction: IODirection, offset: UInt64, length: UInt32) {
        self.direction = direction
        self.offset = offset
        self.length = length
    }
}

/// Decides what a job does next: direction (rwmix), block size (bs/bsrange/bssplit),
/// offset (sequential, or uniform random with a random map so every block is touched once
/// per pass unless norandommap, or a skewed distribution), and when the job's work is done
/// (size, io_size, number_ios, loops). Time limits (runtime/time_based) are the engine's.
///
/// Deterministic for a given seed. `next()` must not allocate: the engine calls it once
/// per I/O on the hot path.
///
/// The work bound follows fio 3.33 (checked against it): each of `loops` loops issues I/Os
/// while its bytes are below io_size (default: the region size; the last I/O may overshoot,
/// `io_size=10k bs=4k` is 3 I/Os) and its count is below number_ios. A loop also ends when
/// the region is used up — the sequential position cannot fit another block, or every block
/// of the random map is taken — unless io_size is set, which starts a new pass instead.
/// A new loop or pass starts again at the region start with a fresh random map.
public struct IOPlanner: Sendable {
    private enum Placement {
        case sequential
        /// Uniform (fio's default generator): draw a block; if the map says it is taken, use
        /// the next free block after it, as fio's axmap does. I/Os may span blocks.
        case drawWithMap
        /// random_generator=lfsr, every I/O within one block: the permutation alone gives
        /// each block once, with no map.
        case permutation
        /// random_generator=lfsr, I/Os may span blocks: permutation order, skipping blocks
        /// already taken (fio's lfsr would repeat bytes here; the map keeps them once).
        case permutationWithMap
        /// norandommap, or a skewed distribution (fio 3.33 drops the map for those): draw a
        /// block where the I/O fits; repeats happen.
        case unmapped
    }

    private let start: UInt64
    private let length: UInt64
    private let placement: Placement
    private let fixedDirection: IODirection?
    private let readPercent: UInt64
    private let readSizes: BlockSizer
    private let writeSizes: BlockSizer
    private let trimSizes: BlockSizer
    /// How trims come: none, alone (trim/randtrim), or each followed by its write
    /// (trimwrite/randtrimwrite). Checked once per I/O only when not `.none`.
    private enum TrimMode { case none, only, thenWrite }
    private let trimMode: TrimMode
    /// Trim sizes draw from their own generator; for trimwrite it starts as the write
    /// sizes' does, so the Nth trim and the Nth write have one size (fio seeds them alike).
    private var trimSizeRng: Xoshiro256
    /// Sequential trimwrite (fio's rule): the next I/O is a trim when the last write
    /// started where the last trim did, else a write (at the write position, behind).
    private var lastTrimStart: UInt64 = .max
    private var lastWriteStart: UInt64 = .max
    /// randtrimwrite: the write that follows the trim just issued (same offset and length).
    private var followingWrite: PlannedIO?
    /// Random offsets are multiples of this from the region start. With the random map it is
    /// the map's block: the smallest I/O rounded up to blockalign (so each block is one I/O's
    /// start); without the map it is blockalign itself (default: the smallest I/O), as fio.
    private let unit: UInt64
    private let blocks: UInt64
    private let timeBased: Bool
    private let loops: Int
    private let bytesPerLoop: UInt64
    private let newPassWithinLoop: Bool
    private let iosPerLoop: UInt64

    private var directionRng: Xoshiro256
    private var sizeRng: Xoshiro256
    private var offsetRng: Xoshiro256
    private var keyRng: Xoshiro256
    /// rw=read:N: bytes skipped after each sequential I/O (negative: backwards).
    private let skip: Int64
    private var readPosition: UInt64 = 0
    private var writePosition: UInt64 = 0
    private var trimPosition: UInt64 = 0
    /// zonemode=strided: `zoneSize` bytes of I/O per zone, zones `zoneStride` apart
    /// (zonerange + zoneskip); per direction, the zone's start and the bytes done in it.
    private let zoneSize: UInt64
    private let zoneStride: UInt64
    private var zoneStart: [UInt64] = [0, 0, 0]
    private var zoneDone: [UInt64] = [0, 0, 0]
    private var permutation: Permutation
    private var map: RandomMap
    private let distribution: OffsetDistribution
    private var loop = 0
    private var loopBytes: UInt64 = 0
    private var loopIOs: UInt64 = 0
    private var passEnded = false
    private var done = false

    /// The most blocks a random map may track (one bit each: 4 GiB).
    public static let maxMapBlocks: UInt64 = 1 << 35

    /// I/Os the job will do in total when bounded (nil for time-based jobs). Exact when every
    /// I/O has one fixed size (see `plannedIsExact`), else an estimate from the mean size.
    public let plannedIOCount: UInt64?
    /// Bytes the job will move in total when bounded (nil for time-based jobs), for ETA.
    public let plannedBytes: UInt64?
    /// Whether `plannedIOCount`/`plannedBytes` are exact rather than estimates.
    public let plannedIsExact: Bool

    /// - region: the byte range of the target this job works on (offset ..< offset+size).
    /// - timeBased: when true, the planner never runs out (wraps around, new pass).
    /// - seedSalt: distinguishes numjobs clones (fio uses a different seed per clone).
    public init(spec: JobSpec, region: Range<UInt64>, timeBased: Bool, seedSalt: UInt64) throws {
        try self.init(spec: spec, region: region, timeBased: timeBased, seedSalt: seedSalt, withMap: true)
    }

    /// The bytes a bounded (not time-based) job will move, without allocating the random
    /// map (one bit per block: 512 MiB for 16 TiB at 4 KiB) that only `next()` uses.
    public static func plannedBytes(spec: JobSpec, region: Range<UInt64>) throws -> UInt64 {
        try IOPlanner(spec: spec, region: region, timeBased: false, seedSalt: 0, withMap: false).plannedBytes ?? 0
    }

    /// The I/Os a bounded job will do (an estimate with variable block sizes), without the map.
    public static func plannedIOs(spec: JobSpec, region: Range<UInt64>) throws -> UInt64 {
        try IOPlanner(spec: spec, region: region, timeBased: false, seedSalt: 0, withMap: false).plannedIOCount ?? 0
    }

    private init(spec: JobSpec, region: Range<UInt64>, timeBased: Bool, seedSalt: UInt64, withMap: Bool) throws {
        start = region.lowerBound
        length = UInt64(region.count)
        skip = spec.rw.isRandom ? 0 : spec.sequentialSkip
        if let zones = spec.strideZones, !spec.rw.isRandom {
            zoneSize = zones.size
            zoneStride = max(zones.range, zones.size) + zones.skip
        } else {
            (zoneSize, zoneStride) = (0, 0)
        }
        readSizes = BlockSizer(rule: spec.blockSize[0], granularity: spec.blockAlign)
        writeSizes = BlockSizer(rule: spec.blockSize[1], granularity: spec.blockAlign)
        trimSizes = BlockSizer(rule: spec.blockSize.count > 2 ? spec.blockSize[2] : spec.blockSize[1], granularity: spec.blockAlign)
        trimMode = !spec.rw.trims ? .none : spec.rw.writes ? .thenWrite : .only
        let active = [spec.rw.reads ? readSizes : nil, spec.rw.writes ? writeSizes : nil, spec.rw.trims ? trimSizes : nil].compactMap { $0 }
        let smallest = UInt64(active.map(\.minimum).min()!), largest = UInt64(active.map(\.maximum).max()!)
        if !spec.rw.isRandom {
            placement = .sequential
        } else if spec.randomDistribution != .random || (spec.norandommap && spec.randomGenerator != .lfsr) {
            placement = .unmapped
        } else if spec.randomGenerator == .lfsr {
            // fio's lfsr gives each block once per period even with norandommap.
            let align = UInt64(spec.blockAlign ?? 1)
            placement = largest > (smallest + align - 1) / align * align ? .permutationWithMap : .permutation
        } else {
            placement = .drawWithMap
        }
        if let align = spec.blockAlign, placement == .unmapped {
            unit = UInt64(align)
        } else {
            let align = UInt64(spec.blockAlign ?? 1)
            unit = max(1, (smallest + align - 1) / align * align)
        }
        let largestMinimum = UInt64(active.map(\.minimum).max()!)
        guard unit <= length, largestMinimum <= length else {
            throw BlockLabError.usage("\(spec.origin): job '\(spec.name)': the region (\(Units.formatBytes(length))) is smaller than one block (\(Units.formatBytes(max(unit, largestMinimum))))")
        }
        blocks = length / unit
        fixedDirection = spec.rw.reads && spec.rw.writes ? nil : (spec.rw.reads ? .read : trimMode == .only ? .trim : .write)
        readPercent = UInt64(spec.rwmixread)
        self.timeBased = timeBased
        loops = spec.loops
        // As fio: trimwrite trims and then writes each byte, so its bounds count twice.
        let twice: UInt64 = trimMode == .thenWrite ? 2 : 1
        bytesPerLoop = Self.saturatingProduct(spec.ioSize ?? length, twice)
        newPassWithinLoop = spec.ioSize != nil
        iosPerLoop = spec.numberIOs.map { Self.saturatingProduct($0, twice) } ?? .max

        // randrepeat=0: seed from the system RNG; else randseed, salted per clone.
        var system = SystemRandomNumberGenerator()
        let base = spec.randrepeat ? spec.randseed : system.next()
        var seeds = SplitMix64(seed: base ^ SplitMix64.mix(seedSalt &+ 0x5EED))
        directionRng = Xoshiro256(seed: seeds.next())
        sizeRng = Xoshiro256(seed: seeds.next())
        offsetRng = Xoshiro256(seed: seeds.next())
        keyRng = Xoshiro256(seed: seeds.next())
        trimSizeRng = trimMode == .thenWrite ? sizeRng : Xoshiro256(seed: seeds.next())
        permutation = Permutation(count: blocks, rng: &keyRng)
        distribution = OffsetDistribution(spec.randomDistribution, center: spec.randomCenter, count: blocks, rng: &keyRng)
        let mapped = withMap && (placement == .permutationWithMap || placement == .drawWithMap)
        // One bit per block: past 2^35 blocks (4 GiB of map) the allocation would fail.
        guard !mapped || blocks <= Self.maxMapBlocks else {
            throw BlockLabError.usage("\(spec.origin): job '\(spec.name)': the random map for \(blocks) blocks of \(Units.formatBytes(unit)) "
                + "would take \(Units.formatBytes(blocks / 8)); use norandommap, a larger bs or a smaller size")
        }
        map = RandomMap(count: mapped ? blocks : 1)

        // What the work comes to (see the type's comment for the rules).
        let meanSize = spec.rw.reads && spec.rw.writes
            ? (Double(spec.rwmixread) * readSizes.mean + Double(100 - spec.rwmixread) * writeSizes.mean) / 100
            : trimMode == .thenWrite ? (writeSizes.mean + trimSizes.mean) / 2 : active[0].mean
        let single = active.allSatisfy { $0.isFixed && $0.minimum == active[0].minimum }
        let size = UInt64(active[0].minimum)
        let mixedSequential = !spec.rw.isRandom && fixedDirection == nil
        if timeBased {
            (plannedIOCount, plannedBytes, plannedIsExact) = (nil, nil, false)
        } else if single && !(mixedSequential && spec.ioSize == nil && length % size != 0) {
            var perLoop: UInt64
            if let io = spec.ioSize { perLoop = (io + size - 1) / size }
            else if placement == .sequential { perLoop = length / size }
            else if placement == .unmapped { perLoop = (length + size - 1) / size }
            else { perLoop = blocks }
            perLoop = min(Self.saturatingProduct(perLoop, twice), iosPerLoop)
            // Saturating: loops x a 2^60-byte region (or number_ios) can exceed 64 bits; the
            // figures are for progress and ETA only.
            let total = Self.saturatingProduct(perLoop, UInt64(loops))
            (plannedIOCount, plannedBytes, plannedIsExact) = (total, Self.saturatingProduct(total, size), true)
        } else {
            // Variable sizes: a loop moves about bytesPerLoop (the map and the region end shorten
            // I/Os so a pass adds up to the region), unless number_ios stops it first.
            let loopBytes = min(Double(bytesPerLoop), Double(iosPerLoop) * meanSize)
            let total = Self.saturating(loopBytes * Double(loops))
            (plannedIOCount, plannedBytes, plannedIsExact) = (Self.saturating((Double(total) / meanSize).rounded(.up)), total, false)
        }
    }

    /// As fio with a modifier: a pass's first I/O is at the region start; each next one
    /// starts `skip` bytes past the end of the last (negative: before it), and running off
    /// either end wraps (forwards to the start, backwards to the end less the step). fio's
    /// own offsets for `read:-8k` and `write:12k` at bs=4k are pinned in WorkloadTests.
    @inline(__always)
    private func skipped(_ end: UInt64) -> UInt64 {
        let len = Int64(length)
        var p = Int64(end)
        guard p != 0 else { return 0 }
        p += skip
        if p < 0 || p >= len { p = skip > 0 ? 0 : len + skip }
        return UInt64(max(0, p))
    }

    /// The next I/O, or nil when the job's work is done.
    public mutating func next() -> PlannedIO? {
        while !done {
            let boundReached = !timeBased && (loopBytes >= bytesPerLoop || loopIOs >= iosPerLoop)
            if boundReached || (passEnded && !newPassWithinLoop && !timeBased) {
                // This loop is done.
                guard loop + 1 < loops else {
                    done = true
                    return nil
                }
                loop += 1
                loopBytes = 0
                loopIOs = 0
                newPass()
            } else if passEnded {
                // Time-based, or io_size beyond the region: go round again.
                newPass()
            }
            if trimMode != .none {
                if let io = nextWithTrims() {
                    loopBytes &+= UInt64(io.length)
                    loopIOs += 1
                    return io
                }
                passEnded = true
                continue
            }
            // A Bool, not IODirection's `==`: that is a generic RawRepresentable call across
            // modules, which showed up as a third of next()'s time under perf.
            let read = fixedDirection.map(Self.isRead) ?? (directionRng.below(100) < readPercent)
            let wanted = UInt64(read ? readSizes.next(&sizeRng) : writeSizes.next(&sizeRng))
            if let io = place(read, wanted) {
                loopBytes &+= UInt64(io.length) // time-based runs never reset it
                loopIOs += 1
                return io
            }
            passEnded = true
        }
        return nil
    }

    /// The next I/O of a trim mode; nil when this pass is used up.
    private mutating func nextWithTrims() -> PlannedIO? {
        if trimMode == .only {
            return place(.trim, UInt64(trimSizes.next(&trimSizeRng)))
        }
        if placement != .sequential {
            // randtrimwrite: a random trim, then a write of the same bytes (fio does not
            // mark the write in the random map: the trim took those blocks).
            if let w = followingWrite {
                followingWrite = nil
                return w
            }
            guard let t = place(.trim, UInt64(trimSizes.next(&trimSizeRng))) else { return nil }
            followingWrite = PlannedIO(direction: .write, offset: t.offset, length: t.length)
            return t
        }
        if lastWriteStart == lastTrimStart {
            guard let t = place(.trim, UInt64(trimSizes.next(&trimSizeRng))) else { return nil }
            lastTrimStart = t.offset
            return t
        }
        guard let w = place(.write, UInt64(writeSizes.next(&sizeRng))) else { return nil }
        lastWriteStart = w.offset
        return w
    }

    @inline(__always)
    private func sizes(_ d: IODirection) -> BlockSizer {
        switch d {
        case .read: return readSizes
        case .write: return writeSizes
        case .trim: return trimSizes
        }
    }

    /// Where this I/O goes, and its length if the region's end (or the random map) shortens
    /// it; nil when this pass over the region is used up.
    @inline(__always)
    private mutating func place(_ read: Bool, _ wanted: UInt64) -> PlannedIO? {
        place(read ? .read : .write, wanted)
    }

    @inline(__always)
    private mutating func place(_ direction: IODirection, _ wanted: UInt64) -> PlannedIO? {
        let read = Self.isRead(direction)
        let block: UInt64
        var len = wanted
        switch placement {
        case .sequential:
            let d = direction.rawValue
            var position = read ? readPosition : d == 1 ? writePosition : trimPosition
            if skip != 0 { position = skipped(position) }
            if zoneSize > 0 {
                // As fio's strided zones: zonesize bytes, then on to the next zone; past the
                // region's end, back to its start.
                if zoneDone[d] >= zoneSize {
                    zoneStart[d] += zoneStride
                    zoneDone[d] = 0
                    position = zoneStart[d]
                }
                if position >= length { (zoneStart[d], zoneDone[d], position) = (0, 0, 0) }
                zoneDone[d] += min(len, length - position)
            }
            let room = length - position
            if len > room {
                len = UInt64(sizes(direction).largest(atMost: room))
                if len == 0 { return nil }
            }
            if read { readPosition = position + len } else if d == 1 { writePosition = position + len } else { trimPosition = position + len }
            return PlannedIO(direction: direction, offset: start + position, length: UInt32(len))
        case .drawWithMap:
            if map.used == blocks { return nil }
            let drawn = offsetRng.below(blocks)
            guard let b = map.isFree(drawn) ? drawn : map.nextFree(after: drawn) else { return nil }
            block = b
            len = take(b, wanted)
        case .permutation:
            guard let b = permutation.next() else { return nil }
            block = b
        case .permutationWithMap:
            if map.used == blocks { return nil }
            var b: UInt64
            repeat {
                guard let candidate = permutation.next() else { return nil }
                b = candidate
            } while !map.isFree(b)
            block = b
            len = take(b, wanted)
        case .unmapped:
            if len > length {
                len = UInt64(sizes(direction).largest(atMost: length))
            }
            let lastStart = (length - len) / unit // the last block where this I/O still fits
            block = distribution.isUniform ? offsetRng.below(lastStart + 1) : min(distribution.sample(&offsetRng), lastStart)
        }
        return PlannedIO(direction: direction, offset: start + block * unit, length: UInt32(len))
    }

    /// Takes the blocks an I/O at `block` covers in the random map; where one is already
    /// taken the I/O stops short of it (fio does the same).
    @inline(__always)
    private mutating func take(_ block: UInt64, _ wanted: UInt64) -> UInt64 {
        let need = (wanted + unit - 1) / unit
        let got = map.takeRun(from: block, limit: need)
        return got < need ? got * unit : wanted
    }

    static func saturatingProduct(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (v, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : v
    }

    /// A non-negative Double as UInt64, UInt64.max when beyond it (never traps).
    static func saturating(_ d: Double) -> UInt64 {
        guard d.isFinite else { return d > 0 ? .max : 0 }
        return d <= 0 ? 0 : d >= 18_446_744_073_709_551_616.0 ? .max : UInt64(d)
    }

    @inline(__always)
    private static func isRead(_ d: IODirection) -> Bool {
        if case .read = d { return true }
        return false
    }

    private mutating func newPass() {
        readPosition = 0
        writePosition = 0
        trimPosition = 0
        lastTrimStart = .max
        lastWriteStart = .max
        followingWrite = nil
        zoneStart = [0, 0, 0]
        zoneDone = [0, 0, 0]
        passEnded = false
        switch placement {
        case .permutation, .permutationWithMap:
            permutation.rekey(rng: &keyRng)
            map.reset()
        case .drawWithMap:
            map.reset()
        case .sequential, .unmapped:
            break
        }
    }
}
