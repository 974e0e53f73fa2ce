import BlockLabCore
import Testing
@testable import Metrics

extension SplitMix64 {
    /// Log-uniform-ish latency between 100 ns and ~50 ms.
    mutating func latency() -> UInt64 {
        let exp = Double(next() % 1_000_000) / 1_000_000 * 13 // e^13 ~ 442k
        return UInt64(100 * _exp(exp))
    }
    private func _exp(_ x: Double) -> Double {
        var r = 1.0, t = 1.0
        for i in 1..<60 { t *= x / Double(i); r += t }
        return r
    }
}

func exactPercentile(_ sorted: [UInt64], _ p: Double) -> UInt64 {
    let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
    return sorted[min(rank, sorted.count) - 1]
}

@Suite struct LatencyStatsTests {
    @Test func percentilesWithinOnePercentOfExact() {
        var rng = SplitMix64(seed: 42)
        var s = LatencyStats()
        var values: [UInt64] = []
        for _ in 0..<50_000 {
            let v = rng.latency()
            values.append(v)
            s.record(v)
        }
        values.sort()
        for p in fioDefaultPercentiles {
            let exact = Double(exactPercentile(values, p))
            let got = Double(s.percentile(p))
            #expect(abs(got - exact) <= exact * 0.01, "p\(p): got \(got), exact \(exact)")
        }
    }

    @Test func minMaxMeanStddevAreExact() {
        var rng = SplitMix64(seed: 7)
        var s = LatencyStats()
        var values: [UInt64] = []
        for _ in 0..<10_000 {
            let v = rng.latency()
            values.append(v)
            s.record(v)
        }
        let n = Double(values.count)
        let mean = Double(values.reduce(0, +)) / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        #expect(s.count == UInt64(values.count))
        #expect(s.min == values.min()!)
        #expect(s.max == values.max()!)
        #expect(abs(s.mean - mean) <= mean * 1e-12)
        #expect(abs(s.stddev - variance.squareRoot()) <= variance.squareRoot() * 1e-9)
    }

    @Test func mergeEqualsRecordingEverything() {
        var rng = SplitMix64(seed: 9)
        var a = LatencyStats(), b = LatencyStats(), all = LatencyStats()
        for i in 0..<20_000 {
            let v = rng.latency()
            if i % 3 == 0 { a.record(v) } else { b.record(v) }
            all.record(v)
        }
        a.merge(b)
        #expect(a.count == all.count)
        #expect(a.min == all.min && a.max == all.max && a.sum == all.sum)
        #expect(abs(a.stddev - all.stddev) <= all.stddev * 1e-9)
        for p in fioDefaultPercentiles { #expect(a.percentile(p) == all.percentile(p)) }
    }

    @Test func valuesBeyondOneHourKeepExactMax() {
        var s = LatencyStats()
        s.record(5)
        s.record(LatencyStats.highestTrackableNs * 3)
        #expect(s.max == LatencyStats.highestTrackableNs * 3 && s.min == 5)
        #expect(s.percentile(99) <= s.max && s.percentile(99) >= LatencyStats.highestTrackableNs * 99 / 100)
        #expect(s.percentile(1) == 5) // values below 256 are exact
    }

    @Test func emptyStatsAreZero() {
        let s = LatencyStats()
        #expect(s.mean == 0 && s.stddev == 0 && s.percentile(99) == 0)
    }
}

@Suite struct JobRecorderTests {
    let ms = NS.perMillisecond

    @Test func windowsSampleIOPSAndBandwidth() {
        let start: UInt64 = 1_000_000_000
        let r = JobRecorder(startNs: start, sampleWindowNs: 500 * ms, maxDepth: 4)
        // Window 0: 100 reads of 4 KiB; window 1: none (a stall); window 2: 300 reads.
        for i in 0..<100 {
            r.recordCompletion(.read, bytes: 4096, slatNs: 10, clatNs: 1000, latNs: 1010, now: start + UInt64(i) * ms)
        }
        r.tick(now: start + 600 * ms)
        for i in 0..<300 {
            r.recordCompletion(.read, bytes: 4096, slatNs: 10, clatNs: 1000, latNs: 1010, now: start + 1000 * ms + UInt64(i) * ms)
        }
        let job = r.finish(name: "w", endNs: start + 1500 * ms, cpu: CPUUsage())
        let read = job.read
        #expect(read.windowIOs == [100, 0, 300])
        let iops = read.iopsSamples
        #expect(iops.samples == 3)
        #expect(iops.min == 0)
        #expect(iops.max == 600) // 300 I/Os in 0.5 s
        #expect(abs(iops.mean - 800.0 / 3) < 1e-9)
        #expect(read.bwSamples.max == 600 * 4096)
        #expect(read.runtimeNs == 1500 * ms)
        #expect(abs(read.iops - 400.0 / 1.5) < 1e-9)
        // No writes: no samples and no runtime, as fio.
        #expect(job.write.iopsSamples.samples == 0 && job.write.runtimeNs == 0)
    }

