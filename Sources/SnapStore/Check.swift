#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore

/// What `pool check` found. Errors mean the pool cannot be trusted; warnings are leaks
/// (space held by nothing, reclaimable) or a torn last commit, which a crash can leave.
public struct CheckReport: Sendable {
    public var errors: [String] = []
    public var warnings: [String] = []
    public var repairs: [String] = []
    public var volumes = 0
    public var snapshots = 0
    public var mappedChunks = 0
    public var journalFrames = 0
    /// Snapshot chunks whose data matched its recorded checksum.
    public var checksumsVerified = 0
    public var ok: Bool { errors.isEmpty }

    public var json: JSONValue {
        .object([
            ("ok", .bool(ok)),
            ("volumes", .int(Int64(volumes))),
            ("snapshots", .int(Int64(snapshots))),
            ("mapped_chunks", .int(Int64(mappedChunks))),
            ("journal_frames", .int(Int64(journalFrames))),
            ("checksums_verified", .int(Int64(checksumsVerified))),
            ("errors", .array(errors.map { .string($0) })),
            ("warnings", .array(warnings.map { .string($0) })),
            ("repairs", .array(repairs.map { .string($0) })),
        ])
    }
}

extension Pool {
    /// Verifies every journal checksum, mapping, reference count, pin and count, and looks
    /// for leaked space, and checks snapshot data against recorded checksums. With `repair`,
    /// opens the pool for writing, which drops a torn, never-acknowledged journal tail and
    /// punches leaked chunks, then records checksums for snapshot chunks that have none;
    /// reports what it did. Damage is never "repaired": dropping metadata could destroy data.
    ///
    /// Takes the pool's lock first (shared; exclusive with `repair`), so it never reads a
    /// journal another process is appending to. A pool another process holds is a usage
    /// error saying so (exit 2), not a verdict; with `wait`, the check waits for the lock.
    public static func check(path: String, repair: Bool = false, wait: Bool = false) throws -> CheckReport {
        guard isPool(path) else { throw BlockLabError.usage("\(path): not a BlockLab pool (no journal/data files)") }
        let lock: Int32
        do {
            lock = try acquireLock(path: path, exclusive: repair, wait: wait)
        } catch BlockLabError.usage {
            throw BlockLabError.usage("pool \(path): in use by another process, which holds its lock; it cannot be checked while it may be changing (run the check when it has finished, or pass --wait)")
        }
        var lockHandedOver = false
        defer { if !lockHandedOver && lock >= 0 { Glibc.close(lock) } }
        var report = CheckReport()
        let jfd = Glibc.open("\(path)/\(journalName)", O_RDONLY | O_CLOEXEC)
        guard jfd >= 0 else { throw SystemError("open", errno: errno, path: "\(path)/\(journalName)") }
        let bytes: [UInt8]
        do { bytes = try readAll(jfd) } catch { Glibc.close(jfd); throw error }
        Glibc.close(jfd)
        let scan = JournalScan.scan(bytes)
        report.journalFrames = scan.frames.count
        if let c = scan.corruption {
            let rest = c.offset < bytes.count ? " (\(bytes.count - c.offset) bytes of metadata from there on cannot be trusted)" : ""
            report.errors.append("journal damaged at offset \(c.offset): \(c.reason)\(rest)")
            return report
        }
        if scan.legacy {
            report.warnings.append("journal in the old format without a commit record: a damaged last frame cannot be told from a torn write; a writable open (or --repair) upgrades it")
        }
        for slot in scan.badSlots {
            report.warnings.append("journal superblock slot \(slot) does not check out (a torn commit-record write); the other slot is current")
        }
        if let t = scan.tornTail, !repair {
            report.warnings.append("torn journal tail at offset \(t.offset) (\(t.bytes) bytes) past the acknowledged length: an unfinished, never-acknowledged commit, dropped on next writable open")
        }
        let pool: Pool
        do {
            lockHandedOver = true
            pool = try Pool(path: path, readOnly: !repair, clock: SystemClock.shared, io: .system, heldLock: lock)
        } catch let e as BlockLabError {
            report.errors.append(e.description)
            return report
        }
        defer { try? pool.close() }
        report.repairs = pool.recovery
        pool.verify(into: &report)
        let (errors, verified) = pool.verifyChecksums()
        report.errors += errors
        report.checksumsVerified = verified
        if repair && report.ok {
            let sealed = try pool.sealChecksums()
            if sealed > 0 { report.repairs.append("recorded checksums for \(sealed) snapshot chunk(s)") }
        }
        return report
    }

