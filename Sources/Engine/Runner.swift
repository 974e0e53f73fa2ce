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
    /// A mapped target (a thin volume) every job runs on instead of its own filename.
    public var mappedTarget: MappedTarget?
    /// Called about once a second from the calling thread while jobs run.
    public var onProgress: (([JobProgress]) -> Void)?
    /// Stops the run early when set (Ctrl-C sets every run's).
    public var stop = StopToken()
    /// Notes and warnings for stderr.
    public var onNotice: (String) -> Void = { _ in }
    /// Where verify_dump writes failed blocks: fio writes them in its working directory.
    public var dumpDirectory = "."
    public init() {}
}

/// Jobs resolved against their targets and checked, with the files they need planned:
/// what `Runner.run` lays out and executes.
public struct RunPlan {
    public let jobs: [JobSpec]
    var clones: [ClonePlan]
    let layouts: LayoutPlan
    /// The planned files exist (`Runner.layOut`).
    public internal(set) var laidOut = false
    /// Per job: where the byte range its clones use ends (what an emulated volume must hold).
    public var regionEnds: [UInt64] {
        jobs.indices.map { j in clones.filter { $0.jobIndex == j }.map(\.region.upperBound).max() ?? 0 }
    }
    /// One line per job thread: its resolved target, region, engine and depth.
    public var targets: [String] {
        clones.map { plan in
            let region = "\(Units.formatBytes(plan.region.lowerBound))+\(Units.formatBytes(UInt64(plan.region.count)))"
            return "\(plan.spec.name).\(plan.clone): \(plan.target.kind.rawValue) \(plan.target.path) region \(region), "
                + "\(plan.engine.name) depth \(plan.depth)"
        }
    }
}

/// What a run produced: the result, the per-interval series lines, job errors, and the
/// rows of fio's log files per job thread.
public struct RunOutput {
    public var result: RunResult
    public var series: [String]
    public var errors: [String]
    public var interrupted: Bool
    public var logs: [CloneLog] = []
    /// What the jobs report without failing (error_dump's continued errors), for stderr.
    public var notices: [String] = []
}

/// One job thread's log rows: which job (index into the run's jobs) and fio's job number
/// (1-based over every clone of the run, the `.N` of the file names).
public struct CloneLog: Sendable {
    public var jobIndex: Int
    public var jobNumber: Int
    public var data: IOLogData
}

/// Runs jobs in two steps: `prepare` resolves every job's targets and checks everything
/// that can be known before I/O (then lays out files); `run` starts one thread (with its
/// own ring) per job clone, group by group (stonewall), and gathers the results. Shapers
/// come in as data, one per job (its clones share it), made from the plan's regions.
public enum Runner {
    /// Checks everything a run would and plans the files to lay out, writing nothing: a dry
    /// run stops here, and a run's shapers are made from it before anything is written.
    public static func prepare(_ jobs: [JobSpec], options: RunOptions) throws -> RunPlan {
        let allowed = CPUPlacement.allowedCPUs()
        for job in jobs { try CPUPlacement.check(job, allowed: allowed) }
        for traits in Set(jobs.map(\.ioengine.name)).sorted().compactMap(EngineCatalog.find) { try Engines.driver(for: traits).probe() }
        try PriorityCheck.check(jobs)
        let (clones, layouts) = try ClonePlanner.resolve(jobs, allowDestructive: options.allowDestructive,
                                                         mappedTarget: options.mappedTarget, notice: options.onNotice)
        try SteadyStateMonitor.checkConsistent(clones.map { ($0.spec, $0.reportGroup) })
        if let job = jobs.first(where: { $0.verifyDump && $0.verify != nil && $0.verify != .null }) {
            // verify_dump writes into the working directory (as fio): checked like any output.
            let dir = try PathSafety.check(options.dumpDirectory, what: "\(job.origin): verify_dump (the working directory)")
            guard access(dir, W_OK) == 0 else {
                throw BlockLabError.usage("\(job.origin): verify_dump: the working directory \(Text.escaped(dir)) is not writable")
            }
        }
        return RunPlan(jobs: jobs, clones: clones, layouts: layouts)
    }

    /// Lays out the plan's files (undone if anything fails or Ctrl-C arrives). Shapers are
    /// made after this, so a long layout does not count as time the emulated volume idled.
    public static func layOut(_ plan: inout RunPlan, options: RunOptions) throws {
        guard !plan.laidOut else { return }
        // Ctrl-C from here on stops cleanly: a layout in progress is undone, a run is cut short.
        _ = bl_install_stop_signals()
        try ClonePlanner.layOut(&plan.clones, plan.layouts, stop: options.stop)
        plan.laidOut = true
    }

