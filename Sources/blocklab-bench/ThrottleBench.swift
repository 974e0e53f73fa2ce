import BlockLabCore
import Dispatch
import Foundation
import Throttle
import ThrottleReference
import VolumeModel

/// Microbenchmarks for the admission path (the target is at most 100 ns per admitted
/// I/O). Each figure is CPU time (the thread's, or the process's for the two-thread case)
/// over `iterations` admits divided by the count, so time the thread spends descheduled by
/// other processes is not counted; `now` advances synthetically so the clock read is not
/// part of the figure. This VM has phases of seconds in which the same loop runs up to 1.7x
/// slower (a busy neighbour on the host), so the cases run round-robin, `rounds` short
/// rounds each (fresh buckets each time), and each figure is a case's best round: a slow
/// phase then hits every case alike, and each case gets many chances at a quiet moment.
/// Returns lines to print.
/// `BENCH_THROTTLE_ONLY=text` runs only the cases whose name contains it (for profiling).
func throttleMicrobench(iterations: Int = 300_000, rounds: Int = 25) -> [String] {
    let clock = CPUClock(CLOCK_THREAD_CPUTIME_ID)
    let only = ProcessInfo.processInfo.environment["BENCH_THROTTLE_ONLY"]
    var cases: [(name: String, budgeted: Bool, run: () -> UInt64)] = []
    func add(_ name: String, budgeted: Bool = true, _ run: @escaping () -> UInt64) {
        if let only, !name.contains(only) { return }
        cases.append((name, budgeted, run))
    }
    let sink = Sink()

    add("single-dimension") {
        let single = TokenBucket(rate: 1_000_000_000, burst: 1_000_000, epoch: 0)
        var s: UInt64 = 0
        let t = clock.now()
        for i in 0..<iterations { s &+= single.reserve(cost: 1, arrival: UInt64(i) * 1000, allowDebt: false) ?? 0 }
        defer { sink.keep(s) }
        return clock.now() - t
    }
    // Operations and bytes together (one 128-bit compare-exchange).
    add("two-dimension") {
        let dual = DualTokenBucket(ops: GCRA(rate: 1_000_000, burst: 10_000),
                                   bytes: GCRA(rate: 4_000_000_000, burst: 40_000_000), epoch: 0)
        var s: UInt64 = 0
        let t = clock.now()
        for i in 0..<iterations { s &+= dual.reserve(opCost: 1, byteCost: 16384, arrival: UInt64(i) * 1000, allowDebt: true) ?? 0 }
        defer { sink.keep(s) }
        return clock.now() - t
    }
    // One shared bucket, two threads hammering it back to back: the worst case of
    // contention (the cache line moves between cores on every admit and compare-exchanges
    // fail and retry), which a run, with an I/O submitted between admits, does not reach. A
    // stress figure for the lock-free path, so not held to the per-I/O budget.
    let threads = 2
    add("shared-atomic, worst-case contention (\(threads) threads, per admit)", budgeted: false) {
        let shared = TokenBucket(rate: 1_000_000_000, burst: 1_000_000, epoch: 0)
        let process = CPUClock(CLOCK_PROCESS_CPUTIME_ID)
        let t = process.now()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var local: UInt64 = 0
            for i in 0..<(iterations / threads) { local &+= shared.reserve(cost: 1, arrival: UInt64(i) * 1000, allowDebt: false) ?? 0 }
            sink.keep(local)
        }
        return process.now() - t // CPU time of both threads: per admit, as the others
    }

    // The full shaper (with EBS accounting and credit tracking): 1 bucket group for gp3, 2
    // for gp2, 3 and 4 for gp2 on m5.large; one locked instruction per shared admit.
    let store = ProfileStore(directory: ProfileStore.defaultDirectory(cwd: currentDirectory()))
    var lines: [String] = []
    // gp2 on m5.large three times: as `run` sets it up (the instance knows its volume, and
    // books only the limit the volume can reach: throughput credits), with every instance
    // limit booked (as when the volume's I/Os exceed its 10 ms burst: four bucket groups,
    // seven limits), and the same in a cell with room for a second volume, as when several
    // volumes share the instance (more words to copy per update: the dearest case there is).
    enum Instance { case known, oneVolume, severalVolumes }
    for (spec, instance, how) in [("gp3:size=500g,iops=6000,throughput=250", nil, .known), ("gp2:size=100g", nil, .known),
                                  ("gp2:size=100g", "m5.large", .known), ("gp2:size=100g", "m5.large", .oneVolume),
                                  ("gp2:size=100g", "m5.large", .severalVolumes)] as [(String, String?, Instance)] {
        do {
            let v = try VolumeSpec.parse(spec).resolve(in: store)
            let profile = try instance.map { try store.instance(named: $0) }
            // Two arrival patterns: 1 M admits/s, far over the envelope (every I/O waits,
            // go-times run hours ahead: the dearest path), and arrivals at the envelope's
            // IOPS (as in a real run, where the engine admits only as slots free up).
            let envelope = min(v.peakIOPS ?? 1_000_000, profile?.maxIOPS ?? 1_000_000)
            // Each twice: as one job thread uses it (numjobs=1, the simulator: no locked
            // instruction) and as numjobs > 1 threads share it (compare-exchanges).
            for sharing in [Sharing.exclusive, .shared] {
                for (label, step) in [("over the envelope", UInt64(1000)), ("at the envelope", 1_000_000_000 / envelope)] {
                    let who = sharing == .exclusive ? "one thread" : "shared"
                    let on = instance.map { " on " + $0 + [.known: "", .oneVolume: " (every limit booked)",
                                                               .severalVolumes: " (every limit booked, shared by volumes)"][how]! } ?? ""
                    add("VolumeShaper \(spec)\(on), \(who), \(label)") {
                        let limits = profile.map {
                            InstanceLimits(profile: $0, epoch: 0, sharing: sharing, attached: how == .known ? [Upstream(volume: v, largestIO: 16384)] : nil,
                                           volumes: how == .severalVolumes ? 2 : 1)
                        }
                        let shaper = VolumeShaper(volume: v, instance: limits, epoch: 0, sharing: sharing)
                        var offset: UInt64 = 0, s: UInt64 = 0
                        let t = clock.now()
                        for i in 0..<iterations {
                            offset = (offset &* 6364136223846793005 &+ 1442695040888963407)
                            s &+= shaper.admit(direction: .read, offset: (offset >> 20) << 14, length: 16384, now: UInt64(i) * step)
                        }
                        defer { sink.keep(s) }
                        return clock.now() - t
                    }
                }
            }
        } catch {
            lines.append("throttle VolumeShaper \(spec): skipped (\(error))")
        }
    }

    if cases.isEmpty, let only { lines.append("throttle: no case name contains BENCH_THROTTLE_ONLY=\"\(only)\"") }
    var best = [UInt64](repeating: .max, count: cases.count)
    for _ in 0..<rounds {
        for (i, c) in cases.enumerated() { best[i] = min(best[i], c.run()) }
    }
    for (i, c) in cases.enumerated() {
        let per = Double(best[i]) / Double(iterations)
        lines.append("throttle \(c.name): \(Units.formatDecimal(per, places: 1)) ns/admit, best of \(rounds) rounds of \(iterations)"
            + (!c.budgeted ? "  (stress case, no budget)" : per <= 100 ? "" : "  (above the 100 ns budget)"))
    }
    if sink.value == 1 { lines.append("") }
    return lines
}

/// Keeps results alive so the optimizer cannot drop the loops.
private final class Sink: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var value: UInt64 = 0
    func keep(_ v: UInt64) { lock.lock(); value &+= v; lock.unlock() }
}

/// A CPU-time clock (ns).
private struct CPUClock {
    let id: clockid_t
    init(_ id: clockid_t) { self.id = id }
    func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(id, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

private func currentDirectory() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buf, buf.count) != nil else { return "." }
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

#if canImport(Glibc)
import Glibc
#endif
