import BlockLabCore
import Throttle
import Workload

/// One job thread of a phase: its I/O source, queue depth and fio-style rate limits,
/// paced exactly as the engine's job loop paces them (Engine/JobLoop: per direction, the
/// n-th I/O is due at start + floor(n × period / count), and likewise for bytes).
public struct SimStream {
    public var source: any SimIOSource
    public var iodepth: Int
    /// Per direction (read, write): I/Os and bytes allowed per `ratePeriodNs`; 0 = no limit.
    public var rateIOs: [UInt64]
    public var rateBytes: [UInt64]
    /// 1 s for rate_iops/rate; a series interval's length when replaying recorded demand.
    public var ratePeriodNs: UInt64

    public init(source: any SimIOSource, iodepth: Int, rateIOs: [UInt64] = [0, 0], rateBytes: [UInt64] = [0, 0],
                ratePeriodNs: UInt64 = NS.perSecond) {
        self.source = source; self.iodepth = max(1, iodepth)
        self.rateIOs = rateIOs; self.rateBytes = rateBytes; self.ratePeriodNs = max(1, ratePeriodNs)
    }
}

/// One stretch of simulated load: streams (job threads) sharing the volume for `runtimeNs`
/// of virtual time, each a closed loop of `iodepth` I/Os, or until every stream's source
/// has no more I/O (and those in flight completed), whichever comes first, as a job ends
/// in a real run. An idle phase has no streams.
public struct SimPhase {
    public var name: String
    public var streams: [SimStream]
    /// UInt64.max: no time limit (the phase ends when its work is done).
    public var runtimeNs: UInt64
    /// What "the work is done" means for this phase, for the report (`size 1 GiB done`);
    /// nil: the phase lasts its runtime even when its sources run dry (a replayed interval).
    public var workBound: String?

    public init(name: String, streams: [SimStream], runtimeNs: UInt64, workBound: String? = nil) {
        self.name = name; self.streams = streams; self.runtimeNs = runtimeNs; self.workBound = workBound
    }

    /// One stream; `rateIOPS` limits each direction (rate_iops=N).
    public init(name: String, source: any SimIOSource, iodepth: Int, rateIOPS: UInt64? = nil, runtimeNs: UInt64) {
        let r = rateIOPS ?? 0
        self.init(name: name, streams: [SimStream(source: source, iodepth: iodepth, rateIOs: [r, r])], runtimeNs: runtimeNs)
    }

    public static func idle(runtimeNs: UInt64) -> SimPhase { SimPhase(name: "idle", streams: [], runtimeNs: runtimeNs) }
}

/// Per-interval figures (completions counted in the interval they complete in, as fio).
public struct SimInterval: Sendable {
    public var startNs: UInt64
    public var ios: UInt64 = 0
    public var bytes: UInt64 = 0
    /// Shaper series figures at the end of the interval (BurstBalance %, ...).
    public var sample: [(String, Double)] = []
}

/// When and why one phase (job) ended.
public struct SimPhaseResult: Sendable {
    public enum Reason: Sendable, Equatable {
        /// Its runtime ran out.
        case runtime
        /// Its sources had no more I/O (size, io_size, number_ios or loops reached).
        case workDone(String)
        /// Nothing to play (an idle phase).
        case idle
    }
    public var name: String
    public var startNs: UInt64
    public var endNs: UInt64
    public var ios: UInt64
    public var bytes: UInt64
    public var reason: Reason

    public var reasonText: String {
        switch reason {
        case .runtime: return "runtime reached"
        case .workDone(let what): return what
        case .idle: return "idle"
        }
    }
}

public struct SimulationResult {
    public var intervalNs: UInt64
    /// Per phase: when it started and ended (virtual time) and why.
    public var phases: [SimPhaseResult] = []
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
/// code) a real run uses: each I/O is admitted when due (its slot free and its rate time
/// reached), issued at the go-time the shaper returns, and completes at go + serviceTime.
/// Streams of a phase interleave in due order (ties: the lower stream first), as job
/// threads would. Virtual time starts at the shaper's epoch. Every I/O is stepped (about a
/// microsecond each in a release build): hours at thousands of IOPS take seconds.
public struct Simulator {
    public let shaper: VolumeShaper
    public let intervalNs: UInt64

