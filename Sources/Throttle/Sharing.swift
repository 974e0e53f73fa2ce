/// Whether a bucket (or a volume's counters) may be used by several threads at once.
public enum Sharing: Sendable, Equatable {
    /// Any number of threads: every update is a compare-exchange.
    case shared
    /// One thread at a time, with a happens-before between successive users (a thread
    /// start or join): updates are plain stores.
    case exclusive
}
