#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore

/// The system calls through which a pool changes its files: journal appends, superblock
/// updates, data writes (copy-on-write copies included), flushes and truncations. The
/// default is the real syscalls; a test injects failures (ENOSPC, EIO, short writes) at any
/// chosen call to prove that every failure point leaves a consistent pool. One stored
/// closure call per syscall, never per byte. Reads are not routed through it.
///
/// Contract (as the syscalls): `pwrite` returns the bytes written or -1 with `errno` set;
/// `fdatasync` and `ftruncate` return 0 or -1 with `errno` set.
public struct PoolIO: Sendable {
    public var pwrite: @Sendable (_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ offset: off_t) -> Int
    public var fdatasync: @Sendable (_ fd: Int32) -> Int32
    public var ftruncate: @Sendable (_ fd: Int32, _ length: off_t) -> Int32

    public init(pwrite: @escaping @Sendable (Int32, UnsafeRawPointer, Int, off_t) -> Int,
                fdatasync: @escaping @Sendable (Int32) -> Int32,
                ftruncate: @escaping @Sendable (Int32, off_t) -> Int32) {
        self.pwrite = pwrite
        self.fdatasync = fdatasync
        self.ftruncate = ftruncate
    }

    /// The real system calls.
    public static let system = PoolIO(
        pwrite: { fd, buf, n, off in Glibc.pwrite(fd, buf, n, off) },
        fdatasync: { fd in Glibc.fdatasync(fd) },
        ftruncate: { fd, len in Glibc.ftruncate(fd, len) }
    )

    /// Writes all of `count` bytes at `offset`, retrying short writes and EINTR. Returns 0,
    /// or the errno of the failure (a write that makes no progress counts as EIO).
    public func writeFully(_ fd: Int32, _ src: UnsafeRawPointer, _ count: Int, _ offset: off_t) -> Int32 {
        var done = 0
        while done < count {
            let n = Syscall.retrying { pwrite(fd, src + done, count - done, offset + off_t(done)) }
            if n < 0 { return errno }
            if n == 0 { return EIO }
            done += n
        }
        return 0
    }
}
