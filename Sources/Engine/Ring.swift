import BlockLabCore
import CURing
import Glibc

/// A thin, typed wrapper over one liburing ring (in the spirit of swift-system: the calls
/// are liburing's own inline helpers, errors come back as `SystemError`). The ring lives at
/// a stable address (allocated, not a Swift stored struct) so liburing's inline functions
/// can take a pointer to it without exclusivity checks on every call.
final class Ring {
    let ring: UnsafeMutablePointer<io_uring>
    let entries: UInt32
    let sqPoll: Bool
    private(set) var registeredBuffers = false
    private(set) var registeredFile = false

    // Flags from io_uring.h that Swift cannot import (they are built from enum bits).
    static let sqeFixedFile: UInt8 = 1 << 0
    static let setupIOPoll: UInt32 = 1 << 0
    static let setupSQPoll: UInt32 = 1 << 1
    static let setupCoopTaskrun: UInt32 = 1 << 8
    static let setupSingleIssuer: UInt32 = 1 << 12
    static let setupDeferTaskrun: UInt32 = 1 << 13

    /// Sets up a ring with the cheapest task-running mode the kernel accepts. On failure
    /// nothing is left allocated and no stored property is set, so `deinit` never runs on a
    /// ring that was not set up (it would free it a second time).
    init(entries: UInt32, sqPoll: Bool, ioPoll: Bool) throws {
        let ring = UnsafeMutablePointer<io_uring>.allocate(capacity: 1)
        ring.initialize(to: io_uring())
        var base: UInt32 = 0
        if sqPoll { base |= Ring.setupSQPoll }
        if ioPoll { base |= Ring.setupIOPoll }
        // Single issuer + deferred task running, as fio 3.33 sets up its rings: completions
        // are processed only when we wait for them, in one batch on our own thread, with no
        // interruption in between (on the benchmark machine's disk about 4 % more IOPS than cooperative
        // task running alone, in one 12-round A/B against fio). Older kernels get the next best.
        let attempts: [UInt32] = sqPoll
            ? [base]
            : [base | Ring.setupSingleIssuer | Ring.setupDeferTaskrun | Ring.setupCoopTaskrun,
               base | Ring.setupSingleIssuer | Ring.setupCoopTaskrun, base | Ring.setupCoopTaskrun, base]
        var lastError: Int32 = 0
        for flags in attempts {
            var params = io_uring_params()
            params.flags = flags
            if sqPoll { params.sq_thread_idle = 1000 }
            // Completion queue twice the depth so a burst of completions never overflows.
            params.flags |= UInt32(IORING_SETUP_CQSIZE)
            params.cq_entries = entries &* 2
            let rc = io_uring_queue_init_params(entries, ring, &params)
            if rc == 0 {
                // Every io_uring_enter then skips looking the ring's descriptor up (an
                // fget/fput pair, 1.5 % of a device-bound run's CPU). Optional: kernel 5.18+.
                _ = io_uring_register_ring_fd(ring)
                self.ring = ring
                self.entries = entries
                self.sqPoll = sqPoll
                return
            }
            lastError = -rc
            if lastError == EPERM || lastError == ENOSYS || lastError == ENOMEM || lastError == EMFILE || lastError == ENFILE { break }
        }
        ring.deinitialize(count: 1)
        ring.deallocate()
        throw EngineSetupError.ring(errno: lastError)
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
    }

    /// Most entries a ring may have (IORING_MAX_ENTRIES); the completion queue, twice the
    /// submission queue here, is capped at twice that.
    static let maxEntries = 32768

    /// Registers one buffer per slot (fixed buffers: the kernel pins them once instead of
    /// mapping user pages on every I/O). Returns false when the kernel refuses (memlock
    /// limits, old kernel); the engine then uses plain reads and writes.
    func registerBuffers(_ iovecs: UnsafePointer<iovec>, count: Int) -> Bool {
        registeredBuffers = io_uring_register_buffers(ring, iovecs, UInt32(count)) == 0
        return registeredBuffers
    }

    /// Registers the target's descriptor as fixed file 0 (saves an fget/fput per I/O).
    func registerFile(_ fd: Int32) -> Bool {
        var f = fd
        registeredFile = io_uring_register_files(ring, &f, 1) == 0
        return registeredFile
    }

    /// Which of the opcodes the engine uses this kernel supports, by name.
    func probe() -> [(String, Bool)] {
        guard let p = io_uring_get_probe_ring(ring) else { return [] }
        defer { io_uring_free_probe(p) }
        let ops: [(String, Int32)] = [
            ("READ", Int32(IORING_OP_READ.rawValue)), ("WRITE", Int32(IORING_OP_WRITE.rawValue)),
            ("READ_FIXED", Int32(IORING_OP_READ_FIXED.rawValue)), ("WRITE_FIXED", Int32(IORING_OP_WRITE_FIXED.rawValue)),
            ("FSYNC", Int32(IORING_OP_FSYNC.rawValue)),
        ]
        return ops.map { ($0.0, io_uring_opcode_supported(p, $0.1) != 0) }
    }

    /// Reads the capabilities once at start and checks that the ones we need exist.
    static func requiredOpcodesMissing(_ probe: [(String, Bool)]) -> [String] {
        probe.filter { !$0.1 && ($0.0 == "READ" || $0.0 == "WRITE") }.map(\.0)
    }
}

/// Why an engine could not start; turned into a user-facing message by the runner.
enum EngineSetupError: Error, CustomStringConvertible {
    case ring(errno: Int32)

    /// The cause and what to do about it.
    var description: String {
        switch self {
        case .ring(let e):
            let reason = String(cString: strerror(e))
            switch e {
            case EPERM, ENOSYS, EACCES:
                return "io_uring is not available here (\(reason); containers and seccomp profiles often block it). Run with --ioengine=psync to use pread/pwrite instead"
            case EMFILE, ENFILE:
                return "cannot set up io_uring: \(reason): too many open files; raise the limit (ulimit -n) or run fewer jobs (numjobs)"
            case ENOMEM:
                return "cannot set up io_uring: \(reason): the ring does not fit in locked memory; lower iodepth or numjobs, or raise the memlock limit (ulimit -l)"
            case EINVAL:
                return "cannot set up io_uring: \(reason): the kernel refused the ring's size; lower iodepth"
            default:
                return "cannot set up io_uring: \(reason). Run with --ioengine=psync to use pread/pwrite instead"
            }
        }
    }
}