    public init(shaper: VolumeShaper, intervalNs: UInt64) {
        self.shaper = shaper
        self.intervalNs = max(1, intervalNs)
    }

    /// A stream in play: its free slots (completion times), next I/O and rate counters.
    private struct Live {
        var stream: SimStream
        var slots = MinHeap()
        var next: PlannedIO?
        var ios: [UInt64] = [0, 0]
        var bytes: [UInt64] = [0, 0]

        /// When `next` may go: its slot free and its direction's rate time reached.
        func due(start: UInt64) -> UInt64 {
            guard let io = next else { return .max }
            let d = io.direction.rawValue
            var t = slots.min
            let s = stream
            if s.rateIOs[d] > 0 { t = max(t, start &+ mulDiv(ios[d], s.ratePeriodNs, s.rateIOs[d])) }
            if s.rateBytes[d] > 0 { t = max(t, start &+ mulDiv(bytes[d], s.ratePeriodNs, s.rateBytes[d])) }
            return t
        }
    }

    public func run(_ phases: [SimPhase]) -> SimulationResult {
        let start = shaper.epoch
        var result = SimulationResult(intervalNs: intervalNs, intervals: [], endNs: start, totalIOs: 0, totalBytes: 0,
                                      lastIssueNs: start, summary: .null)
        var nextBoundary = start + intervalNs
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
            let (sum, overflow) = t0.addingReportingOverflow(phase.runtimeNs)
            let end = overflow ? UInt64.max : sum
            var phaseIOs: UInt64 = 0, phaseBytes: UInt64 = 0, lastDone = t0
            var ranOut = false
            var live: [Live] = phase.streams.map { s in
                var l = Live(stream: s)
                l.slots.reset(count: s.iodepth, value: t0)
                l.next = l.stream.source.next()
                return l
            }
            while true {
                var pick = -1
                var due = UInt64.max
                for i in live.indices {
                    let d = live[i].due(start: t0)
                    if d < due { due = d; pick = i }
                }
                guard pick >= 0, let io = live[pick].next else { break }
                guard due < end else { ranOut = true; break }
                closeIntervals(upTo: due)
                let go = shaper.admit(direction: io.direction, offset: io.offset, length: io.length, now: due)
                let done = go + shaper.serviceTime(direction: io.direction, offset: io.offset, length: io.length, issuedAt: go)
                live[pick].slots.replaceMin(done)
                let d = io.direction.rawValue
                live[pick].ios[d] += 1
                live[pick].bytes[d] += UInt64(io.length)
                live[pick].next = live[pick].stream.source.next()
                completions.push((done, UInt64(io.length)))
                result.totalIOs += 1
                result.totalBytes += UInt64(io.length)
                result.lastIssueNs = max(result.lastIssueNs, go)
                phaseIOs += 1
                phaseBytes += UInt64(io.length)
                lastDone = max(lastDone, done)
            }
            // Out of work: the phase ends when its last I/O completes (the next starts then,
            // as after a stonewall); out of time: at its runtime.
            let phaseEnd: UInt64
            let reason: SimPhaseResult.Reason
            if phase.streams.isEmpty {
                (phaseEnd, reason) = (end == .max ? t0 : end, .idle)
            } else if let bound = phase.workBound, !ranOut {
                (phaseEnd, reason) = (min(lastDone, end), .workDone(bound))
            } else {
                (phaseEnd, reason) = (end == .max ? max(lastDone, t0) : end, .runtime)
            }
            result.phases.append(SimPhaseResult(name: phase.name, startNs: t0 - start, endNs: phaseEnd - start,
                                                ios: phaseIOs, bytes: phaseBytes, reason: reason))
            t0 = phaseEnd
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

