import BlockLabCore
import CSupport
import CURing
import Glibc

/// One completed operation: the tag given at prepare time, the kernel's result (bytes
/// moved, or -errno), and any emulated extra latency the backend adds to it (a restored
/// volume's first touch of a chunk).
struct Completion {
    var tag: Int32
    var result: Int32
    var delayNs: UInt64 = 0
}

/// Tag of an fsync/fdatasync; data I/Os use their slot index.
let syncTag = Int32.max

/// One I/O engine's operations, fio's `ioengine` ops table: prepare I/Os, then submit and
/// wait for completions. The job loop is generic over this protocol, so each engine gets a
/// specialised loop with no dynamic dispatch per I/O.
protocol IOBackend: AnyObject {
    /// Queues an I/O for slot `tag` using that slot's buffer.
    func prepare(tag: Int32, direction: IODirection, offset: UInt64, length: UInt32, buffer: UnsafeMutableRawPointer)
    /// Queues a copy of `length` bytes from `from` to `to` through `scratch`, linked so that
    /// the copy finishes before the next prepared I/O starts (copy-on-write). Both halves
    /// complete with `tag`.
    func prepareCopy(tag: Int32, from: UInt64, to: UInt64, length: UInt32, scratch: UnsafeMutableRawPointer)
    /// Queues an fsync (or fdatasync) of the target.
    func prepareSync(datasync: Bool)
    /// Submits what was prepared (when `submit`), then waits until at least `minComplete`
    /// completions are ready or the monotonic clock reaches `deadline` (0 = no deadline),
    /// and copies up to `max` completions into `out`. Returns how many it copied.
    func submitAndReap(submit: Bool, minComplete: Int, deadline: UInt64, now: UInt64,
                       out: UnsafeMutablePointer<Completion>, max: Int) throws -> Int
    /// Syscalls made to submit or wait (the engine's efficiency figure).
    var enterCalls: UInt64 { get }
    /// I/Os handed to the kernel by submit-only calls, and how many of them had completed
    /// when the call returned (inline: page-cache hits, or a synchronous engine).
    var submitOnly: (ios: UInt64, inline: UInt64) { get }
    /// Notes for the result: which features are in use.
    var features: [(String, JSONValue)] { get }
    /// More about a failed operation than its errno, when the backend knows it.
    var failureDetail: String? { get }
}

extension IOBackend {
    var failureDetail: String? { nil }
}

/// io_uring: fixed buffers and a registered file when the kernel allows them.
final class UringBackend: IOBackend {
    let ring: Ring
    let fd: Int32
    private let fixedBuffers: Bool
    private let fixedFile: Bool
    private let cqes: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private let cqeCapacity: Int
    private(set) var enterCalls: UInt64 = 0
    private(set) var submitOnly: (ios: UInt64, inline: UInt64) = (0, 0)
    private let probe: [(String, Bool)]

    /// - sqesPerIO: most SQEs one I/O can need (1, or more on a mapped target where an I/O
    ///   spans chunks and each chunk may need a copy first).
    init(fd: Int32, depth: Int, sqesPerIO: Int, arena: BufferArena, wantFixedBuffers: Bool, wantRegisteredFile: Bool,
         sqPoll: Bool, hipri: Bool) throws {
        // One extra entry for an fsync riding along with a full queue.
        var entries: UInt32 = 1
        while entries < UInt32(depth * sqesPerIO + 1) { entries <<= 1 }
        ring = try Ring(entries: entries, sqPoll: sqPoll, ioPoll: hipri)
        self.fd = fd
        probe = ring.probe()
        let missing = Ring.requiredOpcodesMissing(probe)
        if !missing.isEmpty { throw EngineSetupError.ring(errno: ENOSYS) }
        fixedBuffers = wantFixedBuffers && ring.registerBuffers(arena.iovecs, count: arena.count)
        fixedFile = wantRegisteredFile && ring.registerFile(fd)
        cqeCapacity = Int(entries) * 2
        cqes = .allocate(capacity: cqeCapacity)
    }

