import BlockLabCore
import JobSpec
import Metrics
import Testing
import VolumeModel
@testable import Engine

/// Short real runs through the engine with an emulated volume. Tolerances are loose (a
/// loaded 2-core machine): these check that the engine honours the shaper, not its timing.
/// Nested in EngineRunTests so they run serialized with it: its interrupt test raises a
/// SIGINT that would stop any run in progress.
extension EngineRunTests {
    @Suite struct ShapedRunTests {
        static let store: ProfileStore = {
            var path = #filePath
            for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
            return ProfileStore(directory: path + "/profiles")
        }()

        /// A time-based random-read job on a laid-out file, run under `shaper`.
        func run(_ shaper: VolumeShaper, bs: UInt32, depth: Int, seconds: Double, fileSize: UInt64 = 16 << 20,
                 series: Bool = false, rateIOPS: UInt64? = nil) throws -> RunOutput {
            let s = Scratch()
            _ = try Target.layOut(path: s.file("v.dat"), size: fileSize, what: "test")
            var spec = job("shaped", file: s.file("v.dat"), rw: .randread, bs: bs, size: nil, depth: depth)
            spec.rateIOPS = [rateIOPS, nil]
            spec.timeBased = true
            spec.runtimeNs = UInt64(seconds * 1e9)
            var options = quietOptions()
            if series { options.seriesIntervalNs = 250 * NS.perMillisecond }
            let out = try Runner.run(try Runner.prepare([spec], options: options), shapers: [shaper], options: options)
            #expect(out.errors.isEmpty)
            #expect(!out.interrupted)
            return out
        }

        func shaper(_ volume: String, instance: String? = nil) throws -> VolumeShaper {
            let v = try VolumeSpec.parse(volume).resolve(in: Self.store)
            let now = SystemClock.shared.now()
            return VolumeShaper(volume: v, instance: try instance.map { InstanceLimits(profile: try Self.store.instance(named: $0), epoch: now) },
                                epoch: now)
        }

        @Test func gp3DeepQueueRunsAtItsProvisionedIOPS() throws {
            let out = try run(try shaper("gp3:size=100g"), bs: 4096, depth: 32, seconds: 2)
            let iops = out.result.jobs[0].read.iops
            #expect(abs(iops - 3000) < 3000 * 0.15, "gp3 at depth 32 gave \(iops) IOPS")
        }

        /// fio's split on a throttled volume: a real gp3 queues I/Os beyond its IOPS after
        /// they are submitted, so fio sees the wait in clat; the emulation must too.
        @Test func throttleWaitIsCompletionLatencyAsOnARealVolume() throws {
            let out = try run(try shaper("gp3:size=100g"), bs: 4096, depth: 32, seconds: 1.5)
            let r = out.result.jobs[0].read
            // 32 in flight at 3,000 IOPS: about 10.7 ms each, nearly all of it queueing.
            #expect(r.clat.mean > 5e6, "clat mean \(r.clat.mean) ns")
            #expect(r.slat.mean < r.clat.mean / 10, "slat mean \(r.slat.mean) ns")
            #expect(abs(r.lat.mean - (r.slat.mean + r.clat.mean)) < r.lat.mean * 0.01)
            // No rate: BlockLab's latency from due is fio's lat.
            #expect(r.latFromDue.count == r.lat.count && r.latFromDue.mean == r.lat.mean)
        }

        /// Under a rate the target cannot keep, fio's lat (from when the rate let an I/O go)
        /// stays at the device's latency while I/Os fall further behind; BlockLab's latency
        /// from due shows the backlog.
        @Test func aRateTheVolumeCannotKeepShowsInLatencyFromDueOnly() throws {
            let s = try shaper("gp3:size=100g")
            let out = try run(s, bs: 4096, depth: 1, seconds: 1.2, rateIOPS: 3 * UInt64(1e9 / s.latency.meanNs))
            let r = out.result.jobs[0].read
            #expect(r.latFromDue.count == r.lat.count)
            #expect(r.lat.mean < 3 * s.latency.meanNs, "lat mean \(r.lat.mean) ns, model \(s.latency.meanNs)")
            // After 1.2 s at a third of the rate, the last I/Os are about 0.8 s late.
            #expect(r.latFromDue.max > 300_000_000, "latency from due at most \(r.latFromDue.max) ns")
            #expect(r.latFromDue.mean > 10 * r.lat.mean)
        }

