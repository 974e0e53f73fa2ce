import BlockLabCore
import Compare
import CSupport
import Foundation
import Glibc
import VolumeModel

/// One `blocklab run` the lab asks for: what `run` would get from its command line.
public struct LabRun: Sendable {
    /// Job files and fio options.
    public var jobArguments: [String]
    /// The environment job files are read with (`${LAB_FILE}` ...).
    public var environment: [String: String]
    public var volume: String?
    public var instance: String?
    /// `pool:PATH/VOLUME`.
    public var poolTarget: String?
    /// Where the JSON result goes (written atomically, never half).
    public var outputPath: String

    public init(jobArguments: [String], environment: [String: String], volume: String? = nil, instance: String? = nil,
                poolTarget: String? = nil, outputPath: String) {
        self.jobArguments = jobArguments
        self.environment = environment
        self.volume = volume
        self.instance = instance
        self.poolTarget = poolTarget
        self.outputPath = outputPath
    }
}

/// How the lab gets a run done: the CLI runs it as `blocklab run` does (one path for both),
/// tests can stand in. The lab itself knows nothing of engines or shapers.
public protocol LabExecutor {
    /// Everything `run --dry-run` checks (jobs, volumes, instance, target, output), no I/O.
    func check(_ run: LabRun) throws
    /// Runs it and writes its JSON result. Returns run's exit status: 0, 1 (the run reported
    /// errors), 130 (interrupted).
    func run(_ run: LabRun) throws -> Int32
}

/// What happened to one step, for the manifest and the summary.
public struct LabStepRecord: Sendable {
    public enum Status: String, Sendable { case pending, done, failed, interrupted }
    public var step: LabStep
    public var status: Status = .pending
    public var seconds: Double = 0
    public var message: String?
    /// Read back from the result file.
    public var iops: Double = 0
    public var mibPerSec: Double = 0
    public var p99LatNs: Double = 0
    public var p50LatNs: Double = 0
    public var hostBound: Bool = false
    /// A credit bucket (gp2, st1, sc1) ran dry: when, from the run's start, and the rate
    /// it fell to.
    public var creditsEmptyNs: UInt64?
    public var baselineAfterCredits: Double?
    public var baselineUnit: String?
}

/// Carries out a `LabPlan`: checks every step before any I/O, runs them in order with
/// progress and an ETA, records each result in the manifest as it lands (so Ctrl-C or a
/// failure leaves every finished result and a manifest that says what was done), then the
/// snapshot experiment.
public final class LabRunner {
    public let plan: LabPlan
    /// The run directory (set before `runAll`).
    public var directory: String
    /// The file (or device) runs work on.
    public let file: String
    public let executor: LabExecutor
    public let clock: MonotonicClock
    public let note: (String) -> Void
    public var baseEnvironment: [String: String]
    public private(set) var records: [LabStepRecord]
    public private(set) var snapshot: SnapshotExperiment.Outcome?
    public private(set) var interrupted = false
    private let startedMs: UInt64
    /// Where the snapshot experiment keeps its pool (nil: skipped).
    public var snapshotPoolPath: String?
    public var prices: PriceTable?

    public init(plan: LabPlan, directory: String, file: String, executor: LabExecutor, clock: MonotonicClock = SystemClock.shared,
                baseEnvironment: [String: String], note: @escaping (String) -> Void) {
        self.plan = plan
        self.directory = directory
        self.file = file
        self.executor = executor
        self.clock = clock
        self.note = note
        self.baseEnvironment = baseEnvironment
        records = plan.steps.map { LabStepRecord(step: $0) }
        startedMs = LabRunner.wallClockMs()
    }

