import BlockLabCore
import Foundation
import Testing
@testable import Metrics

/// fio's steady-state arithmetic (steadystate.c) on known series, and its JSON.
@Suite struct SteadyStateTests {
    func detector(iops: Bool, slope: Bool, limit: Double, percent: Bool, seconds: Int) -> SteadyStateDetector {
        SteadyStateDetector(SteadyStateCriterion(iops: iops, slope: slope, limit: limit, percent: percent, seconds: seconds))
    }

    /// fio 3.33's own figures for a 3 s bw_slope:0.5% window (from a real fio run): slope
    /// 449219.5 B/s per second, 0.428462 % of the (integer) mean.
    @Test func bandwidthSlopeMatchesFio() {
        var d = detector(iops: false, slope: true, limit: 0.5, percent: true, seconds: 3)
        let bw: [UInt64] = [104_520_090, 104_595_584, 105_418_529], iops: [UInt64] = [25517, 25535, 25736]
        let first = d.add(iops: iops[0], bw: bw[0]), second = d.add(iops: iops[1], bw: bw[1])
        #expect(!first && !second)
        let third = d.add(iops: iops[2], bw: bw[2])
        #expect(third)
        #expect(d.slope == 449_219.5)
        let s = d.section
        #expect(s.attained && s.bw == bw && s.iops == iops && s.bwMean == 104_844_734 && s.iopsMean == 25596)
        let json = s.json.serialized(indent: 0)
        #expect(json.contains("\"ss\":\"bw_slope:0.500000%\""), "\(json)")
        #expect(json.contains("\"criterion\":\"0.428462%\""), "\(json)")
        #expect(json.contains("\"attained\":1") && json.contains("\"duration\":3"))
        // fio 3.33's line for this window, character for character.
        #expect(s.line == "  steadystate  : attained=yes, bw=100.0MiB/s (102MB/s), iops=25.6k, bw slope=0.428%\n", "\(s.line)")
    }

    /// fio's iops_slope:20 over 2 s: [997, 1003] has slope 6 (absolute criterion).
    @Test func absoluteIOPSSlope() {
        var d = detector(iops: true, slope: true, limit: 20, percent: false, seconds: 2)
        d.add(iops: 997, bw: 4_084_144)
        let steady = d.add(iops: 1003, bw: 4_112_157)
        #expect(steady)
        #expect(d.slope == 6 && d.value == 6)
        #expect(d.section.json.serialized(indent: 0).contains("\"criterion\":\"6.000000\""))
        #expect(d.section.json.serialized(indent: 0).contains("\"ss\":\"iops_slope:20.000000\""))
        #expect(d.section.line == "  steadystate  : attained=yes, bw=4002KiB/s (4002kB/s), iops=1000, iops slope=6.000\n", "\(d.section.line)")
    }

    /// The largest deviation from the window's mean: 50 % while the 200 is in the window,
    /// 0 once three equal seconds follow it.
    @Test func meanDeviationWindowSlides() {
        var d = detector(iops: true, slope: false, limit: 10, percent: true, seconds: 3)
        var verdicts: [Bool] = []
        for v: UInt64 in [100, 100, 200, 100, 100] {
            verdicts.append(d.add(iops: v, bw: v * 4096))
            if verdicts.count >= 3 { #expect(abs(d.value - 50) < 1e-9 && abs(d.deviation - 200.0 / 3) < 1e-9, "\(d.value)") }
        }
        #expect(verdicts == [false, false, false, false, false])
        let steady = d.add(iops: 100, bw: 409_600)
        #expect(steady)
        #expect(d.value == 0 && d.section.iops == [100, 100, 100] && d.section.json.serialized(indent: 0).contains("\"criterion\":\"0.000000%\""))
    }

    /// The running sums fio updates per sample give the least-squares slope of the window
    /// (checked against a direct fit), and the window is reported oldest first.
    @Test func slidingSumsGiveTheWindowsLeastSquaresSlope() {
        var d = detector(iops: true, slope: true, limit: 0, percent: false, seconds: 5)
        var series: [UInt64] = []
        var x: UInt64 = 12345
        for _ in 0..<40 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let v = 1000 + (x >> 33) % 500
            series.append(v)
            let steady = d.add(iops: v, bw: v)
            #expect(!steady)
            guard series.count >= 5 else { continue }
            let w = series.suffix(5).map { Double($0) }
            let mx = 2.0, my = w.reduce(0, +) / 5
            let direct = zip(0..<5, w).map { (Double($0) - mx) * ($1 - my) }.reduce(0, +) / 10
            #expect(abs(d.slope - direct) < 1e-6, "\(d.slope) vs \(direct) \(w)")
            #expect(d.section.iops == series.suffix(5).map { $0 })
        }
        #expect(!d.section.attained && d.section.duration == 5)
    }

    @Test func groupResultKeepsTheSectionOfTheThreadThatHeldTheSamples() {
        var a = JobResult(name: "g"), b = JobResult(name: "g")
        var d = detector(iops: true, slope: false, limit: 10, percent: true, seconds: 1)
        d.add(iops: 5, bw: 5)
        b.steadyState = d.section
        b.latencyTarget = LatencyTargetFigures(depth: 4, targetNs: 1000, windowNs: 2000, percentile: 99)
        let merged = JobResult.merge([a, b], name: "g")
        #expect(merged.steadyState == d.section && merged.latencyTarget?.depth == 4)
        a.steadyState = nil
        let json = FioJSON.document(RunResult(jobs: [merged], timestampMs: 0)).serialized(indent: 0)
        // fio 3.33's order: the latency_* keys, then steadystate (then BlockLab's own key).
        #expect(json.contains("\"latency_depth\":4,\"latency_target\":1000,\"latency_percentile\":99.000000,\"latency_window\":2,\"steadystate\":{\"ss\":"), "\(json)")
        let plain = FioJSON.document(RunResult(jobs: [a], timestampMs: 0)).serialized(indent: 0)
        #expect(!plain.contains("steadystate") && plain.contains("\"latency_depth\":1,\"latency_target\":0,\"latency_percentile\":100.000000,\"latency_window\":0,"))
    }
}