    /// Prepares and runs jobs with no shapers.
    public static func run(_ jobs: [JobSpec], options: RunOptions) throws -> RunOutput {
        try run(prepare(jobs, options: options), shapers: [], options: options)
    }

    /// - shapers: per job (index into `plan.jobs`), the shaper its clones admit to; shorter
    ///   than the jobs, or nil entries, for unshaped jobs.
    public static func run(_ prepared: RunPlan, shapers: [IOShaper?], options: RunOptions) throws -> RunOutput {
        var plan = prepared
        try layOut(&plan, options: options)
        let allowed = CPUPlacement.allowedCPUs()
        let timestamp = WallClock.nowEpochMilliseconds()
        let disks = DiskStats.Watch(paths: plan.clones.map { ($0.target.path, $0.target.kind == .blockDevice) },
                                    clock: options.clock)
        var outcomes: [CloneOutcome] = []
        let endRun = StopToken()
        // fio registers every job's flow weight when it reads the jobs (later phases' too).
        let flows = FlowGroup.plan(plan.clones.map { ($0.spec, $0.clone) })
        for id in flows.keys.sorted() {
            let phases = Set(plan.clones.filter { $0.spec.flowWeight > 0 && $0.spec.flowID == id }.map(\.group))
            if phases.count > 1 {
                options.onNotice("note: flow_id \(id) has jobs in different stonewall phases; as in fio, every job's weight counts from the start, so the earlier jobs are held back to their share while the later ones wait (give those a runtime, or their own flow_id)")
            }
        }
        for group in Set(plan.clones.map(\.group)).sorted() {
            var members = plan.clones.filter { $0.group == group }
            for i in members.indices where members[i].sizedAtStart { try ClonePlanner.sizeAtStart(&members[i]) }
            let memberShapers = members.map { $0.jobIndex < shapers.count ? shapers[$0.jobIndex] : nil }
            // Members that start with the phase wait for one another before their first I/O.
            let together = members.filter { $0.spec.flowWeight > 0 && $0.spec.startDelayNs == 0 && $0.spec.waitFor == nil }
            var starts: [Int: FlowStart] = [:]
            for id in Set(together.map(\.spec.flowID)) { starts[id] = FlowStart(members: together.filter { $0.spec.flowID == id }.count) }
            let memberFlows = members.map { m -> FlowMember? in
                guard m.spec.flowWeight > 0, let g = flows[m.spec.flowID] else { return nil }
                let late = m.spec.startDelayNs > 0 || m.spec.waitFor != nil
                return FlowMember(group: g, weight: m.spec.flowWeight, sleepNs: m.spec.flowSleepNs, start: late ? nil : starts[m.spec.flowID])
            }
            outcomes += runGroup(members, shapers: memberShapers, allowedCPUs: allowed, options: options, endRun: endRun,
                                 flows: memberFlows)
            // exit_what=all: the later phases do not start (as in fio).
            if options.stop.isStopped || endRun.isSet { break }
        }
        var results: [JobResult] = []
        for group in Set(outcomes.map(\.plan.reportGroup)).sorted() {
            let members = outcomes.filter { $0.plan.reportGroup == group }
            if members.contains(where: { $0.plan.spec.groupReporting }) {
                var merged = JobResult.merge(members.map(\.result), name: members[0].plan.spec.name)
                merged.groupID = group
                merged.specIndex = members[0].plan.jobIndex
                merged.options = members[0].result.options
                merged.extras = members[0].result.extras + [("group_reporting", .object([("jobs", .int(Int64(members.count)))]))]
                results.append(merged)
            } else {
                results += members.map { var r = $0.result; r.groupID = group; r.specIndex = $0.plan.jobIndex; return r }
            }
        }
        var run = RunResult(jobs: results, timestampMs: timestamp)
        let interrupted = options.stop.isStopped
        run.extras = [("interrupted", .bool(interrupted))]
        run.diskUtil = disks.finish()
        var logs: [CloneLog] = []
        for o in outcomes { if let d = o.logs { logs.append(CloneLog(jobIndex: o.plan.jobIndex, jobNumber: o.plan.jobNumber + 1, data: d)) } }
        return RunOutput(result: run, series: outcomes.flatMap(\.series), errors: outcomes.compactMap(\.error),
                         interrupted: interrupted, logs: logs, notices: outcomes.flatMap(\.notices))
    }

    struct CloneOutcome {
        var plan: ClonePlan
        var result: JobResult
        var series: [String]
        var error: String?
        var logs: IOLogData?
        var notices: [String] = []
    }

    final class Box: @unchecked Sendable { var outcome: CloneOutcome? }

