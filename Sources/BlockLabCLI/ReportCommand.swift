import ArgumentParser
import BlockLabCore
import Compare
import Foundation
import Lab
import Report
import VolumeModel

/// `blocklab report FILE|DIR... --html OUT.html`: the whole story on one page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page (inline SVG) from BlockLab and fio results and series files.",
        discussion: """
        The page holds the comparison table (as `blocklab compare`), bars per volume and
        workload, monthly cost and IOPS per dollar, IOPS and throughput over time with the
        burst balance and each throttled stretch's binding limit, HDR-style latency plots, and
        the recommendation when --recommendation gives one. It fetches nothing.
          blocklab report results/ series.jsonl --html report.html
        """)

    @Option(help: "Write the page here (atomically).")
    var html: String

    @Option(help: "A recommendation JSON file to show (`chosen`, `alternatives`, `rejected`).")
    var recommendation: String?

    @Option(help: "A price table (default: profiles/prices/us-east-1.yaml when present).")
    var prices: String?

    @Option(help: "Profiles directory (for the default price table).")
    var profiles: String?

    @Option(help: "The baseline column of the comparison.")
    var baseline: String?

    @Option(name: .customLong("metric"), help: "Compare only these figures (as `compare --metric`).")
    var metrics: [String] = []

    @Option(help: "Latency percentiles from: lat or due (as `compare --latency`).")
    var latency: String = "lat"

    @Option(help: "The page's title.")
    var title: String = "BlockLab report"

    @Argument(help: "Result files, series files or directories (LABEL=PATH labels a path's runs).")
    var paths: [String] = []

    func run() throws {
        let defaultPrices = (profiles ?? ProfileStore.defaultDirectory(cwd: FileManager.default.currentDirectoryPath)) + "/prices/us-east-1.yaml"
        try ReportSession.run(paths: paths, html: html, recommendation: recommendation,
                              prices: prices ?? (FileManager.default.fileExists(atPath: defaultPrices) ? defaultPrices : nil),
                              baseline: baseline, metrics: metrics, latency: latency, title: title, stderr: { printError($0) })
    }
}

enum ReportSession {
    static func run(paths: [String], html: String, recommendation: String?, prices: String?, baseline: String?,
                    metrics: [String], latency: String = "lat", title: String, now: Date = Date(), stderr: (String) -> Void) throws {
        let (opts, _) = try CompareSession.options(format: "table", metrics: metrics, baseline: baseline, alpha: 0.05)
        let latencyChoice = try CompareSession.latencyChoice(latency)
        guard !paths.isEmpty else { throw BlockLabError.usage("report: give result files or directories") }
        guard title.count <= 200 else { throw BlockLabError.usage("--title: longer than 200 characters") }
        // Everything is checked and read before the page is written.
        let out = try OutputFile.check(html, what: "--html")
        let reco = try recommendation.map(RecommendationSummary.read)
        let table = try prices.map { Pricing(try PriceTable.read($0)) }
        let read = try ResultReader.read(paths, latency: latencyChoice)
        for s in read.skipped { stderr("note: skipped \(s)") }
        guard !read.samples.isEmpty else {
            throw BlockLabError.usage("report: no results in \(paths.map(Text.escaped).joined(separator: ", "))")
        }
        let comparison = try Comparison.make(read.samples, options: opts)
        let formatter = ISO8601DateFormatter()
        let page = HTMLReport.render(HTMLReport.Input(results: read, comparison: comparison, recommendation: reco, prices: table,
                                                      title: title, generated: formatter.string(from: now)))
        try out.write(page)
    }
}
