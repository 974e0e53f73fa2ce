import BlockLabCore

/// fio's latency_target profile (io_u.c, lat_target_*): the queue depth starts at 1;
/// after each window in which at least `percentile` percent of the completed I/Os took no
/// longer than the target, the depth doubles (or, once a depth has failed, bisects towards
/// it); a window that misses (or, at the 100th percentile, a single late I/O) bisects down
/// and drains the queue. When a success leaves the depth where it was, the job drains,
/// starts its statistics afresh and runs one more window at that depth, then ends (unless
/// `latency_run`, which keeps adjusting to the end of the run).
///
/// Pure state: the job loop feeds it completions and times and carries out what it asks.
struct LatencyProbe {
    let targetNs: UInt64
    let windowNs: UInt64
    let percentile: Double
    let keepAdjusting: Bool
    /// The job's iodepth: the deepest the probe goes (fio's latency_qd_high starts here).
    let maxDepth: Int

    private(set) var depth = 1
    private(set) var high: Int
    private(set) var low = 1
    private(set) var stableCount = 0
    /// The last window, at the depth found, is running (fio's latency_end_run).
    private(set) var endRun = false
    private(set) var cycleStart: UInt64 = 0
    private(set) var cycleIOs: UInt64 = 0
    private(set) var failed: UInt64 = 0

    /// What the loop must do after a step.
    enum Action: Equatable {
        case none
        /// Let the I/Os in flight complete, then start a new window (fio's io_u_quiesce).
        case drain
        /// Drain, then start the job's statistics afresh: the last window begins.
        case drainAndReset
        /// The probe is over: end the job.
        case finish
        /// A late I/O at depth 1 under the 100th percentile: the job fails (fio's lat_fatal).
        case fatal
    }

    init(targetNs: UInt64, windowNs: UInt64, percentile: Double, keepAdjusting: Bool, maxDepth: Int) {
        self.targetNs = targetNs
        self.windowNs = windowNs
        self.percentile = percentile
        self.keepAdjusting = keepAdjusting
        self.maxDepth = max(1, maxDepth)
        high = self.maxDepth
    }

    /// fio's lat_target_reset: (re)starts the search, unless the last window is running.
    mutating func begin(now: UInt64, ios: UInt64) {
        guard !endRun else { return }
        depth = 1
        high = maxDepth
        low = 1
        newCycle(now: now, ios: ios)
    }

    /// fio's lat_new_cycle: a window starts now, after `ios` completions.
    mutating func newCycle(now: UInt64, ios: UInt64) {
        cycleStart = now
        cycleIOs = ios
        failed = 0
    }

    /// An I/O took `latNs` (fio's total latency: taken up -> completed).
    mutating func completed(latNs: UInt64) -> Action {
        guard latNs > targetNs else { return .none }
        if percentile == 100 { return rampDown() ? .fatal : .drain }
        failed += 1
        return .none
    }

    /// fio's lat_target_check, after each round of completions: judges the window once it
    /// has lasted `windowNs`. `ios` counts every completion so far.
    mutating func check(now: UInt64, ios: UInt64) -> Action {
        guard now &- cycleStart >= windowNs else { return .none }
        let n = ios &- cycleIOs
        // No completion in the window: 0/0 is not a success (as fio's double arithmetic).
        let success = Double(n &- failed) / Double(n) * 100
        if success >= percentile { return succeeded(now: now, ios: ios) }
        // At depth 1 there is nowhere lower to go; the window goes on (as fio).
        return rampDown() ? .none : .drain
    }

    /// fio's __lat_target_failed: true at depth 1 (nothing to give back).
    private mutating func rampDown() -> Bool {
        if depth == 1 { return true }
        high = depth
        if depth == low { low -= 1 }
        depth = (depth + low) / 2
        stableCount = 0
        return false
    }

    /// fio's lat_target_success.
    private mutating func succeeded(now: UInt64, ios: UInt64) -> Action {
        let before = depth
        low = depth
        if depth + 1 == high {
            // A depth that can only stay put would settle below the target: every third
            // success in a row there lifts the ceiling by one.
            stableCount += 1
            if stableCount >= 3 {
                high += 1
                stableCount = 0
            }
        }
        // Until a depth fails, double; after, bisect towards the one that failed.
        depth = high != maxDepth ? (depth + high) / 2 : depth * 2
        depth = min(depth, maxDepth)
        var action = Action.none
        if !keepAdjusting && depth == before {
            if endRun {
                action = .finish
            } else {
                endRun = true
                action = .drainAndReset
            }
        }
        newCycle(now: now, ios: ios)
        return action
    }
}
