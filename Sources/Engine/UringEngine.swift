import BlockLabCore
import CSupport
import CURing
import Glibc
import JobSpec

/// The io_uring engine's entry in the table (libaio runs here too).
enum UringDriver: EngineDriver {
    static let traits = EngineCatalog.ioUring

    /// Creates and drops a tiny ring so a blocked io_uring fails with a clear message
    /// before any file is laid out or thread started.
    static func probe() throws {
        do {
            _ = try Ring(entries: 2, sqPoll: false, ioPoll: false)
        } catch let error as EngineSetupError {
            throw BlockLabError.usage(error.description)
        }
    }

    /// The ring holds every slot's kernel operations and an fsync per slot.
    static func checkDepth(_ plan: ClonePlan) throws {
        let (sqes, overflow) = plan.depth.multipliedReportingOverflow(by: plan.sqesPerIO + 1)
        if overflow || sqes + 1 > Ring.maxEntries {
            let most = (Ring.maxEntries - 1) / (plan.sqesPerIO + 1)
            throw BlockLabError.usage("\(plan.spec.origin): option iodepth: \(plan.depth) is more than an io_uring ring holds "
                + "(at most \(most) I/Os in flight per job here)")
        }
    }

    static func run<C: BackendConsumer>(_ plan: ClonePlan, fd: Int32, arena: BufferArena, _ consumer: C) throws -> C.Output {
        let spec = plan.spec
        let backend = try UringBackend(fd: fd, depth: plan.depth, sqesPerIO: plan.sqesPerIO, arena: arena,
                                       wantFixedBuffers: spec.fixedbufs, wantRegisteredFile: spec.registerfiles,
                                       sqPoll: spec.sqthreadPoll, hipri: spec.hipri)
        backend.ioPriority = spec.basePriority ?? 0
        return try consumer.run(backend)
    }
}

/// io_uring: fixed buffers and a registered file when the kernel allows them.
final class UringBackend: IOBackend {
    static var performsInSubmit: Bool { false }
    let ring: Ring
    let fd: Int32
    private let fixedBuffers: Bool
    private let fixedFile: Bool
    private let cqes: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private let cqeCapacity: Int
    private(set) var enterCalls: UInt64 = 0
    private(set) var submitOnly: (ios: UInt64, inline: UInt64) = (0, 0)
    private let probe: [(String, Bool)]
    /// sqe->ioprio of the next I/Os (fio sets the job's priority on every SQE, since an SQ
    /// poll thread does not inherit the job thread's).
    var ioPriority: UInt16 = 0
    private let trimmer: Trimmer
    /// Trims done at prepare time, waiting to be reaped.
    private var trimmed: SyncCompletions

    /// - sqesPerIO: most SQEs one I/O can need (1, or more on a mapped target where an I/O
    ///   spans chunks and each chunk may need a copy first).
    init(fd: Int32, depth: Int, sqesPerIO: Int, arena: BufferArena, wantFixedBuffers: Bool, wantRegisteredFile: Bool,
         sqPoll: Bool, hipri: Bool) throws {
        // Room for every slot's kernel operations plus an fsync after each completed write
        // (fsync=1 at full depth queues one per completion before the refills go out).
        var entries: UInt32 = 1
        while entries < UInt32(depth * (sqesPerIO + 1) + 1) { entries <<= 1 }
        ring = try Ring(entries: entries, sqPoll: sqPoll, ioPoll: hipri)
        self.fd = fd
        probe = ring.probe()
        let missing = Ring.requiredOpcodesMissing(probe)
        if !missing.isEmpty { throw EngineSetupError.ring(errno: ENOSYS) }
        fixedBuffers = wantFixedBuffers && ring.registerBuffers(arena.iovecs, count: arena.count)
        fixedFile = wantRegisteredFile && ring.registerFile(fd)
        cqeCapacity = Int(entries) * 2
        cqes = .allocate(capacity: cqeCapacity)
        trimmer = Trimmer(fd: fd)
        trimmed = SyncCompletions(capacity: depth)
    }

    deinit {
        cqes.deallocate()
        trimmed.deallocate()
    }

    var features: [(String, JSONValue)] {
        [("fixed_buffers", .bool(fixedBuffers)), ("registered_file", .bool(fixedFile)),
         ("sqpoll", .bool(ring.sqPoll)),
         ("opcodes", .object(probe.map { ($0.0, .bool($0.1)) }))]
    }

    @inline(__always)
    func prepare(tag: Int32, direction: IODirection, offset: UInt64, length: UInt32, buffer: UnsafeMutableRawPointer) {
        if case .trim = direction {
            trimmed.append(Completion(tag: tag, result: trimmer.trim(offset: offset, length: length)))
            return
        }
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
        if ioPriority != 0 { sqe.pointee.ioprio = ioPriority }
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
        if trimmed.count > 0 {
            // Trims completed at prepare: they answer the wait; the ring is only polled.
            let n = trimmed.take(into: out, max: max)
            return try n + reapRing(submit: submit, minComplete: 0, deadline: 0, now: now, out: out + n, max: max - n)
        }
        return try reapRing(submit: submit, minComplete: minComplete, deadline: deadline, now: now, out: out, max: max)
    }

    @inline(__always)
    private func reapRing(submit: Bool, minComplete: Int, deadline: UInt64, now: UInt64,
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
