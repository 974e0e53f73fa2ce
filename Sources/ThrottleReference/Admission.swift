import Throttle

/// The answer to "may this request go at `now`?".
public enum Admission: Equatable, Sendable {
    /// Go now; the capacity is reserved.
    case go
    /// The capacity is reserved; the request must wait until this time (ns, same clock).
    case wait(until: UInt64)
    /// The request is larger than the bucket can ever hold; nothing was reserved.
    case tooLarge

    /// The time to go at, or nil for `tooLarge`.
    public func goTime(now: UInt64) -> UInt64? {
        switch self {
        case .go: return now
        case .wait(let t): return t
        case .tooLarge: return nil
        }
    }
}
