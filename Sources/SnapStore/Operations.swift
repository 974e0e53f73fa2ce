import BlockLabCore

public struct VolumeInfo: Equatable, Sendable {
    public let name: String
    public let sizeBytes: UInt64
    /// Bytes of chunks with data (what a thin volume occupies, shared or not).
    public let mappedBytes: UInt64
    public let snapshotCount: Int
    /// The snapshot this volume was restored from, if any.
    public let restoredFrom: String?
    public let fullyLoaded: Bool
}

public struct SnapshotInfo: Equatable, Sendable {
    public let name: String
    public let volume: String?
    public let lineage: UInt32
    public let createdMs: UInt64
    /// Bytes readable with data in this snapshot.
    public let mappedBytes: UInt64
    /// Bytes written since the parent snapshot (its incremental delta; what EBS bills).
    public let incrementalBytes: UInt64
    /// Bytes only this snapshot holds: deleting it frees exactly these.
    public let uniqueBytes: UInt64
    /// mappedBytes - uniqueBytes: data it shares with older snapshots or newer data.
    public let sharedBytes: UInt64
}

extension Pool {
    static func validateName(_ name: String, what: String) throws {
        let ok = !name.isEmpty && name.count <= 200 && !name.hasPrefix(".") &&
            name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "._@-".unicodeScalars.contains($0) }
        guard ok else { throw BlockLabError.usage("\(what) '\(name)': use 1-200 letters, digits, '.', '_', '@' or '-' (not starting with '.')") }
    }

    func checkFreeName(_ name: String, what: String) throws {
        try Pool.validateName(name, what: what)
        if state.volumeByName[name] != nil || state.snapshotByName[name] != nil || pendingImports[name] != nil {
            throw BlockLabError.usage("\(what) '\(name)': a volume or snapshot with that name already exists in pool \(path)")
        }
    }

    func lineage(ofVolume name: String) throws -> LineageRec {
        guard let l = state.volumeByName[name], let lin = state.lineages[l] else {
            throw BlockLabError.usage("pool \(path): no volume named '\(name)'")
        }
        return lin
    }

    func snapshot(named name: String) throws -> SnapshotRec {
        guard let id = state.snapshotByName[name], let s = state.snapshots[id] else {
            throw BlockLabError.usage("pool \(path): no snapshot named '\(name)'")
        }
        return s
    }

    public func hasVolume(_ name: String) -> Bool { state.volumeByName[name] != nil }
    public func hasSnapshot(_ name: String) -> Bool { state.snapshotByName[name] != nil }

    // MARK: - Volumes

    public func createVolume(name: String, size: UInt64) throws {
        try checkFreeName(name, what: "volume")
        guard size > 0, size % 512 == 0 else { throw BlockLabError.usage("volume \(name): --size must be a positive multiple of 512 bytes") }
        try checkVolumeSize(size, name: name)
        try commit(extra: [.createVolume(lineage: state.nextLineage, name: name, size: size, base: 0, fast: false, rateBytesPerSec: 0, createdMs: wallClockMs())])
    }

    func checkVolumeSize(_ size: UInt64, name: String) throws {
        guard size > 0, size % 512 == 0 else { throw BlockLabError.usage("volume \(name): --size must be a positive multiple of 512 bytes") }
        guard state.chunkCount(size) < UInt64(UInt32.max) else { throw BlockLabError.usage("volume \(name): --size too large for chunk size \(chunkSize)") }
    }

    public func deleteVolume(name: String) throws {
        let lin = try lineage(ofVolume: name)
        // Uncommitted writes of a deleted volume need no journal entry; their chunks are in
        // the open delta, which the delete frees.
        lin.pendingEntries = []
        lin.pendingFresh = []
        lin.pendingPrevious = []
        lin.pendingHydrate = []
        try commit(extra: [.deleteVolume(lineage: lin.id)])
    }

    public func volumes() -> [VolumeInfo] {
        state.volumeByName.keys.sorted().compactMap { name in
            guard let lin = state.lineages[state.volumeByName[name]!] else { return nil }
            return VolumeInfo(name: name, sizeBytes: lin.sizeBytes, mappedBytes: lin.mappedChunks * UInt64(chunkSize),
                              snapshotCount: lin.snapshots.filter { !$0.hidden }.count,
                              restoredFrom: lin.base == 0 ? nil : state.snapshots[lin.base].map { $0.hidden ? "\($0.name) (deleted)" : $0.name },
                              fullyLoaded: lin.fullyLoaded)
        }
    }

    // MARK: - Snapshots

    /// Point-in-time snapshot: commits pending writes and closes the open delta. Its cost
    /// is one journal frame; it does not depend on the volume's size.
    @discardableResult
    public func createSnapshot(volume: String, name: String? = nil) throws -> String {
        let lin = try lineage(ofVolume: volume)
        let id = state.nextSnapshot
        let snapName = name ?? "\(volume)@\(id)"
        try checkFreeName(snapName, what: "snapshot")
        try commit(extra: [.snapshot(lineage: lin.id, id: id, name: snapName, createdMs: wallClockMs())])
        return snapName
    }

    public func deleteSnapshot(name: String) throws {
        let s = try snapshot(named: name)
        try commit(extra: [.deleteSnapshot(id: s.id)])
    }

    func info(_ s: SnapshotRec) -> SnapshotInfo {
        let lin = state.lineages[s.lineage]!
        let idx = lin.snapshots.firstIndex { $0 === s }!
        var unique = UInt64(s.delta.count)
        if idx + 1 < lin.snapshots.count {
            let next = lin.snapshots[idx + 1].delta
            unique = UInt64(s.delta.keys.filter { next[$0] != nil }.count)
        } else if lin.volumeName != nil {
            unique = UInt64(s.delta.keys.filter { lin.openDelta[$0] != nil }.count)
        }
        if s.pins > 0 { unique = 0 } // a restored volume still reads it
        let cs = UInt64(chunkSize)
        return SnapshotInfo(name: s.name, volume: lin.volumeName, lineage: lin.id, createdMs: s.createdMs,
                            mappedBytes: s.mappedChunks * cs, incrementalBytes: UInt64(s.delta.count) * cs,
                            uniqueBytes: unique * cs, sharedBytes: (s.mappedChunks - min(unique, s.mappedChunks)) * cs)
    }

    /// Visible snapshots, oldest first within each lineage.
    public func snapshots() -> [SnapshotInfo] {
        state.lineages.keys.sorted().flatMap { l in state.lineages[l]!.snapshots.filter { !$0.hidden }.map(info) }
    }

    public func snapshotInfo(_ name: String) throws -> SnapshotInfo { info(try snapshot(named: name)) }

    // MARK: - Diff

    /// The EBS direct-API block indices (512 KiB, index = offset / 524,288) that changed
    /// between snapshot `from` and `to` (a later or earlier snapshot of the same lineage, or
    /// the lineage's volume). Cost is proportional to the deltas in between.
    public func diff(_ from: String, _ to: String) throws -> [UInt64] {
        let a = try snapshot(named: from)
        let lin = state.lineages[a.lineage]!
        let ai = lin.snapshots.firstIndex { $0 === a }!
        var bi: Int // index of the newer end; lin.snapshots.count = the volume
        var lo = ai
        if let id = state.snapshotByName[to], let b = state.snapshots[id] {
            guard b.lineage == a.lineage else {
                throw BlockLabError.usage("snapshot diff: '\(from)' and '\(to)' belong to different lineages (not snapshots of the same volume)")
            }
            bi = lin.snapshots.firstIndex { $0 === b }!
            if bi < ai { swap(&bi, &lo) }
        } else if let l = state.volumeByName[to] {
            guard l == a.lineage else {
                throw BlockLabError.usage("snapshot diff: volume '\(to)' is not the volume snapshot '\(from)' was taken of")
            }
            bi = lin.snapshots.count
        } else {
            throw BlockLabError.usage("pool \(path): no snapshot or volume named '\(to)'")
        }
        var chunks = Set<UInt32>()
        if lo + 1 <= bi {
            for i in (lo + 1)...bi {
                if i < lin.snapshots.count { chunks.formUnion(lin.snapshots[i].delta.keys) } else { chunks.formUnion(lin.openDelta.keys) }
            }
        }
        let cs = UInt64(chunkSize), block: UInt64 = 512 * 1024
        var blocks = Set<UInt64>()
        for c in chunks {
            let start = UInt64(c) * cs
            let end = min(start + cs, lin.sizeBytes)
            var b = start / block
            while b * block < end { blocks.insert(b); b += 1 }
        }
        return blocks.sorted()
    }

    // MARK: - Retention

    /// Data Lifecycle Manager-style retention over a volume's snapshots: keep the newest
    /// `keep`, and/or those younger than `maxAgeMs`. Returns the names deleted, oldest first.
    @discardableResult
    public func prune(volume: String, keep: Int?, maxAgeMs: UInt64?) throws -> [String] {
        guard keep != nil || maxAgeMs != nil else { throw BlockLabError.usage("snapshot prune: give --keep N or --max-age AGE") }
        if let k = keep, k < 0 { throw BlockLabError.usage("snapshot prune: --keep must be >= 0") }
        let lin = try lineage(ofVolume: volume)
        let visible = lin.snapshots.filter { !$0.hidden }
        let now = wallClockMs()
        var doomed: [SnapshotRec] = []
        for (i, s) in visible.enumerated() {
            let newerCount = visible.count - 1 - i
            let tooMany = keep.map { newerCount >= $0 } ?? false
            let tooOld = maxAgeMs.map { now >= s.createdMs && now - s.createdMs > $0 } ?? false
            if tooMany || tooOld { doomed.append(s) }
        }
        for s in doomed { try commit(extra: [.deleteSnapshot(id: s.id)]) }
        return doomed.map(\.name)
    }

    // MARK: - Restore

    /// A new volume holding snapshot `snapshot`'s content, in constant time (it reads through
    /// the snapshot's deltas). Unless `fastRestore`, chunks load lazily like a restored EBS
    /// volume: first reads pay `FetchProfile`'s penalty while a background loader hydrates
    /// at `rateBytesPerSec`.
    public func restore(snapshot: String, to name: String, fastRestore: Bool = false,
                        rateBytesPerSec: UInt64 = FetchProfile.defaultRateBytesPerSec) throws {
        let s = try self.snapshot(named: snapshot)
        try checkFreeName(name, what: "volume")
        guard rateBytesPerSec > 0 else { throw BlockLabError.usage("restore: --rate must be positive") }
        let size = state.lineages[s.lineage]!.sizeBytes
        try commit(extra: [.createVolume(lineage: state.nextLineage, name: name, size: size, base: s.id, fast: fastRestore,
                                         rateBytesPerSec: rateBytesPerSec, createdMs: wallClockMs())])
    }
}