    deinit { cqes.deallocate() }

    var features: [(String, JSONValue)] {
        [("fixed_buffers", .bool(fixedBuffers)), ("registered_file", .bool(fixedFile)),
         ("sqpoll", .bool(ring.sqPoll)),
         ("opcodes", .object(probe.map { ($0.0, .bool($0.1)) }))]
    }

    @inline(__always)
    func prepare(tag: Int32, direction: IODirection, offset: UInt64, length: UInt32, buffer: UnsafeMutableRawPointer) {
        // The ring has more entries than slots, so an SQE is always free here.
        let sqe = io_uring_get_sqe(ring.ring)!
        let target = fixedFile ? Int32(0) : fd
        if direction == .read {
            if fixedBuffers {
                io_uring_prep_read_fixed(sqe, target, buffer, length, offset, tag)
            } else {
                io_uring_prep_read(sqe, target, buffer, length, offset)
            }
        } else {
            if fixedBuffers {
                io_uring_prep_write_fixed(sqe, target, buffer, length, offset, tag)
            } else {
                io_uring_prep_write(sqe, target, buffer, length, offset)
            }
        }
        if fixedFile { sqe.pointee.flags |= Ring.sqeFixedFile }
        sqe.pointee.user_data = UInt64(UInt32(bitPattern: tag))
    }

    static let sqeIOLink: UInt8 = 1 << 2

    func prepareCopy(tag: Int32, from: UInt64, to: UInt64, length: UInt32, scratch: UnsafeMutableRawPointer) {
        let target = fixedFile ? Int32(0) : fd
        let flags = UringBackend.sqeIOLink | (fixedFile ? Ring.sqeFixedFile : 0)
        let r = io_uring_get_sqe(ring.ring)!
        io_uring_prep_read(r, target, scratch, length, from)
        r.pointee.flags |= flags
        r.pointee.user_data = UInt64(UInt32(bitPattern: tag))
        let w = io_uring_get_sqe(ring.ring)!
        io_uring_prep_write(w, target, scratch, length, to)
        w.pointee.flags |= flags
        w.pointee.user_data = UInt64(UInt32(bitPattern: tag))
    }

    func prepareSync(datasync: Bool) {
        guard let sqe = io_uring_get_sqe(ring.ring) else { return }
        io_uring_prep_fsync(sqe, fixedFile ? 0 : fd, datasync ? UInt32(IORING_FSYNC_DATASYNC) : 0)
        if fixedFile { sqe.pointee.flags |= Ring.sqeFixedFile }
        sqe.pointee.user_data = UInt64(UInt32(bitPattern: syncTag))
    }

    @inline(__always)
    func submitAndReap(submit: Bool, minComplete: Int, deadline: UInt64, now: UInt64,
                       out: UnsafeMutablePointer<Completion>, max: Int) throws -> Int {
        // Completions that are already there need no syscall at all.
        let ready = Int(io_uring_cq_ready(ring.ring))
        let queued = io_uring_sq_ready(ring.ring)
        let hasQueued = queued > 0
        if (submit && hasQueued) || ready < minComplete {
            let wait = UInt32(Swift.max(0, minComplete - ready))
            var rc: Int32
            enterCalls &+= 1
            if deadline > now && wait > 0 {
                var ts = __kernel_timespec(tv_sec: Int64((deadline - now) / NS.perSecond), tv_nsec: Int64((deadline - now) % NS.perSecond))
                var cqe: UnsafeMutablePointer<io_uring_cqe>?
                if submit {
                    rc = io_uring_submit_and_wait_timeout(ring.ring, &cqe, wait, &ts, nil)
                } else {
                    rc = io_uring_wait_cqes(ring.ring, &cqe, wait, &ts, nil)
                }
            } else if submit {
                rc = io_uring_submit_and_wait(ring.ring, wait)
            } else {
                var cqe: UnsafeMutablePointer<io_uring_cqe>?
                rc = io_uring_wait_cqe_nr(ring.ring, &cqe, wait)
            }
            if rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY {
                throw SystemError("io_uring_enter", errno: -rc)
            }
            if wait == 0 && hasQueued {
                // No wait: what is in the queue now beyond what was there completed inline.
                // (Deferred task running posts no asynchronous completion without a wait.)
                submitOnly.ios &+= UInt64(queued)
                submitOnly.inline &+= UInt64(Swift.max(0, Int(io_uring_cq_ready(ring.ring)) - ready))
            }
        }
        let n = Int(io_uring_peek_batch_cqe(ring.ring, cqes, UInt32(Swift.min(max, cqeCapacity))))
        for i in 0..<n {
            let c = cqes[i]!.pointee
            out[i] = Completion(tag: Int32(bitPattern: UInt32(truncatingIfNeeded: c.user_data)), result: c.res)
        }
        io_uring_cq_advance(ring.ring, UInt32(n))
        return n
    }
}