    func verify(into r: inout CheckReport) {
        let cs = UInt64(chunkSize)
        var st = stat()
        fstat(dataFD, &st)
        let fileBytes = UInt64(st.st_size)
        var owners: [UInt32: String] = [:]
        func own(_ p: UInt32, _ c: UInt32, _ who: String, _ chunks: UInt64) {
            r.mappedChunks += 1
            if UInt64(c) >= chunks { r.errors.append("\(who): logical chunk \(c) beyond the volume's \(chunks) chunks") }
            if p >= UInt32.max - 1 { r.errors.append("\(who): invalid physical chunk \(p)"); return }
            if (UInt64(p) + 1) * cs > fileBytes { r.errors.append("\(who): chunk \(c) -> physical \(p) lies past the end of the data file") }
            if let other = owners[p] {
                r.errors.append("physical chunk \(p) referenced twice (\(other) and \(who)): reference count 2, expected 1")
            } else { owners[p] = who }
        }
        for lin in state.lineages.values.sorted(by: { $0.id < $1.id }) {
            let chunks = state.chunkCount(lin.sizeBytes)
            let label = lin.volumeName.map { "volume \($0)" } ?? "lineage \(lin.id)"
            for (c, p) in lin.openDelta { own(p, c, label, chunks) }
            for s in lin.snapshots { for (c, p) in s.delta { own(p, c, "snapshot \(s.name)", chunks) } }
            if lin.base != 0 && state.snapshots[lin.base] == nil { r.errors.append("\(label): restored from missing snapshot \(lin.base)") }
            if lin.volumeName != nil {
                r.volumes += 1
                let m = ChunkMap(chunkCount: chunks)
                state.fill(m, lineage: lin.id, upTo: nil)
                var n: UInt64 = 0
                m.forEachMapped { _, _ in n += 1 }
                if n != lin.mappedChunks { r.errors.append("\(label): \(n) chunks mapped but \(lin.mappedChunks) recorded") }
            } else if lin.snapshots.isEmpty {
                r.errors.append("lineage \(lin.id) has neither volume nor snapshots")
            }
            for (i, s) in lin.snapshots.enumerated() {
                if !s.hidden { r.snapshots += 1 }
                let m = ChunkMap(chunkCount: chunks)
                state.fill(m, lineage: lin.id, upTo: i)
                var n: UInt64 = 0
                m.forEachMapped { _, _ in n += 1 }
                if n != s.mappedChunks { r.errors.append("snapshot \(s.name): \(n) chunks mapped but \(s.mappedChunks) recorded") }
                let pins = state.lineages.values.filter { $0.base == s.id }.count
                if pins != s.pins { r.errors.append("snapshot \(s.name): pinned by \(pins) restored volume(s) but \(s.pins) recorded") }
                if s.hidden && s.pins == 0 { r.errors.append("snapshot \(s.name): deleted but still kept with nothing depending on it") }
                if i > 0 && s.epoch <= lin.snapshots[i - 1].epoch { r.errors.append("snapshot \(s.name): epochs out of order") }
            }
        }
        for (name, l) in state.volumeByName where state.lineages[l]?.volumeName != name {
            r.errors.append("volume name \(name) points at a lineage that does not hold it")
        }
        for (name, id) in state.snapshotByName where state.snapshots[id]?.name != name || state.snapshots[id]?.hidden == true {
            r.errors.append("snapshot name \(name) points at a missing or deleted snapshot")
        }
        if !readOnly { return } // a writable open already reclaimed leaks (see repairs)
        let leaks = findLeaks()
        if !leaks.chunks.isEmpty {
            r.warnings.append("leak: \(leaks.chunks.count) unreferenced chunk(s) still hold data (\(Units.formatBytes(UInt64(leaks.chunks.count) * cs))); reclaim with --repair")
        }
        if leaks.tailBytes > 0 {
            r.warnings.append("leak: \(leaks.tailBytes) byte(s) of data past the last used chunk; reclaim with --repair")
        }
    }
}
