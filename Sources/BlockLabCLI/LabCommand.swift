import ArgumentParser
import BlockLabCore
import CSupport
import Foundation
import Glibc
import Lab
import Recommend
import VolumeModel

struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "The EBS-versus-instance-store experiment: standard workloads on the local disk and emulated volumes, snapshots, a summary.",
        discussion: """
        Runs profiles/lab/*.fio on the local target (standing for instance store) and on
        emulated gp2, gp3, io2, st1 and sc1 volumes of one size, then a snapshot experiment on a
        pool volume. Every result, and lab.json saying what was done, goes under one directory
        in results/. Ctrl-C stops it and keeps everything finished.
          blocklab lab --quick
          blocklab lab --full --volumes gp3,io2 --size 1000 --instance m6i.large
          blocklab lab --target /dev/nvme1n1 --allow-destructive
        """)

    @Flag(help: "quick: 3 s per run (make demo); full: 10 s runs, 6 repetitions (enough for confidence intervals).") var mode: LabMode = .quick

    @Option(help: "A device or file to run on (default: a scratch file, removed afterwards).") var target: String?

    @Option(help: "Volume types to emulate, comma-separated.") var volumes = "gp2,gp3,io2,st1,sc1"

    @Option(help: "Size of every emulated volume in GiB.") var size: UInt64 = 500

    @Option(help: "Apply an instance's EBS limits to the emulated volumes, e.g. m6i.large.") var instance: String?

    @Option(help: "Workloads to run (names of profiles/lab/*.fio), comma-separated.") var workloads: String?

    @Option(help: "Seconds per run (default: 3 quick, 10 full).") var runtime: UInt64?

    @Option(name: .customLong("repeat"), help: "Repetitions of every run (default: 1 quick, 6 full).") var repeats: Int?

    @Option(name: .customLong("file-size"), help: "Bytes each run works on, e.g. 1g (default: 256m quick, 4g full).") var fileSize: String?

    @Flag(name: .customLong("no-snapshots"), help: "Skip the snapshot experiment.") var noSnapshots = false

    @Option(help: "Profiles directory (default: profiles/ next to the binary, or in the current directory).") var profiles: String?

    @Option(name: .customLong("results-dir"), help: "The run directory is created in here.") var resultsDir = "results"

    @Flag(name: .customLong("allow-destructive"), help: "Allow writing to a block device that is mounted or holds data.") var allowDestructive = false

    @Flag(name: .customLong("dry-run"), help: "Check and print the plan without any I/O.") var dryRun = false

    @Option(name: .customLong("need-iops"), help: "The database-like workload's need the recommendation meets (16 KiB, 70 % reads, random).") var needIOPS: UInt64 = 6000

    @Option(name: .customLong("need-latency"), help: "Its p99 latency target.") var needLatency = "10ms"

    func options() throws -> LabOptions {
        var o = LabOptions()
        o.mode = mode
        o.volumes = volumes.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        if volumes.trimmingCharacters(in: .whitespaces).isEmpty { o.volumes = [] }
        o.volumeSizeGiB = size
        o.instance = instance
        o.workloads = workloads.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        o.runtimeSeconds = runtime
        o.repeats = repeats
        o.fileBytes = try fileSize.map { try Units.parseSize($0, what: "--file-size") }
        o.snapshots = !noSnapshots
        try o.validate()
        return o
    }

    func run() throws {
        let options = try options()
        let cwd = FileManager.default.currentDirectoryPath
        let profileDir = profiles ?? ProfileStore.defaultDirectory(cwd: cwd)
        try ProfileStore(directory: profileDir).checkDirectory()
        let workloadList = try LabWorkload.load(directory: profileDir + "/lab", only: options.workloads)
        let plan = LabPlan(options: options, workloads: workloadList)
        let executor = SessionExecutor(profiles: profileDir, allowDestructive: allowDestructive)

        // Where runs work: the user's target, or a scratch directory on real storage (not
        // /tmp, often tmpfs, where direct I/O fails), removed at the end.
        var resultsCheck = RunSession(jobArguments: [])
        resultsCheck.resultsDirectory = resultsDir
        try resultsCheck.checkResultsDirectory()
        let scratch = try Self.makeScratch()
        defer { Self.removeScratch(scratch) }
        let file = target ?? scratch + "/lab.dat"
        let stamp = Self.stamp()
        var runDir = "\(resultsDir)/lab-\(stamp)"
        let runner = LabRunner(plan: plan, directory: runDir, file: file, executor: executor,
                               baseEnvironment: ProcessInfo.processInfo.environment, note: { printError($0) })
        if options.snapshots { runner.snapshotPoolPath = scratch + "/pool" }
        runner.prices = try ProfileStore(directory: profileDir).prices(region: "us-east-1")

        // Every run is checked (jobs, volumes, instance, target) before any I/O, and so is the
        // recommendation's need (its flags, and that some volume can meet it).
        try runner.checkAll()
        var need = LabAnswer.Need()
        need.iops = needIOPS
        need.latency = needLatency
        let store = ProfileStore(directory: profileDir)
        let recommendation = try LabAnswer.recommendation(plan: plan, need: need, store: store)
        let answer = LabAnswer(plan: plan, need: need, store: store)
        let eta = LabETA(runtimeSeconds: options.effectiveRuntimeSeconds,
                         fixedSeconds: options.snapshots ? Double(SnapshotExperiment.estimatedSeconds(options)) : 0)
        let total = eta.remainingSeconds(done: 0, total: plan.steps.count, elapsedNs: 0)
        if dryRun {
            print("lab plan: \(plan.steps.count) runs of \(options.effectiveRuntimeSeconds) s"
                  + (options.snapshots ? " and the snapshot experiment" : "") + ", about \(LabETA.format(seconds: total))")
            for s in plan.steps {
                print("  \(s.workload.name) on \(s.target.volume ?? "local target") -> \(runDir)/\(s.resultName)")
            }
            return
        }
        try FileManager.default.createDirectory(atPath: resultsDir.isEmpty ? "." : resultsDir, withIntermediateDirectories: true)
        // A directory of its own: a lab started in the same second (another pod on the node,
        // a second shell) gets the next name rather than sharing and overwriting results.
        var n = 1
        while mkdir(runDir, 0o755) != 0 {
            guard errno == EEXIST, n < 1000 else {
                throw BlockLabError.runtime("lab: cannot create \(Text.escaped(runDir)): \(String(cString: strerror(errno)))")
            }
            n += 1
            runDir = "\(resultsDir)/lab-\(stamp)-\(n)"
        }
        runner.directory = runDir
        _ = bl_install_stop_signals()
        printError("lab: \(plan.workloads.count) workloads on \(options.targets.count) targets, \(plan.steps.count) runs, about \(LabETA.format(seconds: total)); results in \(runDir)")
        try runner.runAll()

        print("")
        print("Workloads on each target (median IOPS, or MiB/s for sequential):")
        print(runner.matrix())
        // What was done goes through compare, recommend and report, interrupted or not.
        // The local target's column is labelled (LABEL=PATH); the volumes' name themselves.
        let results = runner.records.filter { $0.status == .done || $0.status == .interrupted }
            .map { ($0.step.target.volume == nil ? "local=" : "") + "\(runDir)/\($0.step.resultName)" }
        if !results.isEmpty {
            print("")
            print("Comparison (each run a sample; the first column is the baseline):")
            print(try answer.compare(results, runDir: runDir), terminator: "")
        }
        var recommendationFailed = false
        print("")
        print("Recommendation for db-70-30 at \(needIOPS) IOPS (16 KiB, 70 % reads), p99 within \(needLatency), \(options.volumeSizeGiB) GiB:")
        print(recommendation.table(), terminator: "")
        do {
            // After Ctrl-C no further run starts: the recommendation is kept unvalidated.
            if let verdict = try answer.record(recommendation, runDir: runDir, scratch: scratch, executor: executor,
                                               validate: !runner.interrupted) {
                print(verdict.text, terminator: "")
                recommendationFailed = !verdict.met
            }
        } catch {
            printError("lab: recommendation: \(error)")
            recommendationFailed = true
        }
        if !results.isEmpty { try answer.report(results, runDir: runDir, title: "BlockLab lab, \(stamp)", snapshot: runner.snapshot) }
        if let snap = runner.snapshot, snap.error == nil, !snap.interrupted {
            print("")
            print("Snapshots of a \(Units.formatBytes(snap.volumeBytes)) volume:")
            for s in snap.snapshots {
                print("  \(s.name): incremental \(Units.formatBytes(s.incrementalBytes)), unique \(Units.formatBytes(s.uniqueBytes)), shared \(Units.formatBytes(s.sharedBytes))")
            }
            if let c = snap.monthlySnapshotCost { print("  EBS would bill $\(String(format: "%.4f", c)) a month for them (\(snap.pricesSource ?? "prices"))") }
            for r in snap.reads { print("  " + SnapshotExperiment.describe(r)) }
        }
        print("")
        print("results: \(runDir) (lab.json lists every run)")
        if !results.isEmpty { print("report: \(runDir)/report.html") }
        if runner.interrupted {
            printError("lab: interrupted; finished results are kept and lab.json says what was done")
            throw ExitCode(130)
        }
        if runner.records.contains(where: { $0.status == .failed }) || runner.snapshot?.error != nil || recommendationFailed { throw ExitCode(1) }
    }

    /// The cheapest volume for the database-like workload at the lab's need, validated by a
    /// run on the emulated volume; its JSON goes to recommendation.json, the verdict to
    /// validation.txt. Returns the JSON's path.
    static func stamp() -> String {
        var t = time(nil)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        return String(format: "%04d%02d%02d-%02d%02d%02d", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec)
    }

    static func makeScratch() throws -> String {
        var template = Array("/var/tmp/blocklab-lab.XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else {
            throw BlockLabError.runtime("lab: cannot create a scratch directory in /var/tmp: \(String(cString: strerror(errno)))")
        }
        return String(cString: p)
    }

    /// Removes only what the lab made in its own scratch directory.
    static func removeScratch(_ dir: String) {
        guard dir.hasPrefix("/var/tmp/blocklab-lab.") else { return }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

extension LabMode: EnumerableFlag {}

/// Runs the lab's steps as `blocklab run` runs its command line.
struct SessionExecutor: LabExecutor {
    var profiles: String
    var allowDestructive: Bool

    func session(_ run: LabRun) -> RunSession {
        var s = RunSession(jobArguments: run.jobArguments)
        s.format = .json
        s.outputPath = run.outputPath
        s.volume = run.volume
        s.instance = run.instance
        s.profilesDirectory = profiles
        s.target = run.poolTarget
        s.allowDestructive = allowDestructive
        s.quiet = true
        s.environment = run.environment
        return s
    }

    func check(_ run: LabRun) throws {
        var s = session(run)
        s.dryRun = true
        s.outputPath = nil
        _ = try s.execute(stdout: { _ in }, stderr: { _ in })
    }

    func run(_ run: LabRun) throws -> Int32 {
        var s = session(run)
        // The live status line on a terminal (the result goes to its file, so nothing else
        // is printed).
        s.quiet = false
        return try s.execute(stdout: { _ in }, stderr: { line in
            if line.hasPrefix("\r") {
                FileHandle.standardError.write(Data(line.utf8))   // the status line redraws in place
            } else {
                printError("      " + line)
            }
        })
    }
}
