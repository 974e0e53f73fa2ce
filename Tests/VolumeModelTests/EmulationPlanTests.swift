import BlockLabCore
import JobSpec
import Metrics
import Testing
@testable import VolumeModel

/// The emulation plan: each spec parsed and resolved once, volumes shared by target, and
/// everything checked before a shaper exists.
@Suite struct EmulationPlanTests {
    func job(_ name: String, file: String?, volume: String?, instance: String? = nil, bs: UInt32 = 4096,
             numjobs: Int = 1, size: UInt64? = 1 << 20) -> JobSpec {
        var j = JobSpec(name: name, origin: "t.fio")
        j.filename = file
        j.volume = volume
        j.instance = instance
        j.blockSize = [.fixed(bs), .fixed(bs)]
        j.numjobs = numjobs
        j.size = size
        return j
    }

    @Test func jobsOnOneTargetShareOneVolumeResolvedOnce() throws {
        let spec = "gp2:size=100g,burst-balance=5%"
        let jobs = [job("fill", file: "/t/v.dat", volume: spec, bs: 1 << 20),
                    job("read", file: "/t/v.dat", volume: spec, numjobs: 2),
                    job("other", file: "/t/w.dat", volume: spec),
                    job("plain", file: "/t/p.dat", volume: nil)]
        let plan = try EmulationPlan(jobs: jobs, store: store)
        #expect(plan.resolutions == 1)
        #expect(plan.volumes.count == 2)
        #expect(plan.volumes[0].jobs == [0, 1] && plan.volumes[0].threads == 3 && plan.volumes[0].largestIO == 1 << 20)
        #expect(plan.volumeOfJob == [0, 0, 1, nil])
        let shapers = try plan.shapers(regionEnds: [1 << 20, 1 << 20, 1 << 20, 1 << 20], clock: FakeClock())
        #expect(shapers.count == 4 && shapers[3] == nil)
        #expect(shapers[0] as AnyObject === shapers[1] as AnyObject)
        #expect(shapers[0] as AnyObject !== shapers[2] as AnyObject)
    }

    @Test func badSpecsAndRegionsFailBeforeAnyShaper() throws {
        #expect(usageMessage { _ = try EmulationPlan(jobs: [job("a", file: "/x", volume: nil, instance: "m5.large")], store: store) }
            .contains("give --volume too"))
        #expect(usageMessage { _ = try EmulationPlan(jobs: [job("a", file: "/x", volume: "gp3:size=1g", size: 2 << 30)], store: store) }
            .contains("lies outside the emulated gp3 volume"))
        #expect(usageMessage { _ = try EmulationPlan(jobs: [job("a", file: "/x", volume: "gp9:size=1g")], store: store) } != "")
        #expect(usageMessage { _ = try EmulationPlan(jobs: [job("a", file: "/x", volume: "gp3:size=1g", instance: "m9.nope")], store: store) } != "")
        let message = usageMessage {
            let plan = try EmulationPlan(jobs: [job("a", file: "/x", volume: "gp3:size=1g", size: nil)], store: store)
            _ = try plan.shapers(regionEnds: [2 << 30], clock: FakeClock())
        }
        #expect(message.contains("beyond the emulated gp3 volume"))
    }

    @Test func simulateResolvesItsSpecOnceThroughThePlan() throws {
        var request = SimulateRequest(jobs: try SimulateRequest.parseJobs(
            arguments: ["--name=a", "--rw=randread", "--bs=16k", "--runtime=10s", "--name=b", "--rw=read", "--bs=1m", "--runtime=10s"],
            environment: [:], volume: nil), volume: "st1:size=500g", instance: "m5.large", json: false,
            intervalNs: 5 * S, store: store)
        let plan = try request.plan()
        #expect(plan.resolutions == 1 && plan.volumes.count == 1 && plan.volumes[0].largestIO == 1 << 20)
        request.json = true
        let result = try request.simulate()
        #expect(!result.table().isEmpty)
    }
}

extension EmulationPlanTests {
    /// A run far below its emulated envelope at a queue deep enough to reach it measured
    /// the host: the plan marks the result and says so; a plain job is left alone.
    @Test func aRunThatNeverReachedTheEnvelopeIsMarkedHostBound() throws {
        var deep = job("deep", file: "/t/v.dat", volume: "gp3:size=100g,iops=16000")
        deep.iodepth = 64
        let plan = try EmulationPlan(jobs: [deep, job("plain", file: "/t/p.dat", volume: nil)], store: store)
        _ = try plan.shapers(regionEnds: [1 << 20, 1 << 20], clock: FakeClock())
        var slow = JobResult(name: "deep")
        slow.specIndex = 0
        slow.jobRuntimeNs = 10 * S
        slow.read.ios = 1000
        slow.read.runtimeNs = 10 * S
        var plain = slow
        plain.specIndex = 1
        var run = RunResult(jobs: [slow, plain], timestampMs: 0)
        let warnings = plan.markHostBound(&run)
        #expect(run.jobs[0].hostBound != nil && run.jobs[1].hostBound == nil, "\(warnings)")
        #expect(warnings.count == 1 && warnings[0].contains("deep"))
    }
}
