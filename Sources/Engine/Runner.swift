import BlockLabCore
import CSupport
import Dispatch
import Foundation
import JobSpec
import Metrics
import Verify
import Workload

/// How a run is carried out, beyond the jobs themselves.
public struct RunOptions {
    public var allowDestructive = false
    /// Width of the `--write-series` intervals (0 = no series).
    public var seriesIntervalNs: UInt64 = 0
    public var clock: MonotonicClock = SystemClock.shared
    /// Builds the shaper for a job; its numjobs clones share it (one emulated volume).
    /// Makes a job's shaper, given the end of the byte range its clones use (the target's
    /// size when the job gives no `size`).
    public var shaperFactory: ((JobSpec, UInt64) throws -> IOShaper?)?
    /// Opens a mapped target (a pool volume) for a job; nil = the job's own filename.
    /// Called once per job; return the same object for jobs that share a target.
    public var mappedTarget: ((JobSpec) throws -> MappedTarget?)?
    /// Called about once a second from the calling thread while jobs run.
    public var onProgress: (([JobProgress]) -> Void)?
    /// Stops the run early when set (Ctrl-C sets every run's).
    public var stop = StopToken()
    /// Notes and warnings for stderr.
    public var onNotice: (String) -> Void = { _ in }
    public init() {}
}

/// What a run produced: the result, the per-interval series lines, and job errors.
public struct RunOutput {
    public var result: RunResult
    public var series: [String]
    public var errors: [String]
    public var interrupted: Bool
}

/// Runs jobs: resolves targets, starts one thread (with its own ring) per job clone,
/// group by group (stonewall), and gathers the results.
public enum Runner {
    public static func run(_ jobs: [JobSpec], options: RunOptions) throws -> RunOutput {
        // Ctrl-C from here on stops cleanly: a layout in progress is undone, a run is cut short.
        _ = bl_install_stop_signals()
        let allowed = CPUPlacement.allowedCPUs()
        for job in jobs { try CPUPlacement.check(job, allowed: allowed) } // before any file is laid out
        if jobs.contains(where: { $0.ioengine != .psync }) { try probeIOUring() }
        let plans = try Planner.resolve(jobs, allowDestructive: options.allowDestructive, mappedTarget: options.mappedTarget,
                                        stop: options.stop, notice: options.onNotice)
        var shapers: [String: IOShaper] = [:]
        for job in jobs where shapers[job.origin + job.name] == nil {
            let end = plans.filter { $0.spec.origin == job.origin && $0.spec.name == job.name }.map(\.region.upperBound).max() ?? 0
            if let make = options.shaperFactory, let s = try make(job, end) { shapers[job.origin + job.name] = s }
        }
        let timestamp = WallClock.nowEpochMilliseconds()
        var outcomes: [CloneOutcome] = []
        for group in Set(plans.map(\.group)).sorted() {
            let members = plans.filter { $0.group == group }
            outcomes += runGroup(members, shapers: shapers, allowedCPUs: allowed, options: options)
            if options.stop.isStopped { break }
        }
        var results: [JobResult] = []
        for group in Set(outcomes.map(\.plan.group)).sorted() {
            let members = outcomes.filter { $0.plan.group == group }
            if members.contains(where: { $0.plan.spec.groupReporting }) {
                var merged = JobResult.merge(members.map(\.result), name: members[0].plan.spec.name)
                merged.groupID = group
                merged.options = members[0].result.options
                merged.extras = members[0].result.extras + [("group_reporting", .object([("jobs", .int(Int64(members.count)))]))]
                results.append(merged)
            } else {
                results += members.map { var r = $0.result; r.groupID = group; return r }
            }
        }
        var run = RunResult(jobs: results, timestampMs: timestamp)
        let interrupted = options.stop.isStopped
        run.extras = [("interrupted", .bool(interrupted))]
        return RunOutput(result: run, series: outcomes.flatMap(\.series), errors: outcomes.compactMap(\.error),
                         interrupted: interrupted)
    }

    /// Everything `run` checks before it writes anything (jobs, targets, devices, regions,
    /// alignment, resources, free space, io_uring), without laying out or running: what
    /// `--dry-run` validates. Returns one line per job thread: its resolved target.
    public static func check(_ jobs: [JobSpec], options: RunOptions) throws -> [String] {
        let allowed = CPUPlacement.allowedCPUs()
        for job in jobs { try CPUPlacement.check(job, allowed: allowed) }
        let plans = try Planner.resolve(jobs, allowDestructive: options.allowDestructive, mappedTarget: options.mappedTarget,
                                        layOut: false, notice: options.onNotice)
        if jobs.contains(where: { $0.ioengine != .psync }) { try probeIOUring() }
        for job in jobs where options.shaperFactory != nil {
            let end = plans.filter { $0.spec.origin == job.origin && $0.spec.name == job.name }.map(\.region.upperBound).max() ?? 0
            _ = try options.shaperFactory?(job, end)
        }
        return plans.map { plan in
            let region = "\(Units.formatBytes(plan.region.lowerBound))+\(Units.formatBytes(UInt64(plan.region.count)))"
            return "\(plan.spec.name).\(plan.clone): \(plan.target.kind.rawValue) \(plan.target.path) region \(region), "
                + "\(plan.engine.rawValue) depth \(plan.depth)"
        }
    }

    /// Creates and drops a tiny ring so a blocked io_uring fails with a clear message
    /// before any thread starts.
    static func probeIOUring() throws {
        do {
            _ = try Ring(entries: 2, sqPoll: false, ioPoll: false)
        } catch let error as EngineSetupError {
            throw BlockLabError.usage(error.description)
        }
    }

    struct CloneOutcome {
        var plan: ClonePlan
        var result: JobResult
        var series: [String]
        var error: String?
    }

    final class Box: @unchecked Sendable { var outcome: CloneOutcome? }

    static func runGroup(_ plans: [ClonePlan], shapers: [String: IOShaper], allowedCPUs: [Int], options: RunOptions) -> [CloneOutcome] {
        let group = DispatchGroup()
        let progress = plans.map { JobProgress(name: $0.spec.name, plannedBytes: plannedBytes($0)) }
        let boxes = plans.map { _ in Box() }
        let cpus = CPUPlacement(threads: plans.map { ($0.spec, $0.clone) }, allowed: allowedCPUs)
        for (i, plan) in plans.enumerated() {
            group.enter()
            let shaper = shapers[plan.spec.origin + plan.spec.name]
            let thread = Thread {
                let placement = cpus.apply(thread: i)
                boxes[i].outcome = runClone(plan, shaper: shaper, progress: progress[i], options: options)
                boxes[i].outcome?.result.extras.append(("cpu", placement))
                progress[i].finished.store(true, ordering: .relaxed)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        while group.wait(timeout: .now() + .seconds(1)) == .timedOut {
            options.onProgress?(progress)
        }
        return boxes.map { $0.outcome! }
    }

    static func plannedBytes(_ plan: ClonePlan) -> UInt64 {
        guard !plan.spec.timeBased else { return 0 }
        return (try? IOPlanner.plannedBytes(spec: plan.spec, region: plan.region)) ?? 0
    }
}