    @Test func shortTailWindowIsDroppedLongTailIsScaled() {
        let r = JobRecorder(startNs: 0, sampleWindowNs: 500 * ms, maxDepth: 1)
        for i in 0..<10 { r.recordCompletion(.write, bytes: 512, slatNs: 0, clatNs: 5, latNs: 5, now: UInt64(i) * 10 * ms) }
        r.recordCompletion(.write, bytes: 512, slatNs: 0, clatNs: 5, latNs: 5, now: 510 * ms)
        let short = r.finish(name: "a", endNs: 600 * ms, cpu: CPUUsage())
        #expect(short.write.windowIOs == [10])

        let r2 = JobRecorder(startNs: 0, sampleWindowNs: 500 * ms, maxDepth: 1)
        r2.recordCompletion(.write, bytes: 512, slatNs: 0, clatNs: 5, latNs: 5, now: 100 * ms)
        for _ in 0..<30 { r2.recordCompletion(.write, bytes: 512, slatNs: 0, clatNs: 5, latNs: 5, now: 700 * ms) }
        let long = r2.finish(name: "b", endNs: 800 * ms, cpu: CPUUsage())
        #expect(long.write.windowIOs == [1, 30])
        #expect(long.write.windowNs == [500 * ms, 300 * ms])
        #expect(long.write.iopsSamples.max == 100) // 30 I/Os over 0.3 s
    }

    @Test func intervalsArePerIntervalNotCumulative() {
        let r = JobRecorder(startNs: 0, maxDepth: 1)
        for i in 0..<10 { r.recordCompletion(.read, bytes: 4096, slatNs: 0, clatNs: 100, latNs: 100 + UInt64(i), now: UInt64(i) * ms) }
        let a = r.takeInterval(now: 1000 * ms)
        r.recordCompletion(.write, bytes: 8192, slatNs: 0, clatNs: 100, latNs: 300, now: 1100 * ms)
        let b = r.takeInterval(now: 2000 * ms)
        #expect(a.ios == [10, 0] && a.bytes == [40960, 0] && a.meanLatNs == [104, 0])
        #expect(a.startNs == 0 && a.endNs == 1000 * ms)
        #expect(b.ios == [0, 1] && b.bytes == [0, 8192] && b.meanLatNs == [0, 300])
        #expect(b.startNs == 1000 * ms && b.relativeStartNs == 1000 * ms)
        #expect(b.iops(.write) == 1)
    }

    @Test func distributionsFollowFioBuckets() {
        let r = JobRecorder(startNs: 0, maxDepth: 64)
        for d in [1, 2, 3, 4, 8, 16, 32, 64, 200] { r.recordDepth(d) }
        r.recordCompletionsPerWait(4)
        r.recordCompletionsPerWait(2)
        r.recordSubmitBatch(4)
        r.recordCompletion(.read, bytes: 1, slatNs: 0, clatNs: 500, latNs: 500, now: 1)      // ns "750"
        r.recordCompletion(.read, bytes: 1, slatNs: 0, clatNs: 15_000, latNs: 1, now: 1)     // us "20"
        r.recordCompletion(.read, bytes: 1, slatNs: 0, clatNs: 3_000_000_000, latNs: 1, now: 1) // ms ">=2000"
        let j = r.finish(name: "d", endNs: 10, cpu: CPUUsage())
        #expect(j.distributions.depth == [1, 2, 1, 1, 1, 1, 2])
        #expect(j.distributions.complete == [0, 2, 0, 0, 0, 0, 0])
        #expect(j.distributions.submit == [0, 1, 0, 0, 0, 0, 0])
        #expect(j.distributions.completionsPerWait == 3)
        #expect(j.distributions.latencyNs[8] == 1)
        #expect(j.distributions.latencyUs[3] == 1)
        #expect(j.distributions.latencyMs[11] == 1)
    }
}