        /// Up to `attempts` runs until `body` says one was right (nil), else every attempt's
        /// message. A run shares two cores with the other suites' processes: when they starve
        /// its thread, wake-ups come late and a timed figure falls short of the model though
        /// the shaper is right. A broken shaper fails every attempt.
        func anyOf(_ attempts: Int, _ body: () throws -> String?) throws {
            var failures: [String] = []
            for _ in 0..<attempts {
                guard let failure = try body() else { return }
                failures.append(failure)
            }
            Issue.record("every attempt failed: \(failures.joined(separator: "; "))")
        }

        @Test func depthOneIsHeldNearOneOverTheModelledLatency() throws {
            try anyOf(3) {
                let s = try shaper("gp3:size=100g")
                let out = try run(s, bs: 4096, depth: 1, seconds: 1.5)
                let iops = out.result.jobs[0].read.iops
                let expected = 1e9 / s.latency.meanNs
                guard abs(iops - expected) < expected * 0.3 else { return "depth 1 gave \(iops) IOPS, model \(expected)" }
                // And the run is not called host-bound at its depth.
                let r = out.result.jobs[0]
                return s.hostBound(observedIOPS: iops, observedBytesPerSec: r.read.bwBytesPerSec, elapsedNs: r.jobRuntimeNs, iodepth: 1)
            }
        }

        @Test func gp2BurstsThenFallsToBaselineWhenCreditsRunOut() throws {
            // 0.05 % of 5.4 M credits = 2,700: at 3,000 IOPS they last 2,700 / 2,700 = 1 s.
            let s = try shaper("gp2:size=100g,burst-balance=0.05%")
            let out = try run(s, bs: 4096, depth: 16, seconds: 2.5, series: true)
            guard case .array(let buckets)? = s.summary(now: SystemClock.shared.now())["credit_buckets"],
                  case .array(let eps)? = buckets.first?["episodes"], case .uint(let empty)? = eps.first?["empty_ns"] else {
                Issue.record("no credit episode"); return
            }
            #expect(empty > 700_000_000 && empty < 1_400_000_000, "credits ran out at \(empty) ns")
            // The result carries the same story, typed, and the readable report tells it.
            let volume = try #require(out.result.jobs[0].volume)
            #expect(volume.type == "gp2" && volume.sizeGiB == 100 && volume.throttledNs > 500_000_000)
            let credits = try #require(volume.credits.first)
            #expect(abs((credits.startPercent ?? -1) - 0.05) < 0.001 && (credits.endPercent ?? 100) < 1)
            #expect(credits.emptyAtNs.first.map { $0 > 700_000_000 && $0 < 1_400_000_000 } == true)
            let text = NormalReport.render(out.result)
            #expect(text.contains("volume       : gp2 100 GiB") && text.contains("volume credits: 0.1% at start") && text.contains("ran empty at"),
                    "\(text)")
            // About 3,000 I/Os in the first second, then 300 IOPS.
            let ios = out.result.jobs[0].read.ios
            #expect(ios > 2_900 && ios < 4_400, "\(ios) I/Os")
            // The series shows it: early intervals near 3,000 IOPS, late ones near 300.
            let iops = out.series.compactMap { line -> Double? in
                guard let r = line.range(of: "\"read\":{\"iops\":") else { return nil }
                return Double(line[r.upperBound...].prefix { $0 != "," && $0 != "}" })
            }
            #expect(iops.count >= 8)
            if iops.count >= 8 {
                #expect(iops[1] > 2000, "\(iops)")
                #expect(iops[iops.count - 2] < 600, "\(iops)")
            }
        }

        @Test func instanceLimitBelowTheVolumeCapsTheRun() throws {
            // io2 at 20,000 IOPS (≈ 4,000 MiB/s) on a t3.micro (260.62 MB/s): 1 MiB reads get the instance's bandwidth.
            try anyOf(3) {
                let s = try shaper("io2:size=100g,iops=20000", instance: "t3.micro")
                let out = try run(s, bs: 1 << 20, depth: 16, seconds: 1.5, fileSize: 64 << 20)
                let bw = out.result.jobs[0].read.bwBytesPerSec
                let cap = Double(s.instance!.profile.maxBytesPerSec)
                #expect(Double(s.volume.peakBytesPerSec!) > 2 * cap)
                // Never above the instance's cap; at it, unless the host starved the run.
                #expect(bw < cap * 1.15, "\(bw) B/s under a \(cap) B/s instance")
                return abs(bw - cap) < cap * 0.15 ? nil : "\(bw) B/s under a \(cap) B/s instance"
            }
        }
    }
}
