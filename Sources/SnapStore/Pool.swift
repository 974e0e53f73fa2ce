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

    let dataFD: Int32
    var journalFD: Int32
    let lockFD: Int32
    var journalLength: Int
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
        let fd = Glibc.open("\(path)/\(dataName)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("open", errno: errno, path: "\(path)/\(dataName)") }
        Glibc.close(fd)
        // The journal appears last and atomically: a directory is a pool only once it exists.
        try AtomicFile.write(Frame.encode([.header(chunkSize: UInt32(chunkSize))]), to: "\(path)/\(journalName)")
    }

    public static func isPool(_ path: String) -> Bool {
        access("\(path)/\(journalName)", F_OK) == 0 && access("\(path)/\(dataName)", F_OK) == 0
    }

    static func readAll(_ fd: Int32) throws -> [UInt8] {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SystemError("fstat", errno: errno) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            if n < 0 { if errno == EINTR { continue }; throw SystemError("pread", errno: errno) }
            if n == 0 { break }
            done += n
        }
        return bytes
    }

    /// Opens a pool. A writable open takes an exclusive lock and finishes recovery: it drops
    /// a torn last journal frame and reclaims chunks written but never committed.
    public init(path: String, readOnly: Bool = false, clock: MonotonicClock = SystemClock.shared) throws {
        self.path = path
        self.readOnly = readOnly
        self.clock = clock
        guard Pool.isPool(path) else { throw BlockLabError.usage("\(path): not a BlockLab pool (no journal/data files; create one with `blocklab pool create`)") }
        let flags = readOnly ? O_RDONLY : O_RDWR
        journalFD = Glibc.open("\(path)/\(Pool.journalName)", flags | O_CLOEXEC)
        guard journalFD >= 0 else { throw SystemError("open", errno: errno, path: "\(path)/\(Pool.journalName)") }
        dataFD = Glibc.open("\(path)/\(Pool.dataName)", flags | O_CLOEXEC)
        guard dataFD >= 0 else { let e = errno; Glibc.close(journalFD); throw SystemError("open", errno: e, path: "\(path)/\(Pool.dataName)") }
        // The lock lives on its own file because compaction replaces the journal's inode.
        lockFD = Glibc.open("\(path)/\(Pool.lockName)", (readOnly ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0o644)
        // Retry briefly: a process that is exiting (or a just-forked child that has not yet
        // closed its inherited descriptors) may still hold the lock for a moment.
        var locked = lockFD < 0
        for _ in 0..<50 where !locked {
            locked = flock(lockFD, (readOnly ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0
            if !locked { usleep(10_000) }
        }
        if !locked {
            Glibc.close(journalFD); Glibc.close(dataFD); Glibc.close(lockFD)
            throw BlockLabError.usage("pool \(path): in use by another process")
        }
        state = PoolState()
        journalLength = 0
        chunkSize = 0
        do {
            let bytes = try Pool.readAll(journalFD)
            let scan = JournalScan.scan(bytes)
            if let c = scan.corruption {
                throw BlockLabError.usage("pool \(path): metadata corrupt at journal offset \(c.offset) (\(c.reason)); run `blocklab pool check`")
            }
            guard case .header(let cs)? = scan.frames.first?.first, cs >= 4096, cs <= 1 << 20, cs & (cs - 1) == 0 else {
                throw BlockLabError.usage("pool \(path): journal has no valid header")
            }
            for frame in scan.frames { for op in frame { _ = try state.apply(op, live: false) } }
            journalLength = scan.validEnd
            if let t = scan.tornTail, !readOnly {
                guard ftruncate(journalFD, off_t(scan.validEnd)) == 0 else { throw SystemError("ftruncate", errno: errno, path: path) }
                _ = fsync(journalFD)
                recovery.append("dropped a torn last journal frame (\(t.bytes) bytes at offset \(t.offset))")
            }
        } catch let e as FormatError {
            // Every stored property is set by now, so Swift runs deinit on this throw: release
            // the files through the same once-only path, never commit (closing them by hand
            // and again in deinit closed another thread's file: "pread: Bad file descriptor").
            releaseFiles()
            throw BlockLabError.usage("pool \(path): metadata inconsistent: \(e.message); run `blocklab pool check`")
        } catch {
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

    deinit { close() }

    /// Releases the files without committing, as a crash would (tests only).
    func closedWithoutCommitForTesting() { releaseFiles() }

    /// Commits pending work and releases the pool. Safe to call twice.
    public func close() {
        guard !closed else { return }
        if !readOnly { try? commit() }
        releaseFiles()
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
            guard ftruncate(dataFD, off_t(grow * UInt64(chunkSize))) == 0 else {
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
    /// frame with the new mappings and `extra` operations (fdatasync), then applies `extra`.
    @discardableResult
    func commit(extra: [Op] = []) throws -> [UInt32] {
        guard !readOnly else { throw BlockLabError.usage("pool \(path): opened read-only") }
        if dataDirty {
            guard fdatasync(dataFD) == 0 else { throw diskError("fdatasync data", errno) }
            dataDirty = false
        }
        var ops: [Op] = []
        let dirty = state.lineages.values.filter { !$0.pendingEntries.isEmpty || !$0.pendingHydrate.isEmpty }.sorted { $0.id < $1.id }
        for lin in dirty {
            if !lin.pendingEntries.isEmpty { ops.append(.map(lineage: lin.id, entries: lin.pendingEntries, fresh: lin.pendingFresh)) }
            if !lin.pendingHydrate.isEmpty { ops.append(.hydrate(lineage: lin.id, chunks: lin.pendingHydrate)) }
        }
        for l in pendingHydrateAll.sorted() where state.lineages[l] != nil { ops.append(.hydrateAll(lineage: l)) }
        ops += extra
        guard !ops.isEmpty else { return [] }
        try append(Frame.encode(ops))
        pendingHydrateAll = []
        for lin in dirty {
            lin.pendingEntries.removeAll(keepingCapacity: true)
            lin.pendingFresh.removeAll(keepingCapacity: true)
            lin.pendingHydrate.removeAll(keepingCapacity: true)
        }
        var freed: [UInt32] = []
        for op in extra { freed += try state.apply(op, live: true) }
        release(freed)
        return freed
    }

    /// Public commit: the engine calls this at fsync points (group commit).
    public func commit() throws { try commit(extra: []) }

    private func append(_ frame: [UInt8]) throws {
        var done = 0
        while done < frame.count {
            let n = frame.withUnsafeBytes { pwrite(journalFD, $0.baseAddress! + done, $0.count - done, off_t(journalLength + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                _ = ftruncate(journalFD, off_t(journalLength)) // nothing half-written
                throw diskError("write journal", e)
            }
            done += n
        }
        guard fdatasync(journalFD) == 0 else {
            let e = errno
            _ = ftruncate(journalFD, off_t(journalLength))
            throw diskError("fdatasync journal", e)
        }
        journalLength += frame.count
    }

    func diskError(_ what: String, _ e: Int32) -> Error {
        if e == ENOSPC || e == EDQUOT || e == EFBIG { return BlockLabError.usage("pool \(path): disk full (\(what)); nothing was committed") }
        return SystemError(what, errno: e, path: path)
    }
}
