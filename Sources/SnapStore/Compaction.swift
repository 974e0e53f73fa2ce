#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore

// Journal compaction: the journal grows with every operation, so a writable open rewrites
// it as a checkpoint (the operations that rebuild the current state) once it is large and
// mostly history. The checkpoint is replayed into a fresh state and compared with the
// running one before it atomically replaces the journal; on any difference it is dropped.

extension PoolState {
    /// Frames that rebuild this state from an empty pool (one frame per lineage).
    func checkpointFrames() -> [[Op]] {
        var frames: [[Op]] = [[.header(chunkSize: chunkSize)]]
        var hidden: [UInt32] = []
        for lin in lineages.values.sorted(by: { $0.id < $1.id }) {
            var ops: [Op] = []
            // Hidden snapshots and volume-less lineages get names no user can type, so they
            // cannot collide with live names during replay.
            ops.append(.createVolume(lineage: lin.id, name: lin.volumeName ?? "\u{1}lineage-\(lin.id)", size: lin.sizeBytes,
                                     base: lin.base, fast: lin.fastRestore, rateBytesPerSec: lin.rateBytesPerSec, createdMs: lin.createdMs))
            let seen = ChunkMap(chunkCount: chunkCount(lin.sizeBytes))
            if lin.base != 0, let b = snapshots[lin.base], let bl = lineages[b.lineage],
               let bi = bl.snapshots.firstIndex(where: { $0 === b }) {
                fill(seen, lineage: bl.id, upTo: bi)
            }
            func mapOp(_ delta: [UInt32: UInt32]) -> Op {
                var entries: [UInt64] = [], fresh: [Bool] = []
                for (c, p) in delta.sorted(by: { $0.key < $1.key }) {
                    entries.append(UInt64(c) << 32 | UInt64(p))
                    fresh.append(seen.get(c) == 0)
                    seen.set(c, 1)
                }
                return .map(lineage: lin.id, entries: entries, fresh: fresh)
            }
            for s in lin.snapshots {
                ops.append(mapOp(s.delta))
                ops.append(.snapshot(lineage: lin.id, id: s.id, name: s.hidden ? "\u{1}hidden-\(s.id)" : s.name, createdMs: s.createdMs))
                if s.hidden { hidden.append(s.id) }
            }
            ops.append(mapOp(lin.openDelta))
            if lin.base != 0 && !lin.fastRestore {
                if lin.fullyLoaded {
                    ops.append(.hydrateAll(lineage: lin.id))
                } else if let bm = lin.loaded {
                    var chunks: [UInt32] = []
                    var c: UInt32 = 0
                    while UInt64(c) < chunkCount(lin.sizeBytes) { if bm.contains(c) { chunks.append(c) }; c += 1 }
                    ops.append(.hydrate(lineage: lin.id, chunks: chunks))
                }
            }
            if lin.volumeName == nil { ops.append(.deleteVolume(lineage: lin.id)) }
            frames.append(ops)
        }
        var last: [Op] = hidden.map { .deleteSnapshot(id: $0) }
        if !checksums.isEmpty {
            let sorted = checksums.sorted { $0.key < $1.key }
            last.append(.checksums(physical: sorted.map(\.key), digests: sorted.map(\.value)))
        }
        if !last.isEmpty { frames.append(last) }
        return frames
    }

    /// The facts a checkpoint must preserve, for comparison.
    func fingerprint() -> [String] {
        var out: [String] = ["cs \(chunkSize)"]
        for lin in lineages.values.sorted(by: { $0.id < $1.id }) {
            out.append("L\(lin.id) \(lin.volumeName ?? "-") \(lin.sizeBytes) base \(lin.base) mapped \(lin.mappedChunks) loaded \(lin.fullyLoaded) \(lin.loaded?.fingerprint ?? "")")
            out.append("  open \(lin.openDelta.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" })")
            for s in lin.snapshots {
                out.append("  S\(s.id) \(s.hidden ? "(hidden)" : s.name) \(s.createdMs) mapped \(s.mappedChunks) pins \(s.pins) \(s.delta.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" })")
            }
        }
        out.append("names \(volumeByName.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }) \(snapshotByName.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
        out.append("sums \(checksums.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
        return out
    }
}

extension Pool {
    /// Journal size from which a writable open considers compacting.
    static let compactionThreshold = 8 << 20

    /// Rewrites the journal as a checkpoint. Only while no volume is open for I/O (epochs
    /// are renumbered). Returns false, leaving the journal alone, if the checkpoint would not
    /// rebuild the same state or would not be smaller.
    @discardableResult
    func compact() throws -> Bool {
        guard !readOnly, state.lineages.values.allSatisfy({ $0.map == nil }) else { return false }
        try commit()
        let frames = state.checkpointFrames()
        let bytes = Superblock.journal(frames: frames.map { Frame.encode($0) })
        guard bytes.count < journalLength else { return false }
        let fresh = PoolState()
        for f in frames { for op in f { _ = try fresh.apply(op, live: false) } }
        guard fresh.fingerprint() == state.fingerprint() else {
            recovery.append("journal compaction skipped: the checkpoint did not reproduce the pool's state")
            return false
        }
        try replaceJournal(bytes)
        journalFrames = frames.count
        state.replace(with: fresh)
        return true
    }
}

extension PoolState {
    func replace(with other: PoolState) {
        chunkSize = other.chunkSize
        lineages = other.lineages
        snapshots = other.snapshots
        volumeByName = other.volumeByName
        snapshotByName = other.snapshotByName
        nextLineage = max(nextLineage, other.nextLineage)
        nextSnapshot = max(nextSnapshot, other.nextSnapshot)
        checksums = other.checksums
    }
}
