#if canImport(Glibc)
import Glibc
#endif

extension CPUUsage {
    /// The calling thread's CPU use so far (getrusage(RUSAGE_THREAD)); take one at the
    /// job's start and one at its end and use `since(_:)`.
    public static func currentThread() -> CPUUsage {
        var ru = rusage()
        var u = CPUUsage()
        // RUSAGE_THREAD (1, Linux) is not imported into Swift: it is behind _GNU_SOURCE.
        guard getrusage(__rusage_who_t(1), &ru) == 0 else { return u }
        u.userNs = UInt64(ru.ru_utime.tv_sec) * 1_000_000_000 + UInt64(ru.ru_utime.tv_usec) * 1_000
        u.systemNs = UInt64(ru.ru_stime.tv_sec) * 1_000_000_000 + UInt64(ru.ru_stime.tv_usec) * 1_000
        u.voluntaryContextSwitches = UInt64(ru.ru_nvcsw)
        u.involuntaryContextSwitches = UInt64(ru.ru_nivcsw)
        u.minorFaults = UInt64(ru.ru_minflt)
        u.majorFaults = UInt64(ru.ru_majflt)
        return u
    }

    /// The use between `start` (an earlier reading of the same thread) and this reading.
    public func since(_ start: CPUUsage) -> CPUUsage {
        var d = CPUUsage()
        d.userNs = userNs &- start.userNs
        d.systemNs = systemNs &- start.systemNs
        d.voluntaryContextSwitches = voluntaryContextSwitches &- start.voluntaryContextSwitches
        d.involuntaryContextSwitches = involuntaryContextSwitches &- start.involuntaryContextSwitches
        d.minorFaults = minorFaults &- start.minorFaults
        d.majorFaults = majorFaults &- start.majorFaults
        return d
    }
}

/// A recorder is created by the engine and handed to its job thread, which then owns it
/// alone; it is never used by two threads at once.
extension JobRecorder: @unchecked Sendable {}