/// pread/pwrite at queue depth 1: the fallback where io_uring is unavailable
/// (containers often block it). Each "submit" performs the one prepared I/O.
final class PsyncBackend: IOBackend {
    struct Op {
        var tag: Int32
        var write: Bool
        var offset: UInt64
        var length: UInt32
        var buffer: UnsafeMutableRawPointer
    }

    let fd: Int32
    private let ops: UnsafeMutablePointer<Op>
    private let capacity: Int
    private var count = 0
    private var pendingSync: Bool?
    private(set) var enterCalls: UInt64 = 0
    /// Synchronous: never asked (the queue depth is 1, there is nothing to adapt).
    var submitOnly: (ios: UInt64, inline: UInt64) { (0, 0) }

    init(fd: Int32, sqesPerIO: Int) {
        self.fd = fd
        capacity = sqesPerIO + 1
        ops = .allocate(capacity: capacity)
    }

    deinit { ops.deallocate() }

    var features: [(String, JSONValue)] { [] }

    func prepare(tag: Int32, direction: IODirection, offset: UInt64, length: UInt32, buffer: UnsafeMutableRawPointer) {
        ops[count] = Op(tag: tag, write: direction != .read, offset: offset, length: length, buffer: buffer)
        count += 1
    }

    func prepareCopy(tag: Int32, from: UInt64, to: UInt64, length: UInt32, scratch: UnsafeMutableRawPointer) {
        ops[count] = Op(tag: tag, write: false, offset: from, length: length, buffer: scratch)
        ops[count + 1] = Op(tag: tag, write: true, offset: to, length: length, buffer: scratch)
        count += 2
    }

    func prepareSync(datasync: Bool) { pendingSync = datasync }

    /// Performs every queued operation in order (a linked copy's failure cancels what
    /// follows it, as io_uring's links do).
    func submitAndReap(submit: Bool, minComplete: Int, deadline: UInt64, now: UInt64,
                       out: UnsafeMutablePointer<Completion>, max: Int) throws -> Int {
        var n = 0
        var failed = false
        for i in 0..<count {
            let op = ops[i]
            enterCalls &+= 1
            var done = 0
            var result: Int32 = 0
            if failed { result = -ECANCELED }
            while !failed && done < Int(op.length) {
                let r = op.write
                    ? pwrite(fd, op.buffer + done, Int(op.length) - done, off_t(op.offset) + off_t(done))
                    : pread(fd, op.buffer + done, Int(op.length) - done, off_t(op.offset) + off_t(done))
                if r < 0 {
                    if errno == EINTR { continue }
                    result = -errno
                    break
                }
                if r == 0 { break }
                done += r
            }
            if result < 0 { failed = true }
            out[n] = Completion(tag: op.tag, result: result < 0 ? result : Int32(done))
            n += 1
        }
        count = 0
        if let datasync = pendingSync {
            pendingSync = nil
            enterCalls &+= 1
            let rc = datasync ? fdatasync(fd) : fsync(fd)
            out[n] = Completion(tag: syncTag, result: rc == 0 ? 0 : -errno)
            n += 1
        }
        return n
    }
}
