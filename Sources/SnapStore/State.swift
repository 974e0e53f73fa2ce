// The pool's metadata in memory and the one `apply` that both live operations and journal
// replay go through, so a replayed pool is exactly the pool that was running.
//
// Model (forward deltas, like EBS's incremental snapshots): a lineage is a volume and its
// snapshots. Each snapshot owns a delta: the chunks written between its parent and itself.
// The volume owns the open delta (written since the last snapshot). Every physical chunk
// has exactly one owner (reference count 0 or 1); sharing comes from lookup through the
// chain of older deltas, not from copies. A restored volume is a new lineage whose base is
// the snapshot it came from; that snapshot is pinned while the lineage exists.

final class SnapshotRec {
    let id: UInt32
    var name: String
    let lineage: UInt32
    /// The lineage epoch this snapshot closed (its delta's entries carry this epoch).
    var epoch: UInt32
    let createdMs: UInt64
    var delta: [UInt32: UInt32]
    /// Chunks visible in this snapshot (with data), fixed at creation.
    let mappedChunks: UInt64
    /// Deleted by the user but kept because a restored volume's lineage is based on it.
    var hidden = false
    var pins = 0

    init(id: UInt32, name: String, lineage: UInt32, epoch: UInt32, createdMs: UInt64, delta: [UInt32: UInt32], mappedChunks: UInt64) {
        self.id = id; self.name = name; self.lineage = lineage; self.epoch = epoch
        self.createdMs = createdMs; self.delta = delta; self.mappedChunks = mappedChunks
    }
}

final class LineageRec {
    let id: UInt32
    let base: UInt32
    let sizeBytes: UInt64
    let createdMs: UInt64
    var snapshots: [SnapshotRec] = []
    var volumeName: String?
    var openEpoch: UInt32 = 1
    var openDelta: [UInt32: UInt32] = [:]
    var mappedChunks: UInt64 = 0
    // Restore state: chunks of the base snapshot not yet loaded pay a fetch penalty.
    let fastRestore: Bool
    let rateBytesPerSec: UInt64
    var fullyLoaded: Bool
    var loaded: Bitmap?
    /// The volume's full map while it is open for I/O (kept current by every operation).
    var map: ChunkMap?
    // Written since the last commit, not yet in the journal (group commit).
    var pendingEntries: [UInt64] = []
    var pendingFresh: [Bool] = []
    /// For each pending entry, the map entry it replaced (to abandon uncommitted writes).
    var pendingPrevious: [UInt64] = []
    var pendingHydrate: [UInt32] = []
    /// An import in progress: in memory only, not a volume until its commit frame.
    var uncommitted = false

    init(id: UInt32, base: UInt32, sizeBytes: UInt64, createdMs: UInt64, name: String, fast: Bool, rate: UInt64) {
        self.id = id; self.base = base; self.sizeBytes = sizeBytes; self.createdMs = createdMs
        volumeName = name; fastRestore = fast; rateBytesPerSec = rate
        fullyLoaded = base == 0 || fast
    }
}

final class PoolState {
    var chunkSize: UInt32 = 0
    var lineages: [UInt32: LineageRec] = [:]
    var snapshots: [UInt32: SnapshotRec] = [:]
    var volumeByName: [String: UInt32] = [:]
    var snapshotByName: [String: UInt32] = [:]
    var nextLineage: UInt32 = 1
    var nextSnapshot: UInt32 = 1
    /// Digest of each sealed snapshot chunk (physical -> first 8 bytes of SHA-256). Dropped
    /// when the chunk is freed or moves to a volume's open delta (writable again).
    var checksums: [UInt32: UInt64] = [:]

    /// Chunks a volume of `size` bytes spans (overflow-free; chunkSize is set by the header).
    func chunkCount(_ size: UInt64) -> UInt64 {
        let cs = UInt64(max(chunkSize, 1))
        return size / cs + (size % cs == 0 ? 0 : 1)
    }

    static func validChunkSize(_ cs: UInt32) -> Bool { cs >= 4096 && cs <= 1 << 20 && cs & (cs - 1) == 0 }

    private func bad(_ message: String) -> FormatError { FormatError(message: message) }

    /// Names and ids a new volume or snapshot may take (live operations check the same
    /// before they commit, so this only rejects journals no pool wrote).
    private func checkNew(name: String, what: String) throws {
        guard !name.isEmpty, volumeByName[name] == nil, snapshotByName[name] == nil else {
            throw bad("\(what) name '\(name)' is empty or already taken")
        }
    }

