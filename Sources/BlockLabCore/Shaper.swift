/// The engine's only view of a volume model. The engine asks before issuing each I/O and
/// honours the answers; it knows nothing of EBS, credits or accounting rules, and a volume
/// model knows nothing of io_uring. Implementations must be safe to call from several job
/// threads at once (numjobs share one emulated volume) without locks on this path.
public protocol IOShaper: AnyObject, Sendable {
    /// An I/O wants to be issued at `now`. Returns the earliest time (ns, same clock) at
    /// which it may be issued: `now` (or earlier) means go now. The call reserves the
    /// capacity, so the engine must issue the I/O at the returned time.
    func admit(direction: IODirection, offset: UInt64, length: UInt32, now: UInt64) -> UInt64

    /// The emulated device's service time for this I/O (ns). The engine reports the I/O
    /// complete no earlier than `issuedAt + serviceTime`, even if the local disk is faster.
    func serviceTime(direction: IODirection, offset: UInt64, length: UInt32, issuedAt: UInt64) -> UInt64

    /// Figures for one point of the result's time series (credit balances, throttled time):
    /// name -> value. Called a few times a second from one thread, never on the I/O path.
    func sample(now: UInt64) -> [(String, Double)]

    /// The model's section of the result (under `blocklab.volume`), at the end of the run.
    func summary(now: UInt64) -> JSONValue
}