    static func wallClockMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }

    func labRun(_ step: LabStep) -> LabRun {
        LabRun(jobArguments: [step.workload.path], environment: plan.environment(for: step, file: file, base: baseEnvironment),
               volume: step.target.volume, instance: step.target.volume == nil ? nil : plan.options.instance,
               outputPath: "\(directory)/\(step.resultName)")
    }

    /// Checks every step (and the snapshot experiment's jobs) without I/O.
    public func checkAll() throws {
        var seen = Set<String>()
        for step in plan.steps where seen.insert("\(step.workload.name)|\(step.target.name)").inserted {
            do {
                try executor.check(labRun(step))
            } catch let e as BlockLabError {
                throw BlockLabError.usage("lab: \(step.workload.name) on \(step.target.name): \(e.description)")
            }
        }
    }

    /// Runs every step, then the snapshot experiment. Stops at Ctrl-C (the manifest says so).
    public func runAll() throws {
        try writeManifest()
        let eta = LabETA(runtimeSeconds: plan.options.effectiveRuntimeSeconds,
                         fixedSeconds: snapshotPoolPath == nil ? 0 : Double(SnapshotExperiment.estimatedSeconds(plan.options)))
        let start = clock.now()
        for i in records.indices {
            if bl_stop_requested() != 0 { interrupted = true; break }
            let step = records[i].step
            let left = eta.remainingSeconds(done: i, total: records.count, elapsedNs: clock.now() &- start)
            note("[\(i + 1)/\(records.count)] \(step.workload.name) on \(describe(step.target))"
                 + (plan.options.effectiveRepeats > 1 ? ", pass \(step.repetition)" : "")
                 + " (about \(LabETA.format(seconds: left)) left)")
            let t0 = clock.now()
            do {
                let status = try executor.run(labRun(step))
                records[i].status = status == 0 ? .done : status == 130 ? .interrupted : .failed
                if status == 1 { records[i].message = "the run reported errors (see its result)" }
            } catch {
                records[i].status = .failed
                records[i].message = "\(error)"
            }
            records[i].seconds = Double(clock.now() &- t0) / 1e9
            readBack(&records[i])
            if records[i].status == .done || records[i].status == .interrupted { note("      " + summaryLine(records[i])) }
            if let m = records[i].message { note("      failed: \(m)") }
            if records[i].status == .interrupted { interrupted = true }
            try writeManifest()
            if interrupted { break }
        }
        if !interrupted, let pool = snapshotPoolPath {
            note("[snapshots] write, snapshot, overwrite, snapshot, restore lazily and fast, read on first touch")
            do {
                let exp = SnapshotExperiment(options: plan.options, poolPath: pool, directory: directory, executor: executor,
                                             environment: baseEnvironment, prices: prices, note: note)
                snapshot = try exp.run()
                if snapshot?.interrupted == true { interrupted = true }
            } catch {
                note("      snapshot experiment failed: \(error)")
                snapshot = SnapshotExperiment.Outcome(error: "\(error)")
            }
            try writeManifest()
        }
        if bl_stop_requested() != 0 { interrupted = true; try writeManifest() }
    }

    func describe(_ t: LabTarget) -> String {
        t.volume.map { "emulated \($0)" + (plan.options.instance.map { " on \($0)" } ?? "") } ?? "the local target (instance store)"
    }

    func summaryLine(_ r: LabStepRecord) -> String {
        var s = "\(Units.formatDecimal(r.iops, places: 0)) IOPS, \(Units.formatDecimal(r.mibPerSec, places: 1)) MiB/s"
        if r.p99LatNs > 0 { s += ", p99 \(Units.formatDuration(UInt64(r.p99LatNs)))" }
        if r.hostBound { s += " (host-bound: the machine, not the volume, set the pace)" }
        if let empty = r.creditsEmptyNs {
            s += "; burst credits ran out after \(Units.formatDuration(empty))"
            if let b = r.baselineAfterCredits, let u = r.baselineUnit { s += ", then baseline \(Units.formatDecimal(b, places: 0)) \(u)" }
        }
        if r.status == .interrupted { s += " (interrupted)" }
        return s
    }

    /// The figures of a finished step, from its result file, read as compare reads it.
    func readBack(_ r: inout LabStepRecord) {
        let path = "\(directory)/\(r.step.resultName)"
        guard let samples = try? ResultReader.read([path]).samples, !samples.isEmpty else {
            if r.status == .done { r.status = .failed; r.message = r.message ?? "no result file" }
            return
        }
        r.iops = samples.reduce(0) { $0 + ($1.values[.iops] ?? 0) }
        r.mibPerSec = samples.reduce(0) { $0 + ($1.values[.mibps] ?? 0) }
        r.p50LatNs = samples.compactMap { $0.values[.p50] }.max() ?? 0
        r.p99LatNs = samples.compactMap { $0.values[.p99] }.max() ?? 0
        r.hostBound = samples.contains { $0.hostBound != nil }
        // The volume's story: the first credit bucket that ran out.
        for b in samples.first?.volumeDocument?["credit_buckets"] as? [[String: Any]] ?? [] {
            guard let episode = (b["episodes"] as? [[String: Any]])?.first,
                  let empty = (episode["empty_ns"] as? NSNumber)?.uint64Value else { continue }
            r.creditsEmptyNs = empty
            let limits = b["limits"] as? [String: Any]
            if let rate = ((limits?["ops"] as? [String: Any])?["rate"] as? NSNumber)?.doubleValue {
                r.baselineAfterCredits = rate; r.baselineUnit = "IOPS"
            } else if let rate = ((limits?["bytes"] as? [String: Any])?["rate"] as? NSNumber)?.doubleValue {
                r.baselineAfterCredits = rate / Double(Units.MiB); r.baselineUnit = "MiB/s"
            }
            break
        }
    }

    /// lab.json: the plan, each step's status and figures, the snapshot experiment. Rewritten
    /// atomically after every step.
    public func writeManifest() throws {
        let o = plan.options
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let doc = JSONValue.object([
            ("blocklab_lab", .int(1)),
            ("host", .string(String(cString: host))),
            ("started_ms", .uint(startedMs)),
            ("updated_ms", .uint(LabRunner.wallClockMs())),
            ("mode", .string(o.mode.rawValue)),
            ("target", .string(file)),
            ("volume_size_gib", .uint(o.volumeSizeGiB)),
            ("instance", o.instance.map { .string($0) } ?? .null),
            ("runtime_s", .uint(o.effectiveRuntimeSeconds)),
            ("repeats", .int(Int64(o.effectiveRepeats))),
            ("file_bytes", .uint(o.effectiveFileBytes)),
            ("interrupted", .bool(interrupted)),
            ("complete", .bool(!interrupted && records.allSatisfy { $0.status == .done })),
            ("steps", .array(records.map { r in
                .object([
                    ("workload", .string(r.step.workload.name)),
                    ("target", .string(r.step.target.name)),
                    ("volume", r.step.target.volume.map { .string($0) } ?? .null),
                    ("repetition", .int(Int64(r.step.repetition))),
                    ("result", .string(r.step.resultName)),
                    ("status", .string(r.status.rawValue)),
                    ("seconds", .double(r.seconds)),
                    ("iops", .double(r.iops)),
                    ("mib_per_s", .double(r.mibPerSec)),
                    ("p50_lat_ns", .double(r.p50LatNs)),
                    ("p99_lat_ns", .double(r.p99LatNs)),
                    ("host_bound", .bool(r.hostBound)),
                    ("credits_empty_ns", r.creditsEmptyNs.map { .uint($0) } ?? .null),
                    ("message", r.message.map { .string($0) } ?? .null),
                ])
            })),
            ("snapshots", snapshot?.json ?? .null),
        ])
        try AtomicFile.write(doc.serialized() + "\n", to: "\(directory)/lab.json")
    }

    /// Workloads down, targets across: IOPS (MiB/s for sequential workloads), the median over
    /// repetitions.
    public func matrix() -> String {
        let targets = plan.options.targets
        var rows: [[String]] = [["workload"] + targets.map { $0.name }]
        for w in plan.workloads {
            var row = [w.name]
            for t in targets {
                let done = records.filter { $0.step.workload == w && $0.step.target == t && $0.status == .done }
                if done.isEmpty { row.append("-"); continue }
                let sequential = w.name.hasPrefix("seq")
                let values = done.map { sequential ? $0.mibPerSec : $0.iops }.sorted()
                let m = values[values.count / 2]
                row.append(sequential ? "\(Units.formatDecimal(m, places: 0)) MiB/s" : "\(Units.formatDecimal(m, places: 0)) IOPS")
            }
            rows.append(row)
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - cell.count) + cell }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
