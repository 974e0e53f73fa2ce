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
    /// The submitting call performs the I/Os (psync): fio's issue time is then before the
    /// call (FIO_SYNCIO), and submission is never split from the wait.
    static var performsInSubmit: Bool { get }
    /// Syscalls made to submit or wait (the engine's efficiency figure).
    var enterCalls: UInt64 { get }
    /// I/Os handed to the kernel by submit-only calls, and how many of them had completed
    /// when the call returned (inline: page-cache hits, or a synchronous engine).
    var submitOnly: (ios: UInt64, inline: UInt64) { get }
    /// Notes for the result: which features are in use.
    var features: [(String, JSONValue)] { get }
    /// More about a failed operation than its errno, when the backend knows it.
    var failureDetail: String? { get }
    /// The I/O priority value the next prepared I/Os carry (0: the submitting thread's), for
    /// engines that set it per I/O (io_uring's sqe->ioprio, as fio's io_uring engine).
    var ioPriority: UInt16 { get set }
}

extension IOBackend {
    var failureDetail: String? { nil }
    /// A synchronous engine's I/O has its thread's priority (ioprio_set), as in fio.
    var ioPriority: UInt16 {
        get { 0 }
        set {}
    }
}
