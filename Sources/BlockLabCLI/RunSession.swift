import BlockLabCore
import Engine
import Foundation
import JobSpec
import Metrics

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
        if dryRun {
            stdout(jobs.map { $0.describe() }.joined(separator: "\n"))
            return 0
        }
        var options = RunOptions()
        options.allowDestructive = allowDestructive
        options.onNotice = stderr
        options.shaperFactory = try ShaperResolver.factory(for: jobs)
        if seriesPath != nil { options.seriesIntervalNs = NS.perSecond }
        let status = StatusLine(enabled: !quiet && isatty(2) == 1, clock: options.clock)
        if status.enabled { options.onProgress = { status.draw($0, write: stderr) } }
        let output = try Runner.run(jobs, options: options)
        if status.enabled { stderr(StatusLine.clear) }
        var run = output.result
        run.globalOptions = []
        let json = FioJSON.document(run).serialized() + "\n"
        let text: String
        switch format {
        case .json: text = json
        case .normal: text = NormalReport.render(run)
        case .table: text = NormalReport.table(run)
        }
        if let outputPath {
            try AtomicFile.write(text, to: outputPath)
        } else {
            stdout(text)
        }
        if outputPath == nil || format != .json {
            let path = try saveResult(json, jobs: jobs, timestampMs: run.timestampMs)
            if !quiet { stderr("result: \(path)") }
        }
        if let seriesPath { try AtomicFile.write(output.series.joined(separator: "\n") + "\n", to: seriesPath) }
        for e in output.errors { stderr("blocklab: \(e)") }
        if output.interrupted { stderr("blocklab: interrupted; the result is marked interrupted"); return 130 }
        return output.errors.isEmpty ? 0 : 1
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
        var path = "\(resultsDirectory)/\(name).json"
        var n = 2
        while FileManager.default.fileExists(atPath: path) { path = "\(resultsDirectory)/\(name)-\(n).json"; n += 1 }
        try AtomicFile.write(json, to: path)
        return path
    }
}

/// Turns `volume=`/`instance=` into shapers. Filled in by the volume-model integration.
enum ShaperResolver {
    static func factory(for jobs: [JobSpec]) throws -> ((JobSpec) throws -> IOShaper?)? {
        guard jobs.contains(where: { $0.volume != nil || $0.instance != nil }) else { return nil }
        throw BlockLabError.usage("--volume/--instance: volume emulation is not available in this build yet")
    }
}
