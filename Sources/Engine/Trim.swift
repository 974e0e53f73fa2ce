import BlockLabCore
import CSupport
import Glibc

/// A trim, done synchronously as fio's io_uring engine does (`do_io_u_trim` inside its
/// queue call): a block device discards the range (BLKDISCARD, fio's os_trim); a regular
/// file gets a hole punched (fallocate PUNCH_HOLE|KEEP_SIZE), where fio 3.33's ioctl would
/// fail with ENOTTY. Synchronous for both kinds because io_uring has no discard operation
/// on the kernels BlockLab runs on, and one path keeps a trim before the write that
/// follows it (trimwrite) by construction; the engines hand the result back as a completion.
struct Trimmer {
    let fd: Int32
    let isDevice: Bool

    init(fd: Int32) {
        self.fd = fd
        var st = stat()
        isDevice = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFBLK
    }

    /// Bytes trimmed, or -errno (as a kernel completion's result).
    func trim(offset: UInt64, length: UInt32) -> Int32 {
        let rc = isDevice ? bl_blk_discard(fd, offset, UInt64(length)) : bl_punch_hole(fd, offset, UInt64(length))
        return rc < 0 ? rc : Int32(bitPattern: length)
    }
}

/// Completions of operations done synchronously at prepare time (trims), handed out by the
/// next reap ahead of the kernel's.
struct SyncCompletions {
    let items: UnsafeMutablePointer<Completion>
    let capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        items = .allocate(capacity: self.capacity)
    }

    func deallocate() { items.deallocate() }

    mutating func append(_ c: Completion) {
        items[count] = c
        count += 1
    }

    /// Moves up to `max` into `out`; returns how many.
    mutating func take(into out: UnsafeMutablePointer<Completion>, max: Int) -> Int {
        let n = Swift.min(count, max)
        for i in 0..<n { out[i] = items[i] }
        if n < count { (items).update(from: items + n, count: count - n) }
        count -= n
        return n
    }
}
