#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic time in integer nanoseconds. Everything that depends on time takes one of
/// these, so tests can drive it with `FakeClock` and the simulator with a virtual clock.
public protocol MonotonicClock: AnyObject, Sendable {
    func now() -> UInt64
}

/// CLOCK_MONOTONIC.
public final class SystemClock: MonotonicClock, @unchecked Sendable {
    public static let shared = SystemClock()
    public init() {}

    @inline(__always)
    public func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// A clock that moves only when told to. Not thread-safe: for single-threaded tests and
/// for the simulator's virtual time.
public final class FakeClock: MonotonicClock, @unchecked Sendable {
    public var current: UInt64
    public init(_ start: UInt64 = 0) { current = start }
    public func now() -> UInt64 { current }
    public func advance(by ns: UInt64) { current += ns }
    public func set(_ ns: UInt64) {
        precondition(ns >= current, "a monotonic clock never goes back")
        current = ns
    }
}

/// Wall-clock time for timestamps in results (not for measuring intervals).
public enum WallClock {
    public static func nowEpochMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}

public enum NS {
    public static let perMicrosecond: UInt64 = 1_000
    public static let perMillisecond: UInt64 = 1_000_000
    public static let perSecond: UInt64 = 1_000_000_000
}
