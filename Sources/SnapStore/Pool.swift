#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore
import CSupport

/// A pool: a directory holding `data` (chunks at physical index × chunk size) and
/// `journal` (checksummed metadata frames, see Journal.swift and README.md).
/// Not thread-safe: one owner at a time (an exclusive flock keeps other processes out).
public final class Pool {
    public let path: String
    public private(set) var chunkSize: Int
    public let readOnly: Bool
    public let clock: MonotonicClock
    /// Wall-clock milliseconds for snapshot timestamps and retention (injectable for tests).
    public var wallClockMs: () -> UInt64 = { WallClock.nowEpochMilliseconds() }
    /// What opening the pool had to repair after an unclean shutdown.
    public internal(set) var recovery: [String] = []
    /// The system calls that change the pool's files (real ones unless a test injects faults).
    public let io: PoolIO

    let dataFD: Int32
    var journalFD: Int32
    let lockFD: Int32
    /// Offset just past the last frame written (where the next frame goes).
    var journalLength: Int
    /// Frames in the journal up to `journalLength`.
    var journalFrames = 0
    /// The superblock's sequence number on disk; the next write uses the other slot.
    var superblockSeq: UInt64 = 1
    /// The committed length the superblock on disk records.
    var acknowledgedLength = 0
    /// Set when a failed journal write could not be undone: memory and disk may disagree,
    /// so nothing more is committed until the pool is reopened.
    var broken: String?
    /// Volumes being imported: in memory only until their single commit frame (ImageIO.swift).
    var pendingImports: [String: UInt32] = [:]
    let state: PoolState
    var freeChunks: [UInt32] = []
    var highWater: UInt32 = 0
    var fileChunks: UInt64 = 0
    var dataDirty = false
    var pendingHydrateAll = Set<UInt32>()
    private var closed = false

    /// lseek's SEEK_DATA (Linux value; Glibc's module does not export it).
    let seekData: Int32 = 3
    static let dataName = "data"
    static let journalName = "journal"
    static let lockName = "lock"
    public static let defaultChunkSize = 64 * 1024

    // MARK: - Create / open

