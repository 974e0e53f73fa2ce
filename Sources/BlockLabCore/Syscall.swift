#if canImport(Glibc)
import Glibc
#endif

/// One retry rule for EINTR, as swift-system has: a system call a signal interrupted is
/// repeated; any other failure comes back as it is, with errno set.
public enum Syscall {
    @inline(__always)
    public static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let r = call()
            if r >= 0 || errno != EINTR { return r }
        }
    }

    /// Writes all `count` bytes (at `offset`, or at the file position when nil), continuing
    /// short writes. Returns 0, or the errno of the failure (no progress counts as EIO).
    public static func writeAll(_ fd: Int32, _ p: UnsafeRawPointer, count: Int, offset: Int64? = nil) -> Int32 {
        var done = 0
        while done < count {
            let n = retrying { offset.map { pwrite(fd, p + done, count - done, off_t($0) + off_t(done)) } ?? write(fd, p + done, count - done) }
            if n < 0 { return errno }
            if n == 0 { return EIO }
            done += n
        }
        return 0
    }

    /// Reads up to `count` bytes at `offset` (or the file position), continuing short reads
    /// until end of file. Returns the bytes read, or -errno.
    public static func readFull(_ fd: Int32, _ p: UnsafeMutableRawPointer, count: Int, offset: Int64? = nil) -> Int {
        var done = 0
        while done < count {
            let n = retrying { offset.map { pread(fd, p + done, count - done, off_t($0) + off_t(done)) } ?? read(fd, p + done, count - done) }
            if n < 0 { return -Int(errno) }
            if n == 0 { break }
            done += n
        }
        return done
    }
}