    /// Applies one operation; returns the physical chunks it freed. `live` map ops were
    /// already applied in memory when the write was prepared, so they are skipped.
    /// Every number taken from `op` is range-checked before it is used: replaying any
    /// journal either succeeds or throws FormatError, never traps.
    func apply(_ op: Op, live: Bool) throws -> [UInt32] {
        if case .header(let cs) = op {
            guard chunkSize == 0 else { throw bad("a second header in the journal") }
            guard PoolState.validChunkSize(cs) else { throw bad("header: invalid chunk size \(cs)") }
            chunkSize = cs
            return []
        }
        guard chunkSize != 0 else { throw bad("operation before the journal header") }
        switch op {
        case .header:
            return []
        case let .createVolume(l, name, size, base, fast, rate, ms):
            guard l != 0, l < UInt32.max, lineages[l] == nil else { throw bad("volume \(name): lineage \(l) is invalid or exists") }
            try checkNew(name: name, what: "volume")
            guard size > 0, size % 512 == 0, chunkCount(size) < UInt64(UInt32.max) else { throw bad("volume \(name): invalid size \(size)") }
            if base != 0 {
                guard let b = snapshots[base], !b.hidden, let bl = lineages[b.lineage], bl.sizeBytes == size else {
                    throw bad("volume \(name) restored from missing snapshot \(base) (or of another size)")
                }
            }
            let lin = LineageRec(id: l, base: base, sizeBytes: size, createdMs: ms, name: name, fast: fast, rate: rate)
            if base != 0, let b = snapshots[base] {
                b.pins += 1
                lin.mappedChunks = b.mappedChunks
                if !lin.fullyLoaded { lin.loaded = Bitmap(count: chunkCount(size)) }
            }
            lineages[l] = lin
            volumeByName[name] = l
            nextLineage = max(nextLineage, l + 1)
            return []
        case let .map(l, entries, fresh):
            if live { return [] }
            guard let lin = lineages[l], lin.volumeName != nil else { throw bad("mapping for missing volume (lineage \(l))") }
            let chunks = chunkCount(lin.sizeBytes)
            for e in entries where UInt64(e >> 32) >= chunks || UInt32(truncatingIfNeeded: e) >= UInt32.max - 1 {
                throw bad("mapping \(e >> 32) -> \(UInt32(truncatingIfNeeded: e)) out of range for lineage \(l)")
            }
            guard entries.count == fresh.count else { throw bad("mapping entries and flags differ in number") }
            for (e, f) in zip(entries, fresh) {
                lin.openDelta[UInt32(truncatingIfNeeded: e >> 32)] = UInt32(truncatingIfNeeded: e)
                if f { lin.mappedChunks += 1 }
            }
            return []
        case let .snapshot(l, id, name, ms):
            guard let lin = lineages[l], lin.volumeName != nil else { throw bad("snapshot of missing volume (lineage \(l))") }
            guard id != 0, id < UInt32.max, snapshots[id] == nil, lin.openEpoch < UInt32.max else { throw bad("snapshot id \(id) is invalid or exists") }
            try checkNew(name: name, what: "snapshot")
            let s = SnapshotRec(id: id, name: name, lineage: l, epoch: lin.openEpoch, createdMs: ms,
                                delta: lin.openDelta, mappedChunks: lin.mappedChunks)
            lin.openDelta = [:]
            lin.openEpoch += 1
            lin.snapshots.append(s)
            snapshots[id] = s
            snapshotByName[name] = id
            nextSnapshot = max(nextSnapshot, id + 1)
            return []
        case .deleteSnapshot(let id):
            guard let s = snapshots[id], !s.hidden else { throw bad("deleting missing snapshot \(id)") }
            if snapshotByName[s.name] == id { snapshotByName[s.name] = nil }
            if s.pins > 0 { s.hidden = true; return [] }
            return removeSnapshot(s)
        case .deleteVolume(let l):
            guard let lin = lineages[l], let name = lin.volumeName else { throw FormatError(message: "deleting missing volume \(l)") }
            volumeByName[name] = nil
            lin.volumeName = nil
            lin.map = nil
            var freed = Array(lin.openDelta.values)
            lin.openDelta = [:]
            freed += dropLineageIfEmpty(lin)
            return freed
        case let .hydrate(l, chunks):
            guard let lin = lineages[l] else { throw FormatError(message: "hydrating missing lineage \(l)") }
            if !lin.fullyLoaded, var bm = lin.loaded {
                lin.loaded = nil
                for c in chunks where UInt64(c) < chunkCount(lin.sizeBytes) { bm.insert(c) }
                lin.loaded = bm
            }
            return []
        case .hydrateAll(let l):
            guard let lin = lineages[l] else { throw FormatError(message: "hydrating missing lineage \(l)") }
            lin.fullyLoaded = true
            lin.loaded = nil
            return []
        case let .checksums(ps, ds):
            guard ps.count == ds.count, ps.allSatisfy({ $0 < UInt32.max - 1 }) else { throw bad("checksum record out of range") }
            for (p, d) in zip(ps, ds) { checksums[p] = d }
            return []
        }
    }

