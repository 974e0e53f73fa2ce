import BlockLabCore
import Glibc
import JobSpec

/// The psync engine's entry in the table (fio's sync and pvsync run here too).
enum PsyncDriver: EngineDriver {
    static let traits = EngineCatalog.psync

    static func probe() throws {}

    /// One I/O at a time: any depth is run at 1.
    static func checkDepth(_ plan: ClonePlan) throws {}

    static func run<C: BackendConsumer>(_ plan: ClonePlan, fd: Int32, arena: BufferArena, _ consumer: C) throws -> C.Output {
        try consumer.run(PsyncBackend(fd: fd, sqesPerIO: plan.sqesPerIO))
    }
}

/// pread/pwrite at queue depth 1: the fallback where io_uring is unavailable
/// (containers often block it). Each "submit" performs the one prepared I/O.
final class PsyncBackend: IOBackend {
    static var performsInSubmit: Bool { true }
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
    private let trimmer: Trimmer
    private var trimmed: SyncCompletions
    /// Synchronous: never asked (the queue depth is 1, there is nothing to adapt).
    var submitOnly: (ios: UInt64, inline: UInt64) { (0, 0) }

    init(fd: Int32, sqesPerIO: Int) {
        self.fd = fd
        capacity = sqesPerIO + 1
        ops = .allocate(capacity: capacity)
        trimmer = Trimmer(fd: fd)
        trimmed = SyncCompletions(capacity: capacity)
    }

    deinit {
        ops.deallocate()
        trimmed.deallocate()
    }

    var features: [(String, JSONValue)] { [] }

    func prepare(tag: Int32, direction: IODirection, offset: UInt64, length: UInt32, buffer: UnsafeMutableRawPointer) {
        if case .trim = direction {
            enterCalls &+= 1
            trimmed.append(Completion(tag: tag, result: trimmer.trim(offset: offset, length: length)))
            return
        }
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
        var n = trimmed.count > 0 ? trimmed.take(into: out, max: max) : 0
        var failed = false
        for i in 0..<count {
            let op = ops[i]
            enterCalls &+= 1
            var done = 0
            var result: Int32 = 0
            if failed { result = -ECANCELED }
            while !failed && done < Int(op.length) {
                let r = Syscall.retrying {
                    op.write ? pwrite(fd, op.buffer + done, Int(op.length) - done, off_t(op.offset) + off_t(done))
                        : pread(fd, op.buffer + done, Int(op.length) - done, off_t(op.offset) + off_t(done))
                }
                if r < 0 {
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
