import BlockLabCore
import Engine
import Foundation
import Glibc
import JobSpec
import Metrics
import Repetition
import SnapStore
import VolumeModel
import Throttle

/// Everything `blocklab run` does between parsing its flags and exiting, kept out of the
/// command type so tests can drive it: jobs -> engine -> result -> files.
struct RunSession {
    enum Format: String, CaseIterable {
        case normal, json, table
        /// fio's json+: json with each latency's bins.
        case jsonPlus = "json+"

        /// `json,normal`: fio's comma list, each written in turn.
        static func list(_ text: String) throws -> [Format] {
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let out = try names.map { name in
                guard let f = Format(rawValue: name) else {
                    throw BlockLabError.usage("--output-format: '\(Text.escaped(name))' is not one of normal, json, json+, table (or a comma list of them)")
                }
                return f
            }
            if out.contains(.json) && out.contains(.jsonPlus) {
                throw BlockLabError.usage("--output-format: json and json+ together would write the JSON twice; give one")
            }
            return out
        }
    }

    var jobArguments: [String]
    /// Output formats in the order written (fio's `--output-format=json,normal`).
    var formats: [Format] = [.normal]
    /// The first format (what most callers set).
    var format: Format {
        get { formats[0] }
        set { formats = [newValue] }
    }
    /// `--status-interval`: print the figures so far this often while jobs run (0: never).
    var statusIntervalNs: UInt64 = 0
    var outputPath: String?
    var seriesPath: String?
    var resultsDirectory = "results"
    var volume: String?
    var instance: String?
    var profilesDirectory: String?
    /// `pool:PATH/VOLUME`: run every job against a pool volume instead of its filename.
    var target: String?
    var allowDestructive = false
    var quiet = false
    var dryRun = false
    /// `--repeat N`: each job N times as one series (1: each job once, as fio).
    var repeatCount = 1
    var environment = ProcessInfo.processInfo.environment

    /// Parses the jobs, applying command-line `--volume`/`--instance` to every job.
    func jobs() throws -> [JobSpec] {
        var jobs = try JobParser.parse(arguments: jobArguments, environment: environment)
        if jobs.isEmpty { throw BlockLabError.usage("no jobs: give a job file or fio-style options such as --name=a --rw=randread --size=1g") }
        for i in jobs.indices {
            if let volume { jobs[i].volume = volume }
            if let instance { jobs[i].instance = instance }
        }
        return jobs
    }

    /// Runs and writes the outputs. Returns the process exit code.
    func execute(stdout: @escaping (String) -> Void, stderr: @escaping (String) -> Void) throws -> Int32 {
        let jobs = try jobs()
        // Output destinations are checked before any I/O, so a typo never costs a whole run.
        let output = try outputPath.map { try OutputFile.check($0, what: "--output") }
        let series = try seriesPath.map { try OutputFile.check($0, what: "--write-series") }
        let logFiles = try LogFiles.plan(jobs)
        if repeatCount > 1 && !logFiles.isEmpty {
            // Every repetition would write the same files: fio's names carry no repetition.
            throw BlockLabError.usage("--repeat \(repeatCount): fio's log files (write_*_log) name no repetition, so each run would replace the last; run the repetitions apart or drop the log options")
        }
        let writesJSON = formats.contains(.json) || formats.contains(.jsonPlus)
        let saveJSON = outputPath == nil || !writesJSON
        if saveJSON { try checkResultsDirectory() }
        var options = RunOptions()
        options.allowDestructive = allowDestructive
        options.onNotice = stderr
        // Volumes and instances are parsed, resolved and checked against the jobs once,
        // before any file is laid out.
        let emulation = jobs.contains(where: { $0.volume != nil || $0.instance != nil })
            ? try EmulationPlan(jobs: jobs, store: profileStore()) : nil
        if seriesPath != nil { options.seriesIntervalNs = NS.perSecond }
        var poolVolume: PoolVolumeIO?
        if let target {
            guard target.hasPrefix("pool:") else { throw BlockLabError.usage("--target: '\(Text.escaped(target))' is not pool:PATH/VOLUME") }
            poolVolume = try PoolTarget.open(String(target.dropFirst(5)))
            options.mappedTarget = poolVolume
        }
        if dryRun {
            let plan = try Runner.prepare(jobs, options: options)
            try emulation?.check(regionEnds: plan.regionEnds)
            let text: String
            if writesJSON {
                text = JSONValue.object([
                    ("jobs", .array(jobs.map { job in
                        .object([("jobname", .string(job.name)), ("origin", .string(job.origin)),
                                 ("job options", .object(job.options.map { ($0.0, .string($0.1)) }))])
                    })),
                    ("targets", .array(plan.targets.map { .string($0) })),
                ]).serialized() + "\n"
            } else {
                text = jobs.map { $0.describe() }.joined(separator: "\n") + "\n" + plan.targets.joined(separator: "\n")
            }
            if let output { try output.write(text) } else { stdout(text) }
            return 0
        }
        let status = StatusLine(enabled: !quiet && isatty(2) == 1, clock: options.clock)
        let periodic = statusIntervalNs > 0
            ? StatusDump(intervalNs: statusIntervalNs, json: writesJSON, clock: options.clock) : nil
        if status.enabled || periodic != nil {
            options.onProgress = { progress in
                if let periodic, let dump = periodic.due(progress) {
                    if status.enabled { stderr(StatusLine.clear) }
                    stdout(dump)
                }
                if status.enabled { status.draw(progress, write: stderr) }
            }
        }
        // Everything is checked before anything is written; the shapers start once the files
        // are laid out.
        var plan = try Runner.prepare(jobs, options: options)
        try emulation?.check(regionEnds: plan.regionEnds)
        var run: RunResult
        var seriesLines: [String] = []
        var errors: [String] = []
        var interrupted = false
        var warnings: [String] = []
        var logs: [CloneLog] = []
        if repeatCount > 1 {
            let series = try RepeatedRun(jobs: jobs, repetitions: repeatCount, options: options, store: profileStore()).run()
            run = series.result
            seriesLines = series.seriesLines
            errors = series.errors
            warnings = series.warnings
            interrupted = series.interrupted
        } else {
            try Runner.layOut(&plan, options: options)
            let shapers = try emulation?.shapers(regionEnds: plan.regionEnds, clock: options.clock) ?? []
            let ran = try Runner.run(plan, shapers: shapers, options: options)
            run = ran.result
            seriesLines = ran.series
            errors = ran.errors
            interrupted = ran.interrupted
            logs = ran.logs
            warnings = ran.notices + (emulation?.markHostBound(&run) ?? [])
        }
        // What an interrupted run left pending is committed here, and a failure is reported.
        try poolVolume?.pool.close()
        if status.enabled { stderr(StatusLine.clear) }
        run.globalOptions = jobs[0].globalOptions
        let host = Self.hostName()
        for i in run.jobs.indices { run.jobs[i].host = host }
        for warning in warnings { stderr(warning) }
        let json = FioJSON.document(run).serialized() + "\n"
        let text = formats.map { format -> String in
            switch format {
            case .json: return json
            case .jsonPlus: return FioJSON.document(run, plus: true).serialized() + "\n"
            case .normal: return NormalReport.render(run)
            case .table: return NormalReport.table(run)
            }
        }.joined(separator: "\n")
        if let output {
            try output.write(text)
        } else {
            stdout(text)
        }
        if saveJSON {
            let path = try saveResult(json, jobs: jobs, timestampMs: run.timestampMs)
            if !quiet { stderr("result: \(path)") }
        }
        if let series { try series.write(seriesLines.joined(separator: "\n") + "\n") }
        if !logFiles.isEmpty { try logFiles.write(logs) }
        for log in logs {
            guard let at = log.data.truncatedAtMsec, jobs.indices.contains(log.jobIndex) else { continue }
            stderr("blocklab: warning: job '\(Text.escaped(jobs[log.jobIndex].name))' (job \(log.jobNumber)): its per-I/O log stopped at "
                + "\(at) ms after \(log.data.samples.count) I/Os, this job's share of a quarter of the machine's memory; "
                + "log_avg_msec keeps a long run's log small")
        }
        for e in errors { stderr("blocklab: \(Text.escaped(e))") }
        if interrupted { stderr("blocklab: interrupted; the result is marked interrupted"); return 130 }
        return errors.isEmpty ? 0 : 1
    }

