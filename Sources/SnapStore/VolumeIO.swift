#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore

/// A volume (read-write) or snapshot (read-only) opened for I/O. Thread-compatible, not
/// thread-safe: callers serialise calls. The mapping calls for a chunk already owned by the
/// volume are O(1) and allocate nothing; data moves with pread/pwrite (or io_uring) on
/// `dataFD`. Writes become durable, mappings included, at `commit()`.
public final class PoolVolumeIO {
    public let pool: Pool
    public let name: String
    public let sizeBytes: UInt64
    public let chunkSize: Int
    public let isReadOnly: Bool
    public var dataFD: Int32 { pool.dataFD }
    /// The data file, for engines that open their own descriptor (e.g. with O_DIRECT; all
    /// physical offsets and lengths are multiples of 4 KiB when the I/O's are).
    public var dataPath: String { "\(pool.path)/\(Pool.dataName)" }
    public var fetchProfile = FetchProfile()
    /// Total simulated fetch penalty handed out (blocking reads add it here instead of sleeping).
    public private(set) var fetchPenaltyNs: UInt64 = 0
    public private(set) var fetchCount: UInt64 = 0

    let lineage: LineageRec?
    let map: ChunkMap
    let shift: UInt64
    let mask: UInt64
    // Background hydration of a restored volume: base chunks in logical order.
    private var loaderOrder: [UInt32] = []
    private var loaderCursor = 0
    /// Base chunks not yet loaded; at 0 the volume is marked fully loaded.
    private var unloaded = 0
    private let loaderStart: UInt64
    private var scratch: UnsafeMutableRawPointer?

    init(pool: Pool, name: String, lineage: LineageRec?, map: ChunkMap, sizeBytes: UInt64) {
        self.pool = pool; self.name = name; self.lineage = lineage; self.map = map; self.sizeBytes = sizeBytes
        chunkSize = pool.chunkSize
        isReadOnly = lineage == nil || pool.readOnly
        shift = UInt64(chunkSize.trailingZeroBitCount)
        mask = UInt64(chunkSize - 1)
        loaderStart = pool.clock.now()
        if let lin = lineage, !lin.fullyLoaded, let bm = lin.loaded {
            map.forEachMapped { c, e in if ChunkMap.epoch(e) == 0 && !bm.contains(c) { loaderOrder.append(c) } }
            unloaded = loaderOrder.count
            if unloaded == 0 && !isReadOnly { finishHydration(lin) }
        }
    }

    deinit { scratch?.deallocate() }

    // MARK: - Mapping (the engine's API)

    /// Maps the part of [offset, offset+length) that lies in one chunk. The first read of a
    /// restored chunk not yet loaded returns `.fetch` once and marks it loaded.
    @inline(__always)
    public func mapReadChunk(offset: UInt64, length: Int) -> ReadSegment {
        let c = UInt32(truncatingIfNeeded: offset >> shift)
        let within = offset & mask
        let n = min(length, chunkSize - Int(within))
        let e = map.get(c)
        if e == 0 { return ReadSegment(kind: .zero, physicalOffset: 0, length: n, penaltyNs: 0) }
        let phys = UInt64(ChunkMap.physical(e)) << shift | within
        if ChunkMap.epoch(e) == 0, let lin = lineage, !lin.fullyLoaded, !isLoaded(c, lin) {
            markLoaded(c, lin)
            let p = fetchProfile.penalty(bytes: chunkSize)
            fetchPenaltyNs &+= p
            fetchCount &+= 1
            return ReadSegment(kind: .fetch, physicalOffset: phys, length: n, penaltyNs: p)
        }
        return ReadSegment(kind: .data, physicalOffset: phys, length: n, penaltyNs: 0)
    }

    /// All segments of a read (allocates an array; the engine can loop `mapReadChunk`).
    public func mapForRead(offset: UInt64, length: Int) -> [ReadSegment] {
        var out: [ReadSegment] = []
        var o = offset, left = length
        while left > 0 {
            let s = mapReadChunk(offset: o, length: left)
            out.append(s)
            o += UInt64(s.length); left -= s.length
        }
        return out
    }

    /// Plans the part of a write that lies in one chunk. A chunk written since the last
    /// snapshot is written in place (fast path); otherwise a new chunk is allocated, and if
    /// the old one held data that the write does not fully cover, a copy is requested.
    @inline(__always)
    public func prepareWriteChunk(offset: UInt64, length: Int) throws -> WritePlan {
        let c = UInt32(truncatingIfNeeded: offset >> shift)
        let within = offset & mask
        let n = min(length, chunkSize - Int(within))
        let e = map.get(c)
        if let lin = lineage, e != 0, ChunkMap.epoch(e) == lin.openEpoch, !isReadOnly {
            pool.dataDirty = true
            return WritePlan(physicalOffset: UInt64(ChunkMap.physical(e)) << shift | within, length: n,
                             copyFrom: 0, copyTo: 0, copyLength: 0, copyPenaltyNs: 0)
        }
        return try allocateForWrite(c, entry: e, within: within, length: n)
    }

