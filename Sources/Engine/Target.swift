import BlockLabCore
import CSupport
import Glibc

/// What an I/O target is, as far as the engine cares.
public struct TargetInfo: Sendable {
    public enum Kind: String, Sendable { case file, blockDevice = "block-device", mapped = "mapped-volume" }
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
    /// Inspects a path without creating or opening it for writing. nil when it does not
    /// exist; a usage error for anything that is neither a regular file nor a block device
    /// (a character device, FIFO or directory is never a benchmark target).
    public static func inspect(_ path: String, what: String = "target") throws -> TargetInfo? {
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
            let kind = fmt == S_IFDIR ? "a directory" : fmt == S_IFCHR ? "a character device" : fmt == S_IFIFO ? "a FIFO" : "a special file"
            throw BlockLabError.usage("\(what): \(Text.escaped(path)) is \(kind), neither a regular file nor a block device")
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

    /// Makes sure a regular file exists with at least `size` bytes of real data (checked
    /// like a job's target, free space first), undone if it fails. Tests prepare files
    /// with it; runs lay out through their plan.
    static func layOut(path: String, size: UInt64, what: String) throws -> TargetInfo {
        let resolved = try PathSafety.check(path, what: what)
        let existing = try inspect(resolved, what: what)
        if let existing, existing.kind == .blockDevice || existing.size >= size { return existing }
        var plan = LayoutPlan()
        try plan.add(path: resolved, size: size, existing: existing?.size, what: what)
        try plan.checkFreeSpace()
        var info: TargetInfo?
        try plan.run(stop: StopToken()) { info = $0[resolved] }
        guard let info else { throw BlockLabError.runtime("\(what): \(Text.escaped(path)) was not laid out") }
        return info
    }

    /// Writes bytes `from..<to` of an open file with real data in large sequential writes,
    /// as fio's layout does, then fsyncs. Stops between writes when `stop` is set.
    static func fill(fd: Int32, path: String, from: UInt64, to size: UInt64, what: String, stop: StopToken) throws {
        let chunk = 1 << 20
        var buf: UnsafeMutableRawPointer?
        guard posix_memalign(&buf, 4096, chunk) == 0, let buf else { throw SystemError("posix_memalign", errno: ENOMEM) }
        defer { free(buf) }
        fillPseudoRandom(buf, bytes: chunk, seed: 0x9E37_79B9_7F4A_7C15 ^ size)
        var off = from
        while off < size {
            if stop.isStopped { throw LayoutPlan.Interrupted(path: path, done: off - from, of: size - from) }
            let n = Int(min(UInt64(chunk), size - off))
            let w = Syscall.retrying { pwrite(fd, buf, n, off_t(off)) }
            if w < 0 {
                let e = errno
                if e == ENOSPC { throw BlockLabError.usage("\(what): no space left laying out \(path)") }
                throw SystemError("pwrite", errno: e, path: path)
            }
            off += UInt64(w)
        }
        guard fsync(fd) == 0 else { throw SystemError("fsync", errno: errno, path: path) }
    }

    /// Drops the target's cached pages (fio's invalidate=1) so buffered reads hit the device.
    static func invalidateCache(fd: Int32, kind: TargetInfo.Kind) {
        if kind == .blockDevice { _ = bl_blk_flush_buffers(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    }
}