    func profileStore() -> ProfileStore {
        ProfileStore(directory: profilesDirectory ?? ProfileStore.defaultDirectory(cwd: FileManager.default.currentDirectoryPath))
    }

    /// This machine's name (gethostname), recorded in every result.
    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "unknown" }
        let name = String(cString: buf)
        return name.isEmpty ? "unknown" : name
    }

    /// The results directory (created when the result is saved) must be creatable: its
    /// nearest existing ancestor a writable directory on real storage, outside any pool.
    func checkResultsDirectory() throws {
        let what = "--results-dir"
        var existing = resultsDirectory.isEmpty ? "." : resultsDirectory
        while true {
            var st = stat()
            if stat(existing, &st) == 0 {
                guard (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw BlockLabError.usage("\(what) \(Text.escaped(resultsDirectory)): \(Text.escaped(existing)) is not a directory")
                }
                break
            }
            let parent = AtomicFile.directory(of: existing)
            if parent == existing { break }
            existing = parent
        }
        let resolved = try PathSafety.check(existing, what: what)
        guard access(resolved, W_OK) == 0 else {
            throw BlockLabError.usage("\(what) \(Text.escaped(resultsDirectory)): \(Text.escaped(existing)) is not writable")
        }
    }

    private func safe(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    /// `results/20261126-230300-randread-4k-qd32.json`: when, what, how deep.
    func saveResult(_ json: String, jobs: [JobSpec], timestampMs: UInt64) throws -> String {
        try FileManager.default.createDirectory(atPath: resultsDirectory, withIntermediateDirectories: true)
        let first = jobs[0]
        var t = time_t(Int(timestampMs / 1000))
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let stamp = String(format: "%04d%02d%02d-%02d%02d%02d", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec)
        let bs = Units.formatBytes(UInt64(first.maxBlockSize)).lowercased().replacingOccurrences(of: "ib", with: "")
        let file = jobArguments.first { !$0.hasPrefix("-") }.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        var name: String
        if jobs.count > 1 {
            name = "\(stamp)-\(safe(file ?? first.name))-\(jobs.count)jobs"
        } else {
            name = "\(stamp)-\(safe(first.name))-\(first.rw.rawValue)-\(bs)-qd\(first.effectiveDepth)"
        }
        if let v = first.volume { name += "-" + String(v.prefix { $0 != ":" }) }
        // O_EXCL-like naming: a name another run took meanwhile is never replaced.
        var path = "\(resultsDirectory)/\(name).json"
        var n = 2
        while try !AtomicFile.writeNew(json, to: path) {
            path = "\(resultsDirectory)/\(name)-\(n).json"
            n += 1
        }
        return path
    }
}