    private func allocateForWrite(_ c: UInt32, entry e: UInt64, within: UInt64, length n: Int) throws -> WritePlan {
        guard !isReadOnly, let lin = lineage else { throw BlockLabError.usage("\(name): read-only (a snapshot or a read-only pool)") }
        guard lin.volumeName != nil else { throw BlockLabError.usage("\(name): volume was deleted") }
        guard offsetInRange(UInt64(c) << shift | within, n) else { throw BlockLabError.usage("\(name): write beyond end of volume") }
        let p = try pool.allocateChunk()
        var plan = WritePlan(physicalOffset: UInt64(p) << shift | within, length: n, copyFrom: 0, copyTo: 0, copyLength: 0, copyPenaltyNs: 0)
        if e != 0 && !(within == 0 && n == chunkSize) {
            plan.copyFrom = UInt64(ChunkMap.physical(e)) << shift
            plan.copyTo = UInt64(p) << shift
            plan.copyLength = chunkSize
            if ChunkMap.epoch(e) == 0, !lin.fullyLoaded, !isLoaded(c, lin) {
                plan.copyPenaltyNs = fetchProfile.penalty(bytes: chunkSize)
                fetchPenaltyNs &+= plan.copyPenaltyNs
                fetchCount &+= 1
            }
        }
        if ChunkMap.epoch(e) == 0, !lin.fullyLoaded { markLoaded(c, lin) }
        map.set(c, ChunkMap.entry(physical: p, epoch: lin.openEpoch))
        lin.openDelta[c] = p
        lin.pendingEntries.append(UInt64(c) << 32 | UInt64(p))
        lin.pendingFresh.append(e == 0)
        lin.pendingPrevious.append(e)
        if e == 0 { lin.mappedChunks += 1 }
        pool.dataDirty = true
        return plan
    }

    /// All pieces of a write.
    public func prepareWrite(offset: UInt64, length: Int) throws -> [WritePlan] {
        guard offsetInRange(offset, length) else { throw BlockLabError.usage("\(name): write [\(offset), +\(length)) beyond end of volume (\(sizeBytes) bytes)") }
        var out: [WritePlan] = []
        var o = offset, left = length
        while left > 0 {
            let p = try prepareWriteChunk(offset: o, length: left)
            out.append(p)
            o += UInt64(p.length); left -= p.length
        }
        return out
    }

    /// Data, then the new mappings, made durable (group commit: call at fsync points).
    public func commit() throws { try pool.commit() }

    func offsetInRange(_ offset: UInt64, _ length: Int) -> Bool {
        length >= 0 && offset <= sizeBytes && UInt64(length) <= sizeBytes - offset
    }

    // MARK: - Hydration

    @inline(__always) private func isLoaded(_ c: UInt32, _ lin: LineageRec) -> Bool {
        if loaderCursor < loaderOrder.count { advanceLoader(lin) }
        if lin.fullyLoaded { return true }
        return lin.loaded?.contains(c) ?? true
    }

    private func markLoaded(_ c: UInt32, _ lin: LineageRec) {
        guard lin.loaded != nil, !lin.loaded!.contains(c) else { return }
        lin.loaded!.insert(c)
        if !isReadOnly { lin.pendingHydrate.append(c) }
        unloaded -= 1
        if unloaded == 0 && !isReadOnly { finishHydration(lin) }
    }

    /// The background loader hydrates base chunks in logical order at the restore rate;
    /// it is advanced lazily from the injected clock, so it costs nothing between calls.
    private func advanceLoader(_ lin: LineageRec) {
        let elapsed = Double(pool.clock.now() &- loaderStart) / 1e9
        let target = min(loaderOrder.count, Int(elapsed * Double(lin.rateBytesPerSec) / Double(chunkSize)))
        while loaderCursor < target {
            markLoaded(loaderOrder[loaderCursor], lin)
            loaderCursor += 1
        }
    }

    func finishHydration(_ lin: LineageRec) {
        guard !lin.fullyLoaded else { return }
        lin.fullyLoaded = true
        lin.loaded = nil
        lin.pendingHydrate = []
        loaderCursor = loaderOrder.count
        pool.pendingHydrateAll.insert(lin.id)
    }

    /// Chunks of the restored snapshot not yet loaded (0 once hydrated).
    public var unloadedChunks: Int {
        guard let lin = lineage, !lin.fullyLoaded else { return 0 }
        if loaderCursor < loaderOrder.count { advanceLoader(lin) }
        return lin.fullyLoaded ? 0 : unloaded
    }

