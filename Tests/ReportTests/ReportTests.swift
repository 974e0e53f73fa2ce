import BlockLabCore
import Compare
import Foundation
import Testing
@testable import Report

/// The HTML report, opened in a real browser (headless Chromium from Debian's packages;
/// `make deps` installs it). Fixtures: a gp2 run that ran out of credits (its result and its
/// --write-series file, written by blocklab), a `--repeat 3` run, fio 3.33's json+.
@Suite(.serialized) struct ReportTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
    static let fixtures = here + "/Fixtures"
    static let fioFixtures = here + "/../CompareTests/Fixtures"

    func tempDir() -> String {
        var t = Array((FileManager.default.temporaryDirectory.path + "/blocklab-report.XXXXXX").utf8CString)
        return t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func makeReport(prices: Bool = true, recommendation: Bool = true) throws -> String {
        let read = try ResultReader.read([Self.fixtures, Self.fioFixtures + "/fio-jsonplus.json"])
        let comparison = try Comparison.make(read.samples)
        let table = prices ? Pricing(region: "us-east-1", source: "test table") { type, gib, _, _ in
            ["gp2": 0.10, "gp3": 0.08][type].map { $0 * gib }
        } : nil
        let reco = recommendation ? try RecommendationSummary.read(Self.fixtures + "/recommendation.json") : nil
        return HTMLReport.render(HTMLReport.Input(results: read, comparison: comparison, recommendation: reco, prices: table,
                                                  title: "test <report>", generated: "2026-11-30T00:00:00Z"))
    }

    /// Runs headless Chromium on `html`; returns the rendered DOM and Chromium's log.
    func chromium(_ html: String) throws -> (dom: String, log: String) {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let chromium else {
            throw BlockLabError.usage("chromium is not installed (make deps installs it; apt-get install -y chromium)")
        }
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let page = dir + "/report.html"
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--user-data-dir=\(dir)/profile",
                       "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", "file://" + page]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes while it runs so neither fills up.
        final class Box: @unchecked Sendable { var data = Data() }
        let dom = Box(), log = Box()
        let g = DispatchGroup()
        g.enter(); DispatchQueue.global().async { dom.data = out.fileHandleForReading.readDataToEndOfFile(); g.leave() }
        g.enter(); DispatchQueue.global().async { log.data = err.fileHandleForReading.readDataToEndOfFile(); g.leave() }
        p.waitUntilExit()
        g.wait()
        return (String(decoding: dom.data, as: UTF8.self), String(decoding: log.data, as: UTF8.self))
    }

    func bodyAttribute(_ dom: String, _ name: String) -> Int? {
        guard let r = dom.range(of: "\(name)=\"") else { return nil }
        return Int(dom[r.upperBound...].prefix { $0.isNumber })
    }

    @Test func everyChartRendersWithDataAndThePageLogsNoErrors() throws {
        let html = try makeReport()
        let (dom, log) = try chromium(html)
        let charts = try #require(bodyAttribute(dom, "data-charts"), "the page's check did not run: \(log.suffix(2000))")
        // Bars (IOPS, MiB/s), cost bars, the gp2 series (IOPS, throughput), latency plots
        // (g, a, b, fio's two jobs); the repeat runs lasted under one 500 ms window, so they
        // have no timeline.
        #expect(charts == 3 + 2 + 5)
        #expect(bodyAttribute(dom, "data-charts-drawn") == charts)
        let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        #expect(console.isEmpty, "console: \(console)")
        #expect(dom.contains("data-kind=\"timeline\"") && dom.contains("data-kind=\"latency\"") && dom.contains("data-kind=\"bars\""))
    }

    @Test func theBrowserCheckCatchesAnEmptyChart() throws {
        // The negative control: a chart with nothing drawn is reported on the console.
        let empty = SVG.lineChart(title: "empty", kind: "timeline", x: SVG.Axis(lower: 0, upper: 1, log: false, format: { "\($0)" }),
                                  y: SVG.Axis(lower: 0, upper: 1, log: false, format: { "\($0)" }), xLabel: "x", yLabel: "y", lines: [])
        let (dom, log) = try chromium(HTMLReport.page(title: "t", body: empty))
        #expect(bodyAttribute(dom, "data-charts") == 1)
        #expect(bodyAttribute(dom, "data-charts-drawn") == 0)
        #expect(log.contains(":CONSOLE") && log.contains("charts without data: empty"))
    }

    @Test func thePageIsSelfContained() throws {
        let html = try makeReport()
        // The only URL is SVG's namespace, which is a name, never fetched; the policy forbids fetches.
        let urls = html.components(separatedBy: "http").dropFirst().map { "http" + $0.prefix(40) }
        #expect(urls.allSatisfy { $0.hasPrefix("http://www.w3.org/2000/svg") || $0.hasPrefix("http-equiv") }, "\(urls)")
        #expect(html.contains("default-src 'none'"))
        #expect(!html.contains("<link") && !html.contains("src=\""))
        // Text from the files is escaped.
        #expect(html.contains("test &lt;report&gt;") && !html.contains("test <report>"))
    }

    @Test func theCreditCliffIsShadedWithItsCauseAndTheRecommendationAndCostAreShown() throws {
        let html = try makeReport()
        #expect(html.contains("volume burst credits empty (baseline 100 IOPS)"))
        #expect(html.contains("gp3 500 GiB, 6,000 IOPS, 250 MiB/s") && html.contains("$65.00 a month"))
        #expect(html.contains("st1: 4 KiB random reads are charged 1 MiB each, 250 IOPS at most"))
        // gp2 10 GiB at $0.10 per GB-month.
        #expect(html.contains("<td>$1.00</td>"))
        let bare = try makeReport(prices: false, recommendation: false)
        #expect(!bare.contains("Recommendation") && bare.contains("No price table"))
    }

    @Test func throttledIntervalsAreAttributedToTheLimitTheyReached() {
        var limits = HTMLReport.Limits(nil)
        limits.peakIOPS = 3000; limits.peakBytes = 125 * 1_048_576; limits.baselineIOPS = 300
        limits.instanceIOPS = 18_750; limits.instanceBytes = 593.75 * 1_048_576
        #expect(HTMLReport.attribute(burst: 0, instanceBurst: nil, ebsOpsPerSec: 300, bytesPerSec: 1e6, limits: limits).0
                == "volume burst credits empty (baseline 300 IOPS)")
        #expect(HTMLReport.attribute(burst: 80, instanceBurst: nil, ebsOpsPerSec: 2990, bytesPerSec: 1e6, limits: limits).0 == "volume IOPS limit (3000)")
        #expect(HTMLReport.attribute(burst: 80, instanceBurst: nil, ebsOpsPerSec: 500, bytesPerSec: 124 * 1_048_576, limits: limits).0.hasPrefix("volume throughput limit"))
        #expect(HTMLReport.attribute(burst: nil, instanceBurst: 0, ebsOpsPerSec: 500, bytesPerSec: 1e6, limits: limits).0 == "instance burst credits empty")
        #expect(HTMLReport.attribute(burst: nil, instanceBurst: 50, ebsOpsPerSec: 500, bytesPerSec: 1e6, limits: limits).0 == "throttled (limit not identified)")
    }

    @Test func badRecommendationFilesAreUsageErrorsNamingThem() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in [("reco.json", "{\"rejected\": []}"), ("neg.json", "{\"chosen\": {\"volume\": \"x\", \"monthly_cost_usd\": -1}}")] {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            do { _ = try RecommendationSummary.read(dir + "/" + name); Issue.record("\(name) accepted") } catch let e as BlockLabError {
                #expect(e.exitCode == 2 && e.description.contains(name), "\(e.description)")
            }
        }
        // The recommendation round-trips through its JSON shape.
        let r = RecommendationSummary(chosen: .init(volume: "io2 100 GiB", monthlyCostUSD: 4058.1, bindingLimit: "volume IOPS", performanceRisk: 1),
                                      rejected: [.init(volume: "instance store", reason: "data must survive a stop")])
        let back = try JSONDecoder().decode(RecommendationSummary.self, from: JSONEncoder().encode(r))
        #expect(back == r)
    }
}
