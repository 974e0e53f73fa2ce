import BlockLabCore
import Foundation
import Testing
@testable import Lab

@Suite struct LabPlanTests {
    static let profiles: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/profiles"
    }()

    @Test func theStandardSetIsTheIssuesFiveWorkloads() throws {
        let w = try LabWorkload.load(directory: Self.profiles + "/lab")
        #expect(w.map(\.name) == ["db-70-30", "log-append", "read-4k-qd1", "seq-read-1m", "seq-write-1m"])
        #expect(throws: BlockLabError.self) { try LabWorkload.load(directory: Self.profiles + "/lab", only: ["nope"]) }
        #expect(throws: BlockLabError.self) { try LabWorkload.load(directory: Self.profiles + "/missing") }
    }

    @Test func stepsCoverEveryWorkloadOnEveryTargetAndAlternateOrder() throws {
        var o = LabOptions()
        o.repeats = 2
        let w = try LabWorkload.load(directory: Self.profiles + "/lab", only: ["db-70-30", "read-4k-qd1"])
        let plan = LabPlan(options: o, workloads: w)
        #expect(plan.steps.count == 2 * 6 * 2)
        #expect(Set(plan.steps.map(\.resultName)).count == plan.steps.count)
        // Pass 1 runs the targets in order, pass 2 reversed.
        #expect(plan.steps[0].target.name == "local" && plan.steps[5].target.name == "sc1")
        #expect(plan.steps[12].target.name == "sc1" && plan.steps[17].target.name == "local")
        #expect(plan.steps.filter { $0.repetition == 2 }.count == 12)
    }

    @Test func volumeSpecsTellTheStories() {
        var o = LabOptions()
        #expect(o.volumeSpec(type: "gp2") == "gp2:size=500g,burst-balance=0.05%")
        #expect(o.volumeSpec(type: "io2") == "io2:size=500g,iops=16000")
        #expect(o.volumeSpec(type: "st1") == "st1:size=500g")
        o.volumeSizeGiB = 100
        #expect(o.volumeSpec(type: "io2") == "io2:size=100g,iops=5000")
        o.mode = .full
        #expect(o.volumeSpec(type: "gp2") == "gp2:size=100g,burst-balance=0.17%")
    }

    @Test func outsideNumbersAreRangeChecked() {
        var o = LabOptions()
        o.volumeSizeGiB = 0
        #expect(throws: BlockLabError.self) { try o.validate() }
        o = LabOptions(); o.runtimeSeconds = 0
        #expect(throws: BlockLabError.self) { try o.validate() }
        o = LabOptions(); o.repeats = 1000
        #expect(throws: BlockLabError.self) { try o.validate() }
        o = LabOptions(); o.volumes = ["gp3:size=1g"]
        #expect(throws: BlockLabError.self) { try o.validate() }
        o = LabOptions(); o.fileBytes = 4096
        #expect(throws: BlockLabError.self) { try o.validate() }
        #expect(throws: Never.self) { try LabOptions().validate() }
    }

    @Test func etaUsesWhatTheRunsSoFarTook() {
        let eta = LabETA(runtimeSeconds: 3, fixedSeconds: 10)
        #expect(eta.remainingSeconds(done: 0, total: 10, elapsedNs: 0) == 10 * 4 + 10)
        // Two runs took 5 s each: eight left at 5 s.
        #expect(eta.remainingSeconds(done: 2, total: 10, elapsedNs: 10_000_000_000) == 8 * 5 + 10)
        #expect(LabETA.format(seconds: 132) == "2m12s" && LabETA.format(seconds: 9.2) == "10s")
    }
}

/// A stand-in for `blocklab run`: writes a small fio-shaped result per run, or reports an
/// interruption at a chosen run, as Ctrl-C would.
final class FakeExecutor: LabExecutor {
    var runs: [LabRun] = []
    var interruptAt: Int?
    var failAt: Int?

    func check(_ run: LabRun) throws {
        if run.volume?.hasPrefix("bad") == true { throw BlockLabError.usage("--volume: unknown volume type 'bad'") }
    }

