/// Every error BlockLab reports to a user. `usage` covers bad input (a job file, an option,
/// a profile value, a target the user named wrongly) and maps to exit code 2, as the
/// project's standards require; `runtime` is a failure during a run (exit code 1).
public enum BlockLabError: Error, CustomStringConvertible, Equatable {
    /// Bad input. The message names the file, line or option.
    case usage(String)
    /// Something failed while running (I/O error, verify mismatch, ...).
    case runtime(String)
    /// Stopped by Ctrl-C (SIGINT) or SIGTERM before the work was done (exit code 130, as a
    /// shell reports a process killed by SIGINT). The message says what was left.
    case interrupted(String)

    public var description: String {
        switch self {
        case .usage(let m), .runtime(let m), .interrupted(let m): return m
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .usage: return 2
        case .runtime: return 1
        case .interrupted: return 130
        }
    }
}

/// A failed system call, carrying errno (modelled on swift-system's `Errno`).
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let call: String
    public let errno: Int32
    public let path: String?

    public init(_ call: String, errno: Int32, path: String? = nil) {
        self.call = call
        self.errno = errno
        self.path = path
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        if let path { return "\(call) \(path): \(reason)" }
        return "\(call): \(reason)"
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
