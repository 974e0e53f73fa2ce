import ArgumentParser
import BlockLabCore
import Compare
import Foundation

/// `blocklab compare FILE|DIR...`: is B really faster than A.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare BlockLab and fio results: medians with 95 % intervals, Mann-Whitney U tests, bootstrap tail latency.",
        discussion: """
        Reads BlockLab results and fio's --output-format=json or json+ (recognised by content;
        directories are walked). Rows are workloads (job names), columns targets (tool, host,
        volume, device, or LABEL from a LABEL=PATH argument); runs repeated with
        `blocklab run --repeat N` or collected from several files are the samples.
          blocklab compare gp3/ io2/
          blocklab compare before=old.json after=new.json --metric p99 --fail-on-regression 5
        """)

    @Option(help: "table, markdown, csv or json.")
    var format: String = "table"

    @Option(name: .customLong("metric"), help: "Compare only these figures (repeatable or comma-separated): iops, mib/s, p50, p99, p99.9, cpu/io, throttled, burst.")
    var metrics: [String] = []

    @Option(help: "The baseline column (its label or one of its components); default the first column of clean runs.")
    var baseline: String?

    @Option(name: .customLong("fail-on-regression"), help: "Exit 1 when a change for the worse beyond PCT percent is significant.")
    var failOnRegression: Double?

    @Option(help: "Latency percentiles from: lat (fio's, in both tools) or due (BlockLab's latency from when each I/O was due under a rate; fio does not measure it).")
    var latency: String = "lat"

    @Option(help: "Significance level of the tests.")
    var alpha: Double = 0.05

    @Option(help: "Write the comparison to this file (atomically) instead of stdout.")
    var output: String?

    @Argument(help: "Result files or directories (LABEL=PATH labels a path's runs).")
    var paths: [String] = []

    func run() throws {
        let text = try CompareSession.run(paths: paths, format: format, metrics: metrics, baseline: baseline,
                                          alpha: alpha, latency: latency, failOnRegression: failOnRegression, output: output,
                                          stderr: { printError($0) })
        if let out = text.output { FileHandle.standardOutput.write(out.data(using: .utf8)!) }
        if text.regressed { throw ExitCode(1) }
    }
}

/// What `compare` does between its flags and its exit, callable from tests.
enum CompareSession {
    static func options(format: String, metrics: [String], baseline: String?, alpha: Double) throws -> (CompareOptions, CompareRenderer.Style) {
        guard let style = CompareRenderer.Style(rawValue: format) else {
            throw BlockLabError.usage("--format: '\(Text.escaped(format))' is not one of table, markdown, csv, json")
        }
        guard alpha > 0 && alpha < 1 else { throw BlockLabError.usage("--alpha: \(alpha) is not between 0 and 1") }
        var opts = CompareOptions()
        opts.alpha = alpha
        opts.baseline = baseline
        let names = metrics.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if !names.isEmpty {
            opts.metrics = try names.map { n in
                guard let m = Metric.parse(n) else {
                    throw BlockLabError.usage("--metric: '\(Text.escaped(n))' is not one of \(Metric.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return m
            }
        }
        return (opts, style)
    }

    /// `--latency`'s value, checked.
    static func latencyChoice(_ text: String) throws -> LatencyChoice {
        guard let c = LatencyChoice(rawValue: text) else {
            throw BlockLabError.usage("--latency: '\(Text.escaped(text))' is not one of \(LatencyChoice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return c
    }

    static func run(paths: [String], format: String, metrics: [String], baseline: String?, alpha: Double, latency: String = "lat",
                    failOnRegression: Double?, output: String?, stderr: (String) -> Void) throws -> (output: String?, regressed: Bool) {
        let (opts, style) = try options(format: format, metrics: metrics, baseline: baseline, alpha: alpha)
        let latencyChoice = try latencyChoice(latency)
        if let pct = failOnRegression, !(pct >= 0 && pct <= 1_000_000) {
            throw BlockLabError.usage("--fail-on-regression: \(pct) is not a percentage from 0 to 1000000")
        }
        guard !paths.isEmpty else { throw BlockLabError.usage("compare: give result files or directories") }
        let out = try output.map { try OutputFile.check($0, what: "--output") }
        let read = try ResultReader.read(paths, latency: latencyChoice)
        for s in read.skipped { stderr("note: skipped \(s)") }
        guard !read.samples.isEmpty else { throw BlockLabError.usage("compare: no results in \(paths.map(Text.escaped).joined(separator: ", "))") }
        let comparison = try Comparison.make(read.samples, options: opts)
        let text = CompareRenderer.render(comparison, style: style)
        var regressed = false
        if let pct = failOnRegression {
            let found = comparison.regressions(beyond: pct)
            for r in found { stderr("regression: \(r)") }
            regressed = !found.isEmpty
        }
        if let out { try out.write(text); return (nil, regressed) }
        return (text, regressed)
    }
}