    /// Merges a snapshot's delta into its successor (the next snapshot or the volume's open
    /// delta): chunks the successor rewrote are freed, the rest move over. Newer deltas never
    /// see older ones' removal, and older snapshots never read newer deltas, so every other
    /// snapshot keeps its content. If that empties the lineage, its base snapshot is
    /// unpinned and, if hidden, removed in turn (a loop, not recursion: a chain of restores
    /// can be as long as the journal allows).
    private func removeSnapshot(_ first: SnapshotRec) -> [UInt32] {
        var freed: [UInt32] = []
        var next: SnapshotRec? = first
        while let s = next {
            next = nil
            guard let lin = lineages[s.lineage], let idx = lin.snapshots.firstIndex(where: { $0 === s }) else { break }
            if idx + 1 < lin.snapshots.count {
                let successor = lin.snapshots[idx + 1]
                for (c, p) in s.delta {
                    if successor.delta[c] == nil {
                        successor.delta[c] = p
                        retag(lin, c, p, successor.epoch)
                    } else { freed.append(p) }
                }
            } else if lin.volumeName != nil {
                for (c, p) in s.delta {
                    if lin.openDelta[c] == nil {
                        lin.openDelta[c] = p
                        checksums[p] = nil // writable in place from now on
                        retag(lin, c, p, lin.openEpoch)
                    } else { freed.append(p) }
                }
            } else {
                freed += s.delta.values
            }
            lin.snapshots.remove(at: idx)
            snapshots[s.id] = nil
            next = unlinkIfEmpty(lin)
        }
        for p in freed { checksums[p] = nil }
        return freed
    }

    private func retag(_ lin: LineageRec, _ c: UInt32, _ p: UInt32, _ epoch: UInt32) {
        guard let map = lin.map, map.get(c) != 0, ChunkMap.physical(map.get(c)) == p else { return }
        map.set(c, ChunkMap.entry(physical: p, epoch: epoch))
    }

    /// A lineage with neither volume nor snapshots is gone; its base snapshot is unpinned
    /// and, if the user had already deleted it, removed now.
    private func dropLineageIfEmpty(_ lin: LineageRec) -> [UInt32] {
        guard let b = unlinkIfEmpty(lin) else { return [] }
        return removeSnapshot(b)
    }

    /// Drops an empty lineage and unpins its base; returns the base if it is now to be removed.
    private func unlinkIfEmpty(_ lin: LineageRec) -> SnapshotRec? {
        guard lin.volumeName == nil, lin.snapshots.isEmpty else { return nil }
        lineages[lin.id] = nil
        guard lin.base != 0, let b = snapshots[lin.base] else { return nil }
        b.pins -= 1
        return b.hidden && b.pins == 0 ? b : nil
    }

    // MARK: - Resolving content

    /// Fills `map` with the content of lineage `l` up to and including its snapshot at
    /// `upTo` (nil: everything, including the open delta). Content from the snapshot a
    /// restored lineage is based on gets epoch 0 when `baseEpochZero` (the restored volume's
    /// own view); content from further down the chain of restores always does. Walks the
    /// chain with a loop, oldest first, each level overwriting what it changed.
    func fill(_ map: ChunkMap, lineage l: UInt32, upTo: Int?, baseEpochZero: Bool = true) {
        var chain: [(lin: LineageRec, upTo: Int?)] = []
        var current = lineages[l].map { ($0, upTo) }
        while let (lin, last) = current, chain.count <= lineages.count {
            chain.append((lin, last))
            current = nil
            if lin.base != 0, let b = snapshots[lin.base], let bl = lineages[b.lineage],
               let bi = bl.snapshots.firstIndex(where: { $0 === b }) {
                current = (bl, bi)
            }
        }
        for (depth, level) in chain.enumerated().reversed() {
            let zero = depth >= 2 || (depth == 1 && baseEpochZero)
            let last = level.upTo ?? (level.lin.snapshots.count - 1)
            if last >= 0 {
                for s in level.lin.snapshots[0...min(last, level.lin.snapshots.count - 1)] {
                    for (c, p) in s.delta where UInt64(c) < map.chunkCount {
                        map.set(c, ChunkMap.entry(physical: p, epoch: zero ? 0 : s.epoch))
                    }
                }
            }
            if level.upTo == nil {
                for (c, p) in level.lin.openDelta where UInt64(c) < map.chunkCount {
                    map.set(c, ChunkMap.entry(physical: p, epoch: level.lin.openEpoch))
                }
            }
        }
    }

    /// Every physical chunk that is referenced, with how many deltas reference it.
    func referenceCounts() -> [UInt32: Int] {
        var refs: [UInt32: Int] = [:]
        for lin in lineages.values {
            for p in lin.openDelta.values { refs[p, default: 0] += 1 }
            for s in lin.snapshots { for p in s.delta.values { refs[p, default: 0] += 1 } }
        }
        return refs
    }
}