    // MARK: - Blocking I/O (CLI, tests)

    /// Reads `buffer.count` bytes at `offset`. Fetch penalties are added to `fetchPenaltyNs`
    /// rather than slept.
    public func read(offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard offsetInRange(offset, buffer.count) else { throw BlockLabError.usage("\(name): read beyond end of volume") }
        var done = 0
        while done < buffer.count {
            let s = mapReadChunk(offset: offset + UInt64(done), length: buffer.count - done)
            let dst = buffer.baseAddress! + done
            if s.kind == .zero {
                memset(dst, 0, s.length)
            } else {
                try preadFully(dst, s.length, s.physicalOffset)
            }
            done += s.length
        }
    }

    public func write(offset: UInt64, from buffer: UnsafeRawBufferPointer) throws {
        guard offsetInRange(offset, buffer.count) else { throw BlockLabError.usage("\(name): write beyond end of volume") }
        var done = 0
        while done < buffer.count {
            let o = offset + UInt64(done)
            let c = UInt32(truncatingIfNeeded: o >> shift)
            let before = map.get(c)
            let p = try prepareWriteChunk(offset: o, length: buffer.count - done)
            do {
                try performCopy(p)
                try pwriteFully(buffer.baseAddress! + done, p.length, p.physicalOffset)
            } catch {
                // A new chunk whose copy or write failed must not be mapped: it would expose
                // zeros (or a partial copy) outside the range this write was given.
                if map.get(c) != before { undoAllocation(c, previous: before) }
                throw error
            }
            done += p.length
        }
    }

    /// Reverts the allocation `prepareWriteChunk` just made for chunk `c` (the last pending
    /// entry) and frees the new chunk.
    private func undoAllocation(_ c: UInt32, previous: UInt64) {
        guard let lin = lineage, let p = lin.openDelta[c], let last = lin.pendingEntries.last,
              last == UInt64(c) << 32 | UInt64(p) else { return }
        lin.pendingEntries.removeLast()
        lin.pendingFresh.removeLast()
        lin.pendingPrevious.removeLast()
        lin.openDelta[c] = nil
        if previous == 0 { lin.mappedChunks -= 1 }
        map.set(c, previous)
        pool.release([p])
    }

    /// Drops every chunk allocated since the last commit and restores the entries they
    /// replaced, as a crash before the commit would: after a failed write or copy of the
    /// engine's, a new chunk may hold neither the old data nor the new, and must never be
    /// published. Writes in place to chunks the volume already owned are not undone (they
    /// are the failed writes themselves, as on a disk).
    public func abandonPending() {
        guard let lin = lineage else { return }
        var freed: [UInt32] = []
        for i in lin.pendingEntries.indices.reversed() {
            let c = UInt32(truncatingIfNeeded: lin.pendingEntries[i] >> 32)
            let p = UInt32(truncatingIfNeeded: lin.pendingEntries[i])
            let previous = i < lin.pendingPrevious.count ? lin.pendingPrevious[i] : 0
            if lin.openDelta[c] == p { lin.openDelta[c] = nil }
            if previous == 0 { lin.mappedChunks -= 1 }
            map.set(c, previous)
            freed.append(p)
        }
        lin.pendingEntries.removeAll(keepingCapacity: true)
        lin.pendingFresh.removeAll(keepingCapacity: true)
        lin.pendingPrevious.removeAll(keepingCapacity: true)
        pool.release(freed)
    }

    /// Performs a plan's copy-on-write copy with blocking pread/pwrite (for engines that
    /// would rather not link the copy into their queue). No-op when nothing is to be copied.
    public func performCopy(_ p: WritePlan) throws {
        guard p.copyLength > 0 else { return }
        if scratch == nil { scratch = .allocate(byteCount: chunkSize, alignment: 4096) }
        try preadFully(scratch!, p.copyLength, p.copyFrom)
        try pwriteFully(UnsafeRawPointer(scratch!), p.copyLength, p.copyTo)
    }

    public func read(offset: UInt64, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try read(offset: offset, into: $0) }
        return out
    }

    public func write(offset: UInt64, bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write(offset: offset, from: $0) }
    }

    private func preadFully(_ dst: UnsafeMutableRawPointer, _ n: Int, _ off: UInt64) throws {
        let r = Syscall.readFull(dataFD, dst, count: n, offset: Int64(off))
        if r < 0 { throw SystemError("pread", errno: Int32(-r), path: "\(pool.path)/data") }
        if r < n { memset(dst + r, 0, n - r) } // past EOF: never written
    }

    private func pwriteFully(_ src: UnsafeRawPointer, _ n: Int, _ off: UInt64) throws {
        let e = pool.io.writeFully(dataFD, src, n, off_t(off))
        if e != 0 { throw pool.diskError("write data", e) }
    }
}
