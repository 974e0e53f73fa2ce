import BlockLabCore
import Foundation
import JobSpec
import Metrics
import Testing
@testable import Engine

/// fio's steady-state detection and latency_target profile: the logic on a fake clock with
/// known figures, then each through a short real run.
@Suite(.serialized) struct SteadyStateAndLatencyTargetTests {
    func specs(_ text: String, in s: Scratch) throws -> [JobSpec] {
        try JobParser.parse(text: text.replacingOccurrences(of: "DIR", with: s.path), path: "t.fio", environment: [:])
    }

    // MARK: latency_target

    let ms = NS.perMillisecond

    /// Depth 1, 2, 4, 8 while every window meets the target; 8 is iodepth, so the next
    /// success leaves it there: the last window starts with fresh statistics, then the probe ends.
    @Test func probeDoublesToIodepthThenRunsOneLastWindow() {
        let clock = FakeClock(1_000)
        var p = LatencyProbe(targetNs: 1 * ms, windowNs: 100 * ms, percentile: 99, keepAdjusting: false, maxDepth: 8)
        p.begin(now: clock.now(), ios: 0)
        var ios: UInt64 = 0
        var depths = [p.depth], actions: [LatencyProbe.Action] = []
        for _ in 0..<5 {
            clock.advance(by: 50 * ms)
            let early = p.check(now: clock.now(), ios: ios)
            #expect(early == .none, "a window is judged only once it has lasted latency_window")
            for _ in 0..<100 { ios += 1; let a = p.completed(latNs: 200_000); #expect(a == .none) }
            clock.advance(by: 50 * ms)
            actions.append(p.check(now: clock.now(), ios: ios))
            depths.append(p.depth)
        }
        #expect(depths == [1, 2, 4, 8, 8, 8])
        #expect(actions == [.none, .none, .none, .drainAndReset, .finish])
    }

    /// A window with more late I/Os than the percentile allows bisects down between the
    /// last good depth and the failing one, and drains the queue first.
    @Test func probeBacksOffBetweenTheLastGoodDepthAndTheFailingOne() {
        let clock = FakeClock(0)
        var p = LatencyProbe(targetNs: 1 * ms, windowNs: 100 * ms, percentile: 90, keepAdjusting: false, maxDepth: 64)
        p.begin(now: 0, ios: 0)
        var ios: UInt64 = 0
        func window(late: Int, of n: Int) -> LatencyProbe.Action {
            for i in 0..<n { ios += 1; _ = p.completed(latNs: i < late ? 5 * ms : 100_000) }
            clock.advance(by: 100 * ms)
            let a = p.check(now: clock.now(), ios: ios)
            // The loop starts the next window once the queue has drained.
            if a == .drain { p.newCycle(now: clock.now(), ios: ios) }
            return a
        }
        for _ in 0..<4 { let a = window(late: 0, of: 100); #expect(a == .none) }   // 1 -> 16
        #expect(p.depth == 16)
        let failed = window(late: 11, of: 100)                         // 89 % < 90 %: 16 fails
        #expect(failed == .drain)
        #expect(p.depth == 12 && p.high == 16 && p.low == 8)
        let passed = window(late: 10, of: 100)                         // exactly 90 % passes: bisect up
        #expect(passed == .none)
        #expect(p.depth == 14 && p.low == 12)
        // No completions in a window is not a success.
        clock.advance(by: 100 * ms)
        let empty = p.check(now: clock.now(), ios: ios)
        #expect(empty == .drain && p.depth == 13)
    }

    /// At the 100th percentile one late I/O backs off at once; at depth 1 it is fatal.
    @Test func hundredthPercentileFailsOnOneLateIO() {
        var p = LatencyProbe(targetNs: 1 * ms, windowNs: 100 * ms, percentile: 100, keepAdjusting: false, maxDepth: 16)
        p.begin(now: 0, ios: 0)
        let atTarget = p.completed(latNs: 1 * ms)
        #expect(atTarget == .none, "at the target is within it")
        let over = p.completed(latNs: 1 * ms + 1)
        #expect(over == .fatal)
        let good = p.check(now: 100 * ms, ios: 10)
        #expect(good == .none && p.depth == 2)
        let late = p.completed(latNs: 2 * ms)
        #expect(late == .drain && p.depth == 1)
    }

    /// latency_run keeps adjusting: a depth that stays put does not end the job.
    @Test func latencyRunNeverSettles() {
        var p = LatencyProbe(targetNs: 1 * ms, windowNs: 10 * ms, percentile: 100, keepAdjusting: true, maxDepth: 2)
        p.begin(now: 0, ios: 0)
        var actions: Set<String> = []
        for i in 1...10 { actions.insert("\(p.check(now: UInt64(i) * 10 * ms, ios: UInt64(i) * 10))") }
        #expect(actions == ["none"] && p.depth == 2)
    }

    /// A job with a target it always meets climbs to its iodepth, runs the last window with
    /// fresh statistics and ends well before its runtime; fio's keys carry the depth found.
    @Test func realRunFindsTheDepthAndEnds() throws {
        let s = Scratch()
        let text = "[lat]\nfilename=DIR/f.dat\nsize=4m\nbs=4k\nrw=randread\niodepth=8\ntime_based\nruntime=30\n"
            + "latency_target=10s\nlatency_window=100ms\nlatency_percentile=99\n"
        let t0 = DispatchTime.now().uptimeNanoseconds
        let out = try Runner.run(try specs(text, in: s), options: quietOptions())
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        #expect(out.errors.isEmpty && !out.interrupted)
        let j = out.result.jobs[0]
        #expect(j.latencyTarget == LatencyTargetFigures(depth: 8, targetNs: 10 * NS.perSecond, windowNs: 100 * ms, percentile: 99))
        // Windows at depths 1, 2, 4, 8, then the last one at 8: about 0.5 s, not 30.
        #expect(seconds < 10, "\(seconds)")
        // The statistics are the last window's: about 100 ms of runtime, at depth 8.
        #expect(j.read.runtimeNs < 2 * NS.perSecond && j.read.ios > 0, "\(j.read.runtimeNs)")
        let json = FioJSON.document(out.result).serialized(indent: 0)
        #expect(json.contains("\"latency_depth\":8,\"latency_target\":10000000000,\"latency_percentile\":99.000000,\"latency_window\":100000"), "latency keys of \(json.count) bytes")
    }

    /// An unreachable target keeps the job at depth 1 (a window that misses at depth 1
    /// changes nothing, as fio), to the end of its runtime.
    @Test func realRunWithAnUnreachableTargetStaysAtDepthOne() throws {
        let s = Scratch()
        let text = "[lat]\nfilename=DIR/f.dat\nsize=4m\nbs=4k\nrw=randread\niodepth=8\ntime_based\nruntime=1\n"
            + "latency_target=1ns\nlatency_window=100ms\nlatency_percentile=50\n"
        let out = try Runner.run(try specs(text, in: s), options: quietOptions())
        #expect(out.errors.isEmpty)
        let j = out.result.jobs[0]
        #expect(j.latencyTarget?.depth == 1 && j.read.ios > 0)
        // Never more than one I/O in flight.
        #expect(j.distributions.depth.dropFirst().allSatisfy { $0 == 0 }, "\(j.distributions.depth)")
    }

    // MARK: steady state

    func monitor(_ text: String, clones: Int = 1) throws -> (SteadyStateMonitor, [JobProgress], [StopToken]) {
        let s = Scratch()
        let jobs = try specs(text, in: s)
        var list: [(spec: JobSpec, reportGroup: Int)] = []
        for (g, j) in jobs.enumerated() { for _ in 0..<j.numjobs { list.append((j, g)) } }
        let progress = list.map { JobProgress(name: $0.spec.name, plannedBytes: 0) }
        let ends = list.map { _ in StopToken() }
        return (SteadyStateMonitor(specs: list, progress: progress, ends: ends)!, progress, ends)
    }

    /// On a fake clock: no sample until ss_ramp plus one second has passed, then one per
    /// second from the counters; a steady window ends the job.
    @Test func monitorSamplesOncePerSecondAfterTheRamp() throws {
        let (m, progress, ends) = try monitor("[j]\nfilename=DIR/f\nss=iops:10%\nss_dur=3\nss_ramp=2\n")
        let clock = FakeClock(5 * NS.perSecond)
        let p = progress[0]
        p.epoch.store(clock.now(), ordering: .relaxed)
        var ios: UInt64 = 0
        // ss_ramp=2: the first two seconds are never sampled; the third second is.
        let perSecond: [UInt64] = [50, 50, 100, 105, 95]
        for (i, n) in perSecond.enumerated() {
            ios += n
            p.publish(ios: ios, 0, bytes: ios * 4096, 0)
            clock.advance(by: NS.perSecond)
            m.tick(now: clock.now())
            if i < 4 { #expect(!ends[0].isSet, "second \(i + 1)") }
        }
        // 100, 105, 95: at most 5 % off the mean of 100.
        #expect(ends[0].isSet)
        let ss = try #require(m.section(0))
        #expect(ss.attained && ss.iops == [100, 105, 95] && ss.bw == [409_600, 430_080, 389_120], "\(ss.iops)")
        #expect(abs(ss.value - 5) < 1e-9 && ss.maxDeviation == 5)
    }

    /// group_reporting: the group's threads' figures are summed and judged once, by the
    /// group's last thread, and every thread of the group ends.
    @Test func monitorJudgesAGroupAsOne() throws {
        let (m, progress, ends) = try monitor("[j]\nfilename=DIR/f\nnumjobs=3\ngroup_reporting\nss=iops_slope:1\nss_dur=2\n")
        #expect(m.section(0) == nil && m.section(1) == nil)
        let clock = FakeClock(NS.perSecond)
        for p in progress { p.epoch.store(clock.now(), ordering: .relaxed) }
        var counts: [UInt64] = [0, 0, 0]
        // Thread 0 speeds up as thread 2 slows down: the group's total stays 300 IOPS.
        for second in 0..<2 {
            let rates: [UInt64] = [100 + UInt64(second) * 40, 100, 100 - UInt64(second) * 40]
            for i in 0..<3 { counts[i] += rates[i]; progress[i].publish(ios: counts[i], 0, bytes: counts[i] * 512, 0) }
            clock.advance(by: NS.perSecond)
            m.tick(now: clock.now())
        }
        let ss = try #require(m.section(2))
        #expect(ss.attained && ss.iops == [300, 300] && ss.slope == 0)
        let allEnded = ends.allSatisfy { $0.isSet }
        #expect(allEnded)
    }

    @Test func threadsNotRunningAreLeftOut() throws {
        let (m, progress, ends) = try monitor("[j]\nfilename=DIR/f\nss=iops:50%\nss_dur=1\n")
        m.tick(now: 10 * NS.perSecond)
        #expect(!ends[0].isSet && m.section(0)?.iops == [0], "not started: no sample")
        progress[0].epoch.store(10 * NS.perSecond, ordering: .relaxed)
        progress[0].finished.store(true, ordering: .relaxed)
        m.tick(now: 11 * NS.perSecond)
        #expect(!ends[0].isSet)
    }

    @Test func steadystateOptionsMustAgreeWithinAReportingGroup() throws {
        let s = Scratch()
        let bad = "[global]\nfilename=DIR/f.dat\nsize=1m\n[a]\nss=iops:10%\nss_dur=5\n[b]\n"
        #expect(throws: BlockLabError.self) { try Runner.prepare(try specs(bad, in: s), options: quietOptions()) }
        _ = try Runner.prepare(try specs(bad.replacingOccurrences(of: "[b]\n", with: "[b]\nnew_group\n"), in: s), options: quietOptions())
    }

    /// A rate-limited job is steady at once: it ends after the window fills, not at its
    /// runtime, with fio's steadystate object.
    @Test func realRunEndsWhenSteady() throws {
        let s = Scratch()
        let text = "[ss]\nfilename=DIR/f.dat\nsize=4m\nbs=4k\nrw=read\ntime_based\nruntime=30\nrate_iops=500\nss=iops:20%\nss_dur=2\n"
        let t0 = DispatchTime.now().uptimeNanoseconds
        let out = try Runner.run(try specs(text, in: s), options: quietOptions())
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        #expect(out.errors.isEmpty && !out.interrupted)
        let ss = try #require(out.result.jobs[0].steadyState)
        // The window's mean is the rate (a busy machine's catch-up moves single samples).
        let mean = ss.iops.isEmpty ? 0 : Double(ss.iops.reduce(0, +)) / Double(ss.iops.count)
        #expect(ss.attained && ss.duration == 2 && mean >= 400 && mean <= 600, "\(ss.iops)")
        #expect(seconds < 10, "\(seconds)")
        let json = FioJSON.document(out.result).serialized(indent: 0)
        #expect(json.contains("\"steadystate\":{\"ss\":\"iops:20.000000%\",\"duration\":2,\"attained\":1,"))
    }
}