    public static func create(path: String, chunkSize: Int = defaultChunkSize) throws {
        guard chunkSize >= 4096, chunkSize <= 1 << 20, chunkSize & (chunkSize - 1) == 0 else {
            throw BlockLabError.usage("--chunk-size \(chunkSize): must be a power of two from 4KiB to 1MiB")
        }
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw BlockLabError.usage("pool \(path): exists and is not a directory") }
            if isPool(path) { throw BlockLabError.usage("pool \(path): already a pool") }
            guard let d = opendir(path) else { throw SystemError("opendir", errno: errno, path: path) }
            defer { closedir(d) }
            while let e = readdir(d) {
                let n = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if n != "." && n != ".." { throw BlockLabError.usage("pool \(path): directory is not empty (refusing to mix a pool with other files)") }
            }
        } else {
            // Like mkdir -p: create missing parents too.
            var prefix = ""
            for part in path.split(separator: "/", omittingEmptySubsequences: false) {
                prefix += prefix.isEmpty && path.hasPrefix("/") ? "/\(part)" : (prefix.isEmpty ? String(part) : "/\(part)")
                if part.isEmpty || access(prefix, F_OK) == 0 { continue }
                if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                    throw BlockLabError.usage("pool \(path): cannot create directory \(prefix): \(String(cString: strerror(errno)))")
                }
            }
        }
        for name in [dataName, lockName] {
            let fd = Glibc.open("\(path)/\(name)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SystemError("open", errno: errno, path: "\(path)/\(name)") }
            Glibc.close(fd)
        }
        // The journal appears last and atomically: a directory is a pool only once it exists.
        try AtomicFile.write(Superblock.journal(frames: [Frame.encode([.header(chunkSize: UInt32(chunkSize))])]), to: "\(path)/\(journalName)")
    }

    public static func isPool(_ path: String) -> Bool {
        access("\(path)/\(journalName)", F_OK) == 0 && access("\(path)/\(dataName)", F_OK) == 0
    }

    static func readAll(_ fd: Int32) throws -> [UInt8] {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SystemError("fstat", errno: errno) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        let n = bytes.withUnsafeMutableBytes { $0.isEmpty ? 0 : Syscall.readFull(fd, $0.baseAddress!, count: $0.count, offset: 0) }
        if n < 0 { throw SystemError("pread", errno: Int32(-n)) }
        return Array(bytes[0..<n])
    }

    /// Takes the pool's lock: shared for a read-only open, exclusive for a writable one.
    /// Another process's conflicting lock is waited out briefly (a process that is exiting,
    /// or a just-forked child, may hold it for a moment), or for as long as it is held with
    /// `wait`; otherwise the pool is reported busy (a usage error: run it again later).
    /// Returns the lock's descriptor, or -1 when the lock file cannot be opened read-only.
    static func acquireLock(path: String, exclusive: Bool, wait: Bool = false) throws -> Int32 {
        var fd = Glibc.open("\(path)/\(lockName)", (exclusive ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0o644)
        if fd < 0 && !exclusive { fd = Glibc.open("\(path)/\(lockName)", O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        if fd < 0 {
            if exclusive { throw SystemError("open", errno: errno, path: "\(path)/\(lockName)") }
            return -1 // a read-only pool nobody can be writing
        }
        let kind = exclusive ? LOCK_EX : LOCK_SH
        if wait {
            if Syscall.retrying({ flock(fd, kind) }) != 0 {
                let e = errno; Glibc.close(fd); throw SystemError("flock", errno: e, path: "\(path)/\(lockName)")
            }
            return fd
        }
        for _ in 0..<50 {
            if flock(fd, kind | LOCK_NB) == 0 { return fd }
            usleep(10_000)
        }
        Glibc.close(fd)
        throw BlockLabError.usage("pool \(path): in use by another process (it holds the pool's lock); try again when it has finished")
    }

    /// Opens a pool. A writable open takes an exclusive lock and finishes recovery: it drops
    /// a torn, never-acknowledged journal tail and reclaims chunks written but never committed.
    /// Damage to acknowledged metadata is never dropped: the open fails and `pool check` says where.
    public convenience init(path: String, readOnly: Bool = false, clock: MonotonicClock = SystemClock.shared, io: PoolIO = .system) throws {
        try self.init(path: path, readOnly: readOnly, clock: clock, io: io, heldLock: nil)
    }

    /// `heldLock`: a lock descriptor the caller already holds (of the right kind); the pool owns it from now on.
    init(path: String, readOnly: Bool, clock: MonotonicClock, io: PoolIO, heldLock: Int32?) throws {
        self.path = path
        self.readOnly = readOnly
        self.clock = clock
        self.io = io
        guard Pool.isPool(path) else {
            if let l = heldLock, l >= 0 { Glibc.close(l) }
            throw BlockLabError.usage("\(path): not a BlockLab pool (no journal/data files; create one with `blocklab pool create`)")
        }
        // The lock lives on its own file because compaction replaces the journal's inode.
        if let l = heldLock { lockFD = l } else { lockFD = try Pool.acquireLock(path: path, exclusive: !readOnly) }
        let flags = readOnly ? O_RDONLY : O_RDWR
        journalFD = Glibc.open("\(path)/\(Pool.journalName)", flags | O_CLOEXEC)
        guard journalFD >= 0 else { let e = errno; if lockFD >= 0 { Glibc.close(lockFD) }; throw SystemError("open", errno: e, path: "\(path)/\(Pool.journalName)") }
        dataFD = Glibc.open("\(path)/\(Pool.dataName)", flags | O_CLOEXEC)
        guard dataFD >= 0 else {
            let e = errno; Glibc.close(journalFD); if lockFD >= 0 { Glibc.close(lockFD) }
            throw SystemError("open", errno: e, path: "\(path)/\(Pool.dataName)")
        }
        state = PoolState()
        journalLength = 0
        chunkSize = 0
        do {
            let bytes = try Pool.readAll(journalFD)
            let scan = JournalScan.scan(bytes)
            if let c = scan.corruption {
                throw BlockLabError.usage("pool \(path): metadata damaged at journal offset \(c.offset) (\(c.reason)); run `blocklab pool check`")
            }
            do {
                state.replace(with: try PoolState.replay(scan))
            } catch let e as JournalError {
                throw BlockLabError.usage("pool \(path): metadata inconsistent: \(e.message); run `blocklab pool check`")
            }
            journalLength = scan.validEnd
            journalFrames = scan.frames.count
            superblockSeq = scan.superblock?.sequence ?? 1
            acknowledgedLength = scan.superblock.map { Int($0.committedLength) } ?? journalLength
            if !readOnly {
                if scan.legacy {
                    try upgradeLegacyJournal(bytes, validEnd: scan.validEnd)
                } else {
                    if let t = scan.tornTail {
                        guard io.ftruncate(journalFD, off_t(scan.validEnd)) == 0, io.fdatasync(journalFD) == 0 else {
                            throw diskError("truncate the torn journal tail", errno)
                        }
                        recovery.append("dropped a torn, never-acknowledged journal tail (\(t.bytes) bytes at offset \(t.offset))")
                    }
                    if acknowledgedLength != journalLength { try writeSuperblock() }
                }
            }
        } catch {
            // Every stored property is set by now, so Swift runs deinit on this throw: release
            // the files through the same once-only path, never commit (a descriptor closed
            // twice may by then belong to another thread's file).
            releaseFiles()
            throw error
        }
        chunkSize = Int(state.chunkSize)
        rebuildAllocator()
        if !readOnly {
            let leaks = findLeaks()
            if !leaks.chunks.isEmpty || leaks.tailBytes > 0 {
                try reclaim(leaks)
                recovery.append("reclaimed \(leaks.chunks.count) uncommitted chunk(s) and \(leaks.tailBytes) byte(s) past the last used chunk")
            }
            if journalLength > Pool.compactionThreshold {
                let before = journalLength
                if try compact() { recovery.append("compacted the journal from \(before) to \(journalLength) bytes") }
            }
        }
    }

    /// Rewrites an old-format journal (frames from offset 0, no superblock) with a
    /// superblock in front, atomically; its torn tail, if any, is left behind.
    private func upgradeLegacyJournal(_ bytes: [UInt8], validEnd: Int) throws {
        let body = Array(bytes[0..<validEnd])
        try replaceJournal(Superblock.area(committedLength: Superblock.areaSize + body.count, frames: journalFrames) + body)
        recovery.append("upgraded the journal to the format with a commit record (superblock)\(validEnd < bytes.count ? ", dropping a torn last frame of \(bytes.count - validEnd) bytes" : "")")
    }

    /// Atomically replaces the journal file with `bytes` (a superblock area acknowledging
    /// everything in it, then frames) and switches to the new file.
    func replaceJournal(_ bytes: [UInt8]) throws {
        try AtomicFile.write(bytes, to: "\(path)/\(Pool.journalName)")
        let fd = Glibc.open("\(path)/\(Pool.journalName)", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", errno: errno, path: "\(path)/\(Pool.journalName)") }
        Glibc.close(journalFD)
        journalFD = fd
        journalLength = bytes.count
        acknowledgedLength = bytes.count
        superblockSeq = 1
    }

    /// A pool dropped without `close()` still commits what is pending, but cannot report a
    /// failure from here: callers that wrote call `close()` and handle its error.
    deinit { try? close() }

    /// Releases the files without committing, as a crash would (tests only).
    func closedWithoutCommitForTesting() { releaseFiles() }

    /// Commits pending work and releases the pool, also when the commit fails (its error is
    /// thrown after the files are released). Safe to call twice.
    public func close() throws {
        guard !closed else { return }
        defer { releaseFiles() }
        if !readOnly { try commit() }
    }

    /// Closes the files once, whatever called first.
    private func releaseFiles() {
        guard !closed else { return }
        closed = true
        Glibc.close(dataFD)
        Glibc.close(journalFD)
        if lockFD >= 0 { Glibc.close(lockFD) }
    }

    // MARK: - Allocation

    func rebuildAllocator() {
        let refs = state.referenceCounts()
        highWater = (refs.keys.max().map { $0 + 1 }) ?? 0
        freeChunks = []
        var p = highWater
        while p > 0 { p -= 1; if refs[p] == nil { freeChunks.append(p) } }
        // Descending order: popLast hands out the lowest free index first.
        var st = stat()
        fstat(dataFD, &st)
        fileChunks = UInt64(st.st_size) / UInt64(chunkSize)
    }

    struct Leaks { var chunks: [UInt32] = []; var tailBytes: UInt64 = 0 }

    /// Free chunks that still hold data (written but never committed, or freed but not yet
    /// punched when a crash came) and data past the high-water mark.
    func findLeaks() -> Leaks {
        var l = Leaks()
        let cs = off_t(chunkSize)
        for p in freeChunks {
            let start = off_t(p) * cs
            let d = lseek(dataFD, start, seekData)
            if d >= 0 && d < start + cs { l.chunks.append(p) }
        }
        var st = stat()
        fstat(dataFD, &st)
        let hw = off_t(highWater) * cs
        if st.st_size > hw {
            let d = lseek(dataFD, hw, seekData)
            if d >= 0 && d < st.st_size { l.tailBytes = UInt64(st.st_size - hw) }
        }
        return l
    }

    func reclaim(_ l: Leaks) throws {
        for p in l.chunks { punch(p) }
        if l.tailBytes > 0 {
            guard ftruncate(dataFD, off_t(highWater) * off_t(chunkSize)) == 0 else { throw SystemError("ftruncate", errno: errno, path: path) }
            fileChunks = UInt64(highWater)
        }
        _ = fdatasync(dataFD)
    }

    func punch(_ p: UInt32) {
        _ = bl_punch_hole(dataFD, UInt64(p) * UInt64(chunkSize), UInt64(chunkSize))
    }

    /// A physical chunk that reads as zeros (a hole), for a new mapping.
    func allocateChunk() throws -> UInt32 {
        if let p = freeChunks.popLast() { return p }
        guard highWater < UInt32.max - 1 else { throw BlockLabError.usage("pool \(path): out of chunk numbers") }
        let p = highWater
        highWater += 1
        if UInt64(highWater) > fileChunks {
            // Grow sparsely in steps so reads of a fresh chunk are full-length zeros.
            let grow = max(UInt64(highWater), fileChunks + max(1, UInt64(64 << 20) / UInt64(chunkSize)))
            guard io.ftruncate(dataFD, off_t(grow * UInt64(chunkSize))) == 0 else {
                highWater -= 1
                throw BlockLabError.usage("pool \(path): cannot grow data file (disk full?): \(String(cString: strerror(errno)))")
            }
            fileChunks = grow
        }
        return p
    }

    func release(_ freed: [UInt32]) {
        for p in freed { punch(p); freeChunks.append(p) }
    }

    // MARK: - Commit

    /// Makes everything written so far durable: data first (fdatasync), then one journal
    /// frame with the new mappings and `extra` operations (fdatasync; the commit point), then
    /// applies `extra`, then records the new committed length in the superblock (fdatasync)
    /// before returning, so a commit that returns is one the next open will never drop.
    /// `publishing`: an import's lineage, whose creation and mappings go first in the frame.
    @discardableResult
    func commit(extra: [Op] = [], publishing imported: LineageRec? = nil) throws -> [UInt32] {
        guard !readOnly else { throw BlockLabError.usage("pool \(path): opened read-only") }
        if let b = broken { throw BlockLabError.runtime("pool \(path): \(b); nothing more is committed until the pool is reopened") }
        if dataDirty {
            guard io.fdatasync(dataFD) == 0 else { throw diskError("fdatasync data", errno) }
            dataDirty = false
        }
        var ops: [Op] = []
        if let lin = imported {
            ops.append(.createVolume(lineage: lin.id, name: lin.volumeName ?? "", size: lin.sizeBytes, base: 0, fast: false,
                                     rateBytesPerSec: 0, createdMs: lin.createdMs))
        }
        let dirty = state.lineages.values.filter {
            (!$0.uncommitted || $0 === imported) && (!$0.pendingEntries.isEmpty || !$0.pendingHydrate.isEmpty)
        }.sorted { ($0 === imported ? 0 : 1, $0.id) < ($1 === imported ? 0 : 1, $1.id) }
        for lin in dirty {
            if !lin.pendingEntries.isEmpty { ops.append(.map(lineage: lin.id, entries: lin.pendingEntries, fresh: lin.pendingFresh)) }
            if !lin.pendingHydrate.isEmpty { ops.append(.hydrate(lineage: lin.id, chunks: lin.pendingHydrate)) }
        }
        for l in pendingHydrateAll.sorted() where state.lineages[l].map({ !$0.uncommitted }) ?? false { ops.append(.hydrateAll(lineage: l)) }
        ops += extra
        guard !ops.isEmpty else {
            // A commit whose record failed to be written earlier is acknowledged now.
            if acknowledgedLength != journalLength { try writeSuperblock() }
            return []
        }
        try append(Frame.encode(ops))
        // Committed: the frame is durable and will be replayed.
        pendingHydrateAll = pendingHydrateAll.filter { state.lineages[$0]?.uncommitted ?? false }
        for lin in dirty {
            lin.pendingEntries.removeAll(keepingCapacity: true)
            lin.pendingFresh.removeAll(keepingCapacity: true)
            lin.pendingPrevious.removeAll(keepingCapacity: true)
            lin.pendingHydrate.removeAll(keepingCapacity: true)
        }
        if let lin = imported, let name = lin.volumeName {
            lin.uncommitted = false
            pendingImports[name] = nil
            state.volumeByName[name] = lin.id
        }
        var freed: [UInt32] = []
        for op in extra { freed += try state.apply(op, live: true) }
        release(freed)
        // Acknowledge: without this record a damaged frame here could pass for a torn one.
        try writeSuperblock()
        return freed
    }

    /// Public commit: the engine calls this at fsync points (group commit).
    public func commit() throws { try commit(extra: []) }

    /// Appends one frame and makes it durable. On failure the journal is cut back to where
    /// it was (so memory and disk agree); if even that fails the pool stops committing.
    private func append(_ frame: [UInt8]) throws {
        let e = frame.withUnsafeBytes { io.writeFully(journalFD, $0.baseAddress!, $0.count, off_t(journalLength)) }
        if e != 0 { undoAppend(); throw diskError("write journal", e) }
        guard io.fdatasync(journalFD) == 0 else {
            let e = errno
            undoAppend()
            throw diskError("fdatasync journal", e)
        }
        journalLength += frame.count
        journalFrames += 1
    }

    private func undoAppend() {
        let e = errno
        if io.ftruncate(journalFD, off_t(journalLength)) != 0 || io.fdatasync(journalFD) != 0 {
            broken = "a journal write failed (\(String(cString: strerror(e)))) and the partial frame could not be removed (\(String(cString: strerror(errno))))"
        }
    }

    /// Records the journal's current length as acknowledged, in the slot not holding the
    /// current superblock, and makes it durable. A torn slot write leaves the other slot.
    func writeSuperblock() throws {
        let sb = Superblock(sequence: superblockSeq + 1, committedLength: UInt64(journalLength), frames: UInt64(journalFrames))
        let bytes = sb.encode()
        let e = bytes.withUnsafeBytes { io.writeFully(journalFD, $0.baseAddress!, $0.count, off_t(sb.slotOffset)) }
        if e != 0 { throw superblockError(e) }
        guard io.fdatasync(journalFD) == 0 else { throw superblockError(errno) }
        superblockSeq = sb.sequence
        acknowledgedLength = journalLength
    }

    private func superblockError(_ e: Int32) -> Error {
        BlockLabError.runtime("pool \(path): the change was committed but its commit record could not be written (\(String(cString: strerror(e)))); it may be reported as a torn write if the journal is damaged before the next commit")
    }

    func diskError(_ what: String, _ e: Int32) -> Error {
        if e == ENOSPC || e == EDQUOT || e == EFBIG { return BlockLabError.usage("pool \(path): disk full (\(what)); nothing was committed") }
        return SystemError(what, errno: e, path: path)
    }
}
