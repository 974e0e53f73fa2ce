import BlockLabCore
import Engine
import Foundation
import Glibc
import JobSpec
import Metrics
import VolumeModel
import Throttle

/// Everything `blocklab run` does between parsing its flags and exiting, kept out of the
/// command type so tests can drive it: jobs -> engine -> result -> files.
struct RunSession {
    enum Format: String { case normal, json, table }

    var jobArguments: [String]
    var format: Format = .normal
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
    func execute(stdout: (String) -> Void, stderr: @escaping (String) -> Void) throws -> Int32 {
        let jobs = try jobs()
        // Output destinations are checked before any I/O, so a typo never costs a whole run.
        let output = try outputPath.map { try OutputFile.check($0, what: "--output") }
        let series = try seriesPath.map { try OutputFile.check($0, what: "--write-series") }
        let saveJSON = outputPath == nil || format != .json
        if saveJSON { try checkResultsDirectory() }
        var options = RunOptions()
        options.allowDestructive = allowDestructive
        options.onNotice = stderr
        var resolver: ShaperResolver?
        if jobs.contains(where: { $0.volume != nil || $0.instance != nil }) {
            let r = ShaperResolver(store: ProfileStore(directory: profilesDirectory ?? ProfileStore.defaultDirectory(cwd: FileManager.default.currentDirectoryPath)),
                                   clock: options.clock)
            try r.validate(jobs)
            options.shaperFactory = { try r.shaper(for: $0, regionEnd: $1) }
            resolver = r
        }
        if seriesPath != nil { options.seriesIntervalNs = NS.perSecond }
        if let target {
            let mapped = try PoolMappedTarget.open(target)
            options.mappedTarget = { _ in mapped }
        }
        if dryRun {
            let targets = try Runner.check(jobs, options: options)
            let text: String
            if format == .json {
                text = JSONValue.object([
                    ("jobs", .array(jobs.map { job in
                        .object([("jobname", .string(job.name)), ("origin", .string(job.origin)),
                                 ("job options", .object(job.options.map { ($0.0, .string($0.1)) }))])
                    })),
                    ("targets", .array(targets.map { .string($0) })),
                ]).serialized() + "\n"
            } else {
                text = jobs.map { $0.describe() }.joined(separator: "\n") + "\n" + targets.joined(separator: "\n")
            }
            if let output { try output.write(text) } else { stdout(text) }
            return 0
        }
        let status = StatusLine(enabled: !quiet && isatty(2) == 1, clock: options.clock)
        if status.enabled { options.onProgress = { status.draw($0, write: stderr) } }
        let ran = try Runner.run(jobs, options: options)
        if status.enabled { stderr(StatusLine.clear) }
        var run = ran.result
        run.globalOptions = jobs[0].globalOptions
        resolver?.markHostBound(&run, notice: stderr)
        let json = FioJSON.document(run).serialized() + "\n"
        let text: String
        switch format {
        case .json: text = json
        case .normal: text = NormalReport.render(run)
        case .table: text = NormalReport.table(run)
        }
        if let output {
            try output.write(text)
        } else {
            stdout(text)
        }
        if saveJSON {
            let path = try saveResult(json, jobs: jobs, timestampMs: run.timestampMs)
            if !quiet { stderr("result: \(path)") }
        }
        if let series { try series.write(ran.series.joined(separator: "\n") + "\n") }
        for e in ran.errors { stderr("blocklab: \(Text.escaped(e))") }
        if ran.interrupted { stderr("blocklab: interrupted; the result is marked interrupted"); return 130 }
        return ran.errors.isEmpty ? 0 : 1
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
            name = "\(stamp)-\(safe(first.name))-\(first.rw.rawValue)-\(bs)-qd\(first.iodepth)"
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

/// Turns `volume=`/`instance=` into shapers, checking every spec before any I/O. One
/// instance's EBS limit is shared by every volume attached to it, as on EC2; a job's
/// numjobs clones share one shaper (one emulated volume).
final class ShaperResolver {
    let store: ProfileStore
    private var instances: [String: InstanceLimits] = [:]
    private(set) var shapers: [(job: String, shaper: VolumeShaper)] = []
    private let clock: MonotonicClock
    /// Job threads that will admit to each volume (keyed as the runner keys shapers) and
    /// to each instance: a volume or instance only one thread uses skips the locked
    /// instructions (`Sharing.exclusive`).
    private var volumeThreads: [String: Int] = [:]
    private var instanceThreads: [String: Int] = [:]
    /// Per instance, its volumes (by job) and the largest I/O each job issues: lets the
    /// instance leave out limits its volumes can never reach (`InstanceLimits`).
    private var attached: [String: [String: (volume: ResolvedVolume, largestIO: UInt64)]] = [:]

    init(store: ProfileStore, clock: MonotonicClock) {
        self.store = store
        self.clock = clock
    }

    /// Validates every job's volume and instance now, so a bad spec is exit code 2 before
    /// any file is laid out.
    func validate(_ jobs: [JobSpec]) throws {
        for job in jobs {
            if job.volume != nil { volumeThreads[job.origin + job.name, default: 0] += job.numjobs }
            if let i = job.instance { instanceThreads[i, default: 0] += job.numjobs }
            let volume = try job.volume.map { try VolumeSpec.parse($0).resolve(in: store) }
            if let v = volume, let size = job.size, job.offset + size > v.sizeBytes {
                throw BlockLabError.usage("\(job.origin): job '\(job.name)': offset=\(job.offset) size=\(size) lies outside the "
                    + "emulated \(v.name) volume (\(Units.formatBytes(v.sizeBytes)))")
            }
            if let i = job.instance {
                _ = try store.instance(named: i)
                if let volume {
                    // Jobs sharing a name share the shaper the runner makes from the first of them.
                    let key = job.origin + job.name
                    let first = attached[i]?[key]
                    attached[i, default: [:]][key] = (first?.volume ?? volume, max(UInt64(job.maxBlockSize), first?.largestIO ?? 0))
                }
                if job.volume == nil {
                    throw BlockLabError.usage("\(job.origin): --instance applies an instance's EBS limit to an EBS volume; give --volume too")
                }
            }
        }
    }

    /// - regionEnd: where the job's byte range ends on its target (known once targets are
    ///   resolved; `validate` already checked jobs that give `size=`).
    func shaper(for job: JobSpec, regionEnd: UInt64) throws -> IOShaper? {
        guard let v = job.volume else { return nil }
        let volume = try VolumeSpec.parse(v).resolve(in: store)
        if regionEnd > volume.sizeBytes {
            throw BlockLabError.usage("\(job.origin): job '\(job.name)': its region ends at \(Units.formatBytes(regionEnd)), beyond the "
                + "emulated \(volume.name) volume (\(Units.formatBytes(volume.sizeBytes))); give size= (and offset=) within it")
        }
        var limits: InstanceLimits?
        if let name = job.instance {
            if instances[name] == nil {
                instances[name] = InstanceLimits(profile: try store.instance(named: name), epoch: clock.now(),
                                                 sharing: Self.sharing(threads: instanceThreads[name]),
                                                 attached: attached[name].map { $0.values.map { Upstream(volume: $0.volume, largestIO: $0.largestIO) } })
            }
            limits = instances[name]
        }
        let shaper = VolumeShaper(volume: volume, instance: limits, epoch: clock.now(),
                                  sharing: Self.sharing(threads: volumeThreads[job.origin + job.name]))
        shapers.append((job.name, shaper))
        return shaper
    }

    /// Exclusive only when `validate` counted exactly one thread (unknown: shared, safe).
    static func sharing(threads: Int?) -> Sharing { threads == 1 ? .exclusive : .shared }

    /// Marks results whose run never reached the emulated envelope as host-bound.
    func markHostBound(_ run: inout RunResult, notice: (String) -> Void) {
        for i in run.jobs.indices {
            guard let s = shapers.first(where: { $0.job == run.jobs[i].name })?.shaper else { continue }
            let r = run.jobs[i]
            let iops = r.read.iops + r.write.iops
            let bw = r.read.bwBytesPerSec + r.write.bwBytesPerSec
            if let why = s.hostBound(observedIOPS: iops, observedBytesPerSec: bw, elapsedNs: r.jobRuntimeNs / UInt64(max(1, r.jobCount)),
                                     iodepth: r.iodepth * max(1, r.jobCount)) {
                run.jobs[i].extras.append(("host_bound", .string(why)))
                notice("warning: \(r.name): host-bound: \(why)")
            }
        }
    }
}
