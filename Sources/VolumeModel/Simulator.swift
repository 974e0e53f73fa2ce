import BlockLabCore
import Throttle
import Workload

/// One stretch of simulated load: a closed loop with `iodepth` I/Os outstanding, optionally
/// paced to `rateIOPS`, for `runtimeNs` of virtual time. `idle` phases issue nothing.
public struct SimPhase {
    public var name: String
    public var source: (any SimIOSource)?
    public var iodepth: Int
    public var rateIOPS: UInt64?
    public var runtimeNs: UInt64

    public init(name: String, source: any SimIOSource, iodepth: Int, rateIOPS: UInt64? = nil, runtimeNs: UInt64) {
        self.name = name; self.source = source; self.iodepth = max(1, iodepth); self.rateIOPS = rateIOPS; self.runtimeNs = runtimeNs
    }

    public static func idle(runtimeNs: UInt64) -> SimPhase {
        var p = SimPhase(name: "idle", source: JobIOSourceNone(), iodepth: 1, runtimeNs: runtimeNs)
        p.source = nil
        return p
    }
}

struct JobIOSourceNone: SimIOSource { mutating func next() -> PlannedIO? { nil } }

/// Per-interval figures (completions counted in the interval they complete in, as fio).
public struct SimInterval: Sendable {
    public var startNs: UInt64
    public var ios: UInt64 = 0
    public var bytes: UInt64 = 0
    /// Shaper series figures at the end of the interval (BurstBalance %, ...).
    public var sample: [(String, Double)] = []
}

public struct SimulationResult {
    public var intervalNs: UInt64
    public var intervals: [SimInterval]
    public var endNs: UInt64
    public var totalIOs: UInt64
    public var totalBytes: UInt64
    /// Go-time of the last I/O issued.
    public var lastIssueNs: UInt64
    /// The shaper's summary at the end (credit episodes, throttled time, EBS counts).
    public var summary: JSONValue
}

/// Plays phases on a virtual clock through the same `VolumeShaper` (and so the same bucket
/// code) a real run uses: each I/O is admitted when due, issued at the go-time the shaper
/// returns, and completes at go + serviceTime. Virtual time starts at the shaper's epoch.
/// Every I/O is stepped (about a microsecond each in a release build): hours of virtual
/// time at thousands of IOPS take seconds; days at high IOPS would want steady-state
/// skipping, which is not implemented.
public struct Simulator {
    public let shaper: VolumeShaper
    public let intervalNs: UInt64

    public init(shaper: VolumeShaper, intervalNs: UInt64) {
        self.shaper = shaper
        self.intervalNs = max(1, intervalNs)
    }

    public func run(_ phases: [SimPhase]) -> SimulationResult {
        let start = shaper.epoch
        var result = SimulationResult(intervalNs: intervalNs, intervals: [], endNs: start, totalIOs: 0, totalBytes: 0,
                                      lastIssueNs: start, summary: .null)
        var nextBoundary = start + intervalNs
        var inFlight = MinHeap()
        var completions = MinHeapPairs()
        func closeIntervals(upTo t: UInt64) {
            // Count completions up to each boundary, then sample the shaper there.
            while nextBoundary <= t {
                var iv = SimInterval(startNs: nextBoundary - intervalNs)
                while let c = completions.peek(), c.0 < nextBoundary {
                    _ = completions.pop(); iv.ios += 1; iv.bytes += c.1
                }
                iv.sample = shaper.sample(now: nextBoundary)
                result.intervals.append(iv)
                nextBoundary += intervalNs
            }
        }
        var t0 = start
        for phase in phases {
            let end = t0 + phase.runtimeNs
            if var source = phase.source {
                inFlight.reset(count: phase.iodepth, value: t0)
                let pace = phase.rateIOPS.map { GCRA(rate: $0, burst: 1) }
                var k: UInt64 = 0
                while true {
                    let free = inFlight.popMin()
                    let due = max(free, t0 + (pace?.elapsedUntil(tokens: k) ?? 0))
                    guard due < end, let io = source.next() else { break }
                    closeIntervals(upTo: due)
                    let go = shaper.admit(direction: io.direction, offset: io.offset, length: io.length, now: due)
                    let done = go + shaper.serviceTime(direction: io.direction, offset: io.offset, length: io.length, issuedAt: go)
                    inFlight.push(done)
                    completions.push((done, UInt64(io.length)))
                    result.totalIOs += 1
                    result.totalBytes += UInt64(io.length)
                    result.lastIssueNs = max(result.lastIssueNs, go)
                    k += 1
                }
            }
            t0 = end
        }
        // Drain: in-flight I/Os complete after the last phase ends.
        var last = t0
        for c in completions.items { last = max(last, c.0) }
        closeIntervals(upTo: max(t0, last))
        result.endNs = t0
        result.summary = shaper.summary(now: max(t0, last))
        return result
    }
}

/// A binary min-heap of times (the in-flight slots' completion times).
struct MinHeap {
    var items: [UInt64] = []
    mutating func reset(count: Int, value: UInt64) { items = Array(repeating: value, count: count) }
    mutating func push(_ v: UInt64) {
        items.append(v)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p] <= items[i] { break }
            items.swapAt(p, i); i = p
        }
    }
    mutating func popMin() -> UInt64 {
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l] < items[m] { m = l }
                if r < items.count && items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
        return top
    }
}

/// A min-heap of (completion time, bytes).
struct MinHeapPairs {
    var items: [(UInt64, UInt64)] = []
    func peek() -> (UInt64, UInt64)? { items.first }
    mutating func push(_ v: (UInt64, UInt64)) {
        items.append(v)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].0 <= items[i].0 { break }
            items.swapAt(p, i); i = p
        }
    }
    mutating func pop() -> (UInt64, UInt64)? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].0 < items[m].0 { m = l }
                if r < items.count && items[r].0 < items[m].0 { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
        return top
    }
}
