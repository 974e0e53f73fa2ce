#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore

/// Addressing `PATH/NAME` on the command line.
public enum PoolAddress {
    /// Splits `PATH/NAME` at the last slash.
    public static func split(_ text: String, what: String) throws -> (pool: String, name: String) {
        guard let slash = text.lastIndex(of: "/"), slash != text.startIndex || text.count > 1 else {
            throw BlockLabError.usage("\(what) '\(text)': expected POOL_PATH/NAME")
        }
        let pool = String(text[..<slash]), name = String(text[text.index(after: slash)...])
        guard !name.isEmpty else { throw BlockLabError.usage("\(what) '\(text)': missing name after the pool path") }
        return (pool.isEmpty ? "/" : pool, name)
    }
}

extension Pool {
    /// Writes a volume's or snapshot's content to `file` as a raw image (sparse: holes where
    /// nothing was written), atomically: a temporary file renamed into place after fsync.
    /// Returns the bytes of data copied.
    @discardableResult
    public func exportImage(_ name: String, to file: String) throws -> UInt64 {
        let io = try open(name)
        let dir = file.lastIndex(of: "/").map { String(file[..<$0]) } ?? "."
        // A name no one can have planted (random) opened only if new and not a symlink.
        let tmp = "\(dir.isEmpty ? "/" : dir)/.\(file.split(separator: "/").last ?? "image").tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BlockLabError.usage("export: cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var ok = false
        defer { if !ok { Glibc.close(fd); unlink(tmp) } }
        guard ftruncate(fd, off_t(io.sizeBytes)) == 0 else { throw diskError("ftruncate \(tmp)", errno) }
        var buf = [UInt8](repeating: 0, count: chunkSize)
        var copied: UInt64 = 0
        var chunks: [UInt32] = []
        io.map.forEachMapped { c, _ in chunks.append(c) }
        for c in chunks {
            let off = UInt64(c) * UInt64(chunkSize)
            let n = Int(min(UInt64(chunkSize), io.sizeBytes - off))
            try buf.withUnsafeMutableBytes { try io.read(offset: off, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n])) }
            let e = buf.withUnsafeBytes { Syscall.writeAll(fd, $0.baseAddress!, count: n, offset: Int64(off)) }
            if e != 0 { throw diskError("write \(tmp)", e) }
            copied += UInt64(n)
        }
        guard fsync(fd) == 0 else { throw diskError("fsync \(tmp)", errno) }
        Glibc.close(fd)
        guard rename(tmp, file) == 0 else { let e = errno; unlink(tmp); ok = true; throw SystemError("rename", errno: e, path: file) }
        ok = true
        let dfd = Glibc.open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); Glibc.close(dfd) }
        if !readOnly { try commit() } // hydration the reads caused
        return copied
    }

    /// Creates volume `name` from a raw image file. All-zero chunks stay unallocated.
    ///
    /// Atomic: the volume and all its mappings are one journal frame written after the data
    /// is durable, so the volume exists only once complete. Until then it lives in memory
    /// only (its name reserved in this process); if the import fails or the process dies,
    /// nothing about it is in the journal, and the chunks it wrote are uncommitted data that
    /// this failure path (or the next writable open) reclaims. A retry can use the same name.
    @discardableResult
    public func importImage(from file: String, to name: String) throws -> UInt64 {
        // Judged before it is opened: opening a device node can have side effects.
        var pre = stat()
        guard stat(file, &pre) == 0 else { throw BlockLabError.usage("import: cannot open \(file): \(String(cString: strerror(errno)))") }
        guard pre.st_mode & S_IFMT == S_IFREG else { throw BlockLabError.usage("import: \(file) is not a regular file") }
        let fd = Glibc.open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw BlockLabError.usage("import: cannot open \(file): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_dev == pre.st_dev, st.st_ino == pre.st_ino else {
            throw BlockLabError.usage("import: \(file) is not a regular file (or changed while opened)")
        }
        let size = UInt64(st.st_size)
        guard size > 0, size % 512 == 0 else { throw BlockLabError.usage("import: \(file) size \(size) is not a positive multiple of 512 bytes") }
        guard !readOnly else { throw BlockLabError.usage("pool \(path): opened read-only") }
        try checkFreeName(name, what: "volume")
        try checkVolumeSize(size, name: name)
        let lin = LineageRec(id: state.nextLineage, base: 0, sizeBytes: size, createdMs: wallClockMs(), name: name, fast: false, rate: 0)
        lin.uncommitted = true
        state.lineages[lin.id] = lin
        state.nextLineage = lin.id + 1
        pendingImports[name] = lin.id
        var written: UInt64 = 0
        do {
            let map = ChunkMap(chunkCount: state.chunkCount(size))
            lin.map = map
            let io = PoolVolumeIO(pool: self, name: name, lineage: lin, map: map, sizeBytes: size)
            var buf = [UInt8](repeating: 0, count: chunkSize)
            var off: UInt64 = 0
            while off < size {
                let n = Int(min(UInt64(chunkSize), size - off))
                let r = buf.withUnsafeMutableBytes { Syscall.readFull(fd, $0.baseAddress!, count: n, offset: Int64(off)) }
                if r < 0 { throw SystemError("read", errno: Int32(-r), path: file) }
                if r < n { throw BlockLabError.usage("import: \(file) shrank while reading") }
                if buf[0..<n].contains(where: { $0 != 0 }) {
                    try buf.withUnsafeBytes { try io.write(offset: off, from: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                    written += UInt64(n)
                }
                off += UInt64(n)
            }
            try commit(publishing: lin)
        } catch {
            if lin.uncommitted { abandonImport(lin) }
            throw error
        }
        return written
    }

    /// Forgets an import that never committed and frees the chunks it wrote. If the journal
    /// is in doubt (a failed append could not be undone, so its frame may yet be replayed),
    /// the chunks are left alone: the next open finds them either mapped or leaked.
    func abandonImport(_ lin: LineageRec) {
        state.lineages[lin.id] = nil
        if let name = lin.volumeName { pendingImports[name] = nil }
        pendingHydrateAll.remove(lin.id)
        lin.map = nil
        if broken == nil { release(Array(lin.openDelta.values)) }
        lin.openDelta = [:]
        lin.pendingEntries = []
        lin.pendingFresh = []
        lin.pendingPrevious = []
    }

    /// Reads every not-yet-loaded chunk of a restored volume once (like `dd`/`fio` over the
    /// device), so it is fully hydrated. Returns the chunks fetched and the simulated fetch
    /// time they would have cost.
    public func initializeVolume(_ name: String) throws -> (chunks: UInt64, penaltyNs: UInt64) {
        let io = try openVolume(name)
        guard let lin = io.lineage, !lin.fullyLoaded else { return (0, 0) }
        var chunks: [UInt32] = []
        io.map.forEachMapped { c, e in if ChunkMap.epoch(e) == 0 { chunks.append(c) } }
        for c in chunks {
            _ = io.mapReadChunk(offset: UInt64(c) << io.shift, length: 1)
        }
        io.finishHydration(lin)
        try commit()
        return (io.fetchCount, io.fetchPenaltyNs)
    }
}
