import BlockLabCore
import CSupport
import Synchronization

/// Live counters a job thread publishes once per loop iteration (relaxed atomic stores, no
/// locks) so another thread can draw the status line.
public final class JobProgress: Sendable {
    public let name: String
    let readIOs = Atomic<UInt64>(0)
    let writeIOs = Atomic<UInt64>(0)
    let readBytes = Atomic<UInt64>(0)
    let writeBytes = Atomic<UInt64>(0)
    let finished = Atomic<Bool>(false)
    /// Total bytes the job will move when bounded (0 = time-based).
    public let plannedBytes: UInt64
    /// When the job's measured phase ends, for time-based jobs (0 = not known yet).
    let deadline = Atomic<UInt64>(0)
    /// When the job's measured phase began (0 = not yet), and its completed I/Os and bytes
    /// then: where steady-state detection's first second starts.
    let epoch = Atomic<UInt64>(0)
    let epochIOs = Atomic<UInt64>(0)
    let epochBytes = Atomic<UInt64>(0)

    init(name: String, plannedBytes: UInt64) {
        self.name = name
        self.plannedBytes = plannedBytes
    }

    @inline(__always)
    func publish(ios r: UInt64, _ w: UInt64, bytes rb: UInt64, _ wb: UInt64) {
        readIOs.store(r, ordering: .relaxed)
        writeIOs.store(w, ordering: .relaxed)
        readBytes.store(rb, ordering: .relaxed)
        writeBytes.store(wb, ordering: .relaxed)
    }

    public struct Snapshot: Sendable {
        public var ios: [UInt64]
        public var bytes: [UInt64]
        public var finished: Bool
        public var plannedBytes: UInt64
        public var deadline: UInt64
    }

    public func snapshot() -> Snapshot {
        Snapshot(ios: [readIOs.load(ordering: .relaxed), writeIOs.load(ordering: .relaxed)],
                 bytes: [readBytes.load(ordering: .relaxed), writeBytes.load(ordering: .relaxed)],
                 finished: finished.load(ordering: .relaxed), plannedBytes: plannedBytes,
                 deadline: deadline.load(ordering: .relaxed))
    }
}

/// Asks a run to stop early, as Ctrl-C does: jobs finish their in-flight I/O and the result
/// is marked interrupted. Each run has its own token (several runs can share a process,
/// as tests do); SIGINT and SIGTERM stop every run.
public final class StopToken: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func stop() { flag.store(true, ordering: .relaxed) }

    /// True once stop() was called or the process got SIGINT/SIGTERM.
    @inline(__always)
    public var isStopped: Bool { flag.load(ordering: .relaxed) || bl_stop_requested() != 0 }

    /// True once stop() was called on this token (signals aside).
    @inline(__always)
    public var isSet: Bool { flag.load(ordering: .relaxed) }
}