    static func runGroup(_ plans: [ClonePlan], shapers: [IOShaper?], allowedCPUs: [Int], options: RunOptions,
                         endRun: StopToken = StopToken(), flows: [FlowMember?] = []) -> [CloneOutcome] {
        let group = DispatchGroup()
        let progress = plans.map { JobProgress(name: $0.spec.name, plannedBytes: plannedBytes($0)) }
        let boxes = plans.map { _ in Box() }
        // Only a thread that waits for every completion (depth 1) gains from running where they
        // arrive; at depth 32 it lost 4 % of IOPS and 8 % more CPU per I/O against fio there
        // (sharing the CPU with the interrupts), so deeper queues keep the CPU they start on.
        let completion = plans.count == 1 && plans[0].depth == 1
            ? CompletionCPU.choose(path: plans[0].target.path, isBlockDevice: plans[0].target.kind == .blockDevice, allowed: allowedCPUs)
            : nil
        let cpus = CPUPlacement(threads: plans.map { ($0.spec, $0.clone) }, allowed: allowedCPUs, completionCPU: completion)
        // wait_for: each job of the group is done when all its clones are.
        var finished: [String: DispatchGroup] = [:]
        for plan in plans {
            let g = finished[plan.spec.name] ?? DispatchGroup()
            g.enter()
            finished[plan.spec.name] = g
        }
        // Each thread ends early (not an interruption) when its token is set: exitall sets
        // those of its reporting group, or with exit_what=stonewall/all every one of the
        // phase; a steady job (or group) sets its own.
        let ends = plans.map { _ in StopToken() }
        var mates: [Int: [StopToken]] = [:]
        for (i, plan) in plans.enumerated() { mates[plan.reportGroup, default: []].append(ends[i]) }
        let steady = SteadyStateMonitor(specs: plans.map { ($0.spec, $0.reportGroup) }, progress: progress, ends: ends)
        for (i, plan) in plans.enumerated() {
            let groupEnd = ends[i]
            let groupEnds = mates[plan.reportGroup]!
            group.enter()
            let shaper = shapers[i]
            let waitFor = plan.spec.waitFor.flatMap { finished[$0] }
            let done = finished[plan.spec.name]!
            let thread = Thread {
                let placement = cpus.apply(thread: i)
                if let waitFor {
                    while waitFor.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
                        if options.stop.isStopped || groupEnd.isSet { break }
                    }
                }
                if plan.spec.startDelayNs > 0 { pause(plan.spec.startDelayNs, options: options, end: groupEnd) }
                let flow = i < flows.count ? flows[i] : nil
                boxes[i].outcome = runClone(plan, shaper: shaper, progress: progress[i], options: options, groupEnd: groupEnd,
                                            flow: flow)
                flow?.arrive()
                flow?.leave()
                if plan.spec.exitAll {
                    switch plan.spec.exitWhat {
                    case .group: groupEnds.forEach { $0.stop() }
                    case .stonewall: ends.forEach { $0.stop() }
                    case .all:
                        ends.forEach { $0.stop() }
                        endRun.stop()
                    }
                }
                done.leave()
                boxes[i].outcome?.result.engine?.cpu = placement
                boxes[i].outcome?.result.engine?.cpuChoice = cpus.reasons[i]
                progress[i].finished.store(true, ordering: .relaxed)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        if let steady {
            // fio's once-a-second check, on the run's clock.
            var next = options.clock.now() &+ NS.perSecond
            while true {
                let now = options.clock.now()
                if now >= next {
                    steady.tick(now: now)
                    options.onProgress?(progress)
                    while next <= now { next &+= NS.perSecond }
                }
                if group.wait(timeout: .now() + .nanoseconds(Int(min(next &- min(now, next), NS.perSecond)))) == .success { break }
            }
        } else {
            while group.wait(timeout: .now() + .seconds(1)) == .timedOut {
                options.onProgress?(progress)
            }
        }
        var outcomes = boxes.map { $0.outcome! }
        if let steady {
            for i in outcomes.indices { outcomes[i].result.steadyState = steady.section(i) }
        }
        return outcomes
    }

    /// startdelay: sleeps in short steps so Ctrl-C or exitall still ends the wait at once.
    static func pause(_ ns: UInt64, options: RunOptions, end: StopToken) {
        let until = options.clock.now() &+ ns
        while !options.stop.isStopped && !end.isSet {
            let now = options.clock.now()
            guard now < until else { return }
            usleep(useconds_t(min((until - now) / 1000, 50_000)))
        }
    }

    static func plannedBytes(_ plan: ClonePlan) -> UInt64 {
        guard !plan.spec.timeBased else { return 0 }
        return (try? IOPlanner.plannedBytes(spec: plan.spec, region: plan.region)) ?? 0
    }
}
