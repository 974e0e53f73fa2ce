import BlockLabCore
import CSupport
import Glibc

/// What an I/O target is, as far as the engine cares.
public struct TargetInfo: Sendable {
    public enum Kind: String, Sendable { case file, blockDevice = "block-device", mapped = "pool-volume" }
    public var path: String
    public var kind: Kind
    /// Bytes addressable (file size after layout, or BLKGETSIZE64).
    public var size: UInt64
    /// The smallest I/O size and alignment O_DIRECT accepts (BLKSSZGET, or statx DIOALIGN).
    public var logicalBlockSize: UInt32
}

/// Opening, sizing and laying out targets. Regular files are created and filled with real
/// data when missing or too small, as fio does; block devices report their own size.
public enum Target {
    /// Refuses paths under /proc and /sys: writing there is never a benchmark.
    static func checkPathAllowed(_ path: String, what: String) throws {
        for prefix in ["/proc/", "/sys/"] where path.hasPrefix(prefix) || path + "/" == prefix {
            throw BlockLabError.usage("\(what): refusing target \(path): \(prefix) is not storage")
        }
    }

    /// Inspects a path without creating it. nil when it does not exist.
    public static func inspect(_ path: String) throws -> TargetInfo? {
        var st = stat()
        if stat(path, &st) != 0 {
            if errno == ENOENT { return nil }
            throw SystemError("stat", errno: errno, path: path)
        }
        let fmt = st.st_mode & S_IFMT
        if fmt == S_IFBLK {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SystemError("open", errno: errno, path: path) }
            defer { close(fd) }
            var size: UInt64 = 0
            var lbs: UInt32 = 512
            let rc = bl_blk_getsize64(fd, &size)
            guard rc == 0 else { throw SystemError("ioctl BLKGETSIZE64", errno: -rc, path: path) }
            _ = bl_blk_logical_block_size(fd, &lbs)
            return TargetInfo(path: path, kind: .blockDevice, size: size, logicalBlockSize: lbs)
        }
        guard fmt == S_IFREG else {
            throw BlockLabError.usage("target \(path) is neither a regular file nor a block device")
        }
        return TargetInfo(path: path, kind: .file, size: UInt64(st.st_size), logicalBlockSize: try fileDirectIOAlignment(path))
    }

    /// O_DIRECT offset alignment for a file: statx's DIOALIGN where the kernel reports it,
    /// else the logical block size of 512 that every Linux block device accepts.
    static func fileDirectIOAlignment(_ path: String) throws -> UInt32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 512 }
        defer { close(fd) }
        var mem: UInt32 = 0
        var off: UInt32 = 0
        if bl_dio_align(fd, &mem, &off) == 0, off > 0 { return off }
        return 512
    }

    /// Whether the filesystem holding `path` accepts O_DIRECT (tmpfs before Linux 6.6 does
    /// not): the honest test is to try.
    static func supportsDirectIO(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | bl_o_direct_flag() | O_CLOEXEC)
        if fd >= 0 { close(fd); return true }
        return errno != EINVAL
    }

    /// Makes sure a regular file exists with at least `size` bytes of real data, writing
    /// what is missing with large sequential writes (then fsync), as fio's layout does.
    /// Checks free space first so a run never fills the disk halfway.
    public static func layOut(path: String, size: UInt64, what: String) throws -> TargetInfo {
        try checkPathAllowed(path, what: what)
        let existing = try inspect(path)
        if let existing, existing.kind == .blockDevice { return existing }
        let current = existing?.size ?? 0
        if current >= size, let existing { return existing }
        try checkFreeSpace(path: path, needed: size - current, what: what)
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            if errno == ENOENT { throw BlockLabError.usage("\(what): directory of \(path) does not exist") }
            throw SystemError("open", errno: errno, path: path)
        }
        defer { close(fd) }
        let chunk = 1 << 20
        var buf: UnsafeMutableRawPointer?
        precondition(posix_memalign(&buf, 4096, chunk) == 0)
        defer { free(buf) }
        fillPseudoRandom(buf!, bytes: chunk, seed: 0x9E37_79B9_7F4A_7C15 ^ size)
        var off = current
        while off < size {
            let n = Int(min(UInt64(chunk), size - off))
            let w = pwrite(fd, buf, n, off_t(off))
            if w < 0 {
                if errno == EINTR { continue }
                let e = errno
                if e == ENOSPC { throw BlockLabError.usage("\(what): no space left laying out \(path)") }
                throw SystemError("pwrite", errno: e, path: path)
            }
            off += UInt64(w)
        }
        guard fsync(fd) == 0 else { throw SystemError("fsync", errno: errno, path: path) }
        return try inspect(path)!
    }

    static func checkFreeSpace(path: String, needed: UInt64, what: String) throws {
        var dir = AtomicFile.directory(of: path)
        if dir.isEmpty { dir = "." }
        var sv = statvfs()
        guard statvfs(dir, &sv) == 0 else {
            if errno == ENOENT { throw BlockLabError.usage("\(what): directory \(dir) does not exist") }
            throw SystemError("statvfs", errno: errno, path: dir)
        }
        let free = UInt64(sv.f_bavail) * UInt64(sv.f_frsize)
        if needed > free {
            throw BlockLabError.usage("\(what): \(path) needs \(Units.formatBytes(needed)) more but only \(Units.formatBytes(free)) is free")
        }
    }

    /// Drops the target's cached pages (fio's invalidate=1) so buffered reads hit the device.
    static func invalidateCache(fd: Int32, kind: TargetInfo.Kind) {
        if kind == .blockDevice { _ = bl_blk_flush_buffers(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    }
}
