import ArgumentParser
import BlockLabCore
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run fio job files or fio-style options on real files and block devices.",
        discussion: """
        Job files and fio options are the same language:
          blocklab run profiles/jobs/quick.fio
          blocklab run --name=a --rw=randread --bs=4k --size=1g --iodepth=32 --filename=/tmp/t
        Unsupported fio options are errors, never silently ignored.
        """)

    @Option(name: .customLong("output-format"), help: "normal (readable summary), json (fio's field names), json+ (json with latency bins) or table (one line per job); a comma list writes several (json,normal).")
    var outputFormat: String = "normal"

    @Option(name: .customLong("status-interval"), help: "Print each job's figures so far this often while running (seconds, or with a unit: 500ms, 1m).")
    var statusInterval: String?

    @Option(help: "Write the output to this file (atomically) instead of stdout.")
    var output: String?

    @Option(name: .customLong("write-series"), help: "Write per-second (not cumulative) figures as JSON lines here.")
    var writeSeries: String?

    @Option(help: "Shape the run like an EBS volume, e.g. gp3:size=500g,iops=6000,throughput=250.")
    var volume: String?

    @Option(help: "Apply an instance's EBS limits, e.g. m5.large.")
    var instance: String?

    @Option(help: "Run against a pool volume instead of each job's filename: pool:PATH/VOLUME (a snapshot is read-only).")
    var target: String?

    @Option(help: "Profiles directory (default: profiles/ next to the package, or in the current directory).")
    var profiles: String?

    @Option(name: .customLong("results-dir"), help: "Where JSON results are saved when no --output is given.")
    var resultsDir: String = "results"

    @Option(name: .customLong("repeat"), help: "Run each job N times (alone, round-robin with the other jobs, order alternating) as one series of samples for `blocklab compare`.")
    var repeatCount: Int = 1

    @Flag(name: .customLong("dry-run"), help: "Print the resolved jobs and exit.")
    var dryRun = false

    @Flag(help: "No live status line and no result-path note.")
    var quiet = false

    @Flag(name: .customLong("allow-destructive"), help: "Allow writing to a block device that is mounted or holds data.")
    var allowDestructive = false

    @Argument(parsing: .allUnrecognized, help: "Job files and fio-style --option=value arguments.")
    var jobArguments: [String] = []

    func run() throws {
        guard (1...InputLimits.maxRepeat).contains(repeatCount) else {
            throw BlockLabError.usage("--repeat: \(repeatCount) is out of range (1 to \(InputLimits.maxRepeat))")
        }
        var session = RunSession(jobArguments: jobArguments)
        session.formats = try RunSession.Format.list(outputFormat)
        if let statusInterval {
            let ns = try Units.parseDuration(statusInterval, defaultUnitNs: NS.perSecond, what: "--status-interval")
            guard ns > 0 else { throw BlockLabError.usage("--status-interval: must be more than 0, got '\(Text.escaped(statusInterval))'") }
            session.statusIntervalNs = ns
        }
        session.repeatCount = repeatCount
        session.outputPath = output
        session.seriesPath = writeSeries
        session.resultsDirectory = resultsDir
        session.volume = volume
        session.instance = instance
        session.profilesDirectory = profiles
        session.target = target
        session.allowDestructive = allowDestructive
        session.quiet = quiet
        session.dryRun = dryRun
        let code = try session.execute(
            stdout: { FileHandle.standardOutput.write(($0.hasSuffix("\n") ? $0 : $0 + "\n").data(using: .utf8)!) },
            stderr: { printError($0) })
        if code != 0 { throw ExitCode(code) }
    }
}