    func run(_ run: LabRun) throws -> Int32 {
        runs.append(run)
        let n = runs.count
        if n == failAt { return 1 }
        let iops = Double(1000 * n)
        let doc = """
            {"fio version": "blocklab-test", "jobs": [{"jobname": "x", "groupid": 0, "job_runtime": 1000,
             "usr_cpu": 1, "sys_cpu": 1,
             "read": {"io_bytes": 4096000, "total_ios": 1000, "iops": \(iops), "bw_bytes": \(iops * 4096), "runtime": 1000,
                      "lat_ns": {"mean": 1000}, "clat_ns": {"mean": 900, "percentile": {"99.000000": 2000}}},
             "write": {"io_bytes": 0, "total_ios": 0, "iops": 0, "bw_bytes": 0, "runtime": 0, "lat_ns": {"mean": 0}, "clat_ns": {"mean": 0}}}]}
            """
        try AtomicFile.write(doc, to: run.outputPath)
        return n == interruptAt ? 130 : 0
    }
}

@Suite struct LabRunnerTests {
    func runner(_ exec: FakeExecutor, dir: String) throws -> LabRunner {
        var o = LabOptions()
        o.volumes = ["gp3", "st1"]
        let w = try LabWorkload.load(directory: LabPlanTests.profiles + "/lab", only: ["db-70-30", "read-4k-qd1"])
        return LabRunner(plan: LabPlan(options: o, workloads: w), directory: dir, file: dir + "/lab.dat", executor: exec,
                         baseEnvironment: [:], note: { _ in })
    }

    func scratch() -> String {
        let d = NSTemporaryDirectory() + "lab-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func manifest(_ dir: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/lab.json"))) as? [String: Any])
    }

    @Test func everyStepRunsWithTheLabsEnvironmentAndLandsInTheManifest() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exec = FakeExecutor()
        let r = try runner(exec, dir: dir)
        try r.runAll()
        #expect(exec.runs.count == 6)
        #expect(exec.runs[0].environment["LAB_FILE"] == dir + "/lab.dat")
        #expect(exec.runs[0].environment["LAB_RUNTIME"] == "3")
        #expect(exec.runs[0].volume == nil && exec.runs[1].volume == "gp3:size=500g")
        let m = try manifest(dir)
        #expect(m["complete"] as? Bool == true && m["interrupted"] as? Bool == false)
        let steps = try #require(m["steps"] as? [[String: Any]])
        #expect(steps.count == 6 && steps.allSatisfy { $0["status"] as? String == "done" })
        #expect(steps[2]["iops"] as? Double == 3000)
        #expect(r.matrix().contains("3000 IOPS"))
    }

    @Test func anInterruptedRunStopsTheLabAndTheManifestSaysWhatWasDone() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exec = FakeExecutor()
        exec.interruptAt = 3
        let r = try runner(exec, dir: dir)
        try r.runAll()
        #expect(exec.runs.count == 3)
        #expect(r.interrupted)
        let m = try manifest(dir)
        #expect(m["interrupted"] as? Bool == true && m["complete"] as? Bool == false)
        let status = (m["steps"] as? [[String: Any]] ?? []).map { $0["status"] as? String ?? "" }
        #expect(status == ["done", "done", "interrupted", "pending", "pending", "pending"])
        // Finished results stay where they are.
        #expect(FileManager.default.fileExists(atPath: dir + "/db-70-30--local.json"))
    }

    @Test func aFailedRunIsRecordedAndTheLabGoesOn() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exec = FakeExecutor()
        exec.failAt = 2
        let r = try runner(exec, dir: dir)
        try r.runAll()
        #expect(exec.runs.count == 6)
        #expect(r.records[1].status == .failed && r.records[1].message != nil)
        #expect(r.records.filter { $0.status == .done }.count == 5)
    }

    @Test func checkingNamesTheStepThatWouldFail() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = LabOptions()
        o.volumes = ["bad"]
        let w = try LabWorkload.load(directory: LabPlanTests.profiles + "/lab", only: ["db-70-30"])
        let r = LabRunner(plan: LabPlan(options: o, workloads: w), directory: dir, file: dir + "/f", executor: FakeExecutor(),
                          baseEnvironment: [:], note: { _ in })
        #expect { try r.checkAll() } throws: { ($0 as? BlockLabError)?.description.contains("db-70-30 on bad") == true }
    }
}
