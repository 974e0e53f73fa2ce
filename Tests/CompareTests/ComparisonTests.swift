import BlockLabCore
import Foundation
import Testing
@testable import Compare

let compareTestsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

/// A synthetic run: `iops` and a latency distribution scaled by `latScale`.
func syntheticSample(_ name: String, volume: String, iops: Double, latScale: Double, rep: Int,
                     workload: [(key: String, value: String)] = [("rw", "randread"), ("bs", "4k"), ("iodepth", "32")]) -> RunSample {
    var s = RunSample(source: "\(volume)-\(name)-\(rep).json", name: name, producer: "blocklab-0.1.0", workload: workload)
    s.host = "node-1"
    s.volume = volume
    s.device = "file"
    s.seriesID = "s-\(volume)"
    s.repetition = rep
    var bins: [(UInt64, UInt64)] = []
    for i in 0..<1200 {
        bins.append((UInt64(50_000 * pow(1.004, Double(i)) * latScale), UInt64(10 + (i * 37 + rep * 11) % 5)))
    }
    s.histogram = LatencyHistogram(bins: bins)
    s.values[.iops] = iops
    s.values[.mibps] = iops * 4096 / 1_048_576
    s.values[.p50] = s.histogram.quantile(0.5)
    s.values[.p99] = s.histogram.quantile(0.99)
    s.values[.p999] = s.histogram.quantile(0.999)
    s.values[.cpuPerIO] = 3_000 + Double(rep * 17 % 50)
    s.values[.throttled] = volume.hasPrefix("gp3") ? 1.5 + Double(rep) * 0.01 : 0
    return s
}

/// gp3 against io2: randread 6 runs each (io2 faster), seqread 3 runs each (too few for an
/// interval or a test), and one io2 run that was host-bound.
func goldenSamples() -> [RunSample] {
    var out: [RunSample] = []
    let jitter: [Double] = [0, 13, -7, 21, -15, 4]
    for rep in 0..<6 {
        out.append(syntheticSample("randread-4k", volume: "gp3 500 GiB", iops: 3000 + jitter[rep], latScale: 1, rep: rep))
    }
    for rep in 0..<6 {
        out.append(syntheticSample("randread-4k", volume: "io2 500 GiB", iops: 16_000 + jitter[rep] * 5, latScale: 0.8, rep: rep))
    }
    let seq: [(key: String, value: String)] = [("rw", "read"), ("bs", "1m"), ("iodepth", "8")]
    for rep in 0..<3 {
        out.append(syntheticSample("seqread-1m", volume: "gp3 500 GiB", iops: 125 + Double(rep), latScale: 20, rep: rep, workload: seq))
        out.append(syntheticSample("seqread-1m", volume: "io2 500 GiB", iops: 250 - Double(rep), latScale: 10, rep: rep, workload: seq))
    }
    var bound = syntheticSample("randread-4k", volume: "io2 500 GiB", iops: 9_000, latScale: 1.5, rep: 6)
    bound.hostBound = "reached 9000 IOPS of 16000"
    out.append(bound)
    return out
}

@Suite struct ComparisonTests {
    @Test func groupsByWorkloadAndTargetAndKeepsMarkedRunsApart() throws {
        let c = try Comparison.make(goldenSamples())
        #expect(c.columns.map(\.label) == ["gp3 500 GiB", "io2 500 GiB", "io2 500 GiB [host-bound]"])
        #expect(c.baseline == 0)
        #expect(c.common.map(\.0) == ["tool", "host", "device"])
        let iops = try #require(c.tables.first { $0.metric == .iops })
        #expect(iops.rows.map(\.workload) == ["randread-4k", "seqread-1m"])
        let rr = iops.rows[0].cells
        #expect(rr[0]?.n == 6 && rr[1]?.n == 6 && rr[2]?.n == 1)
        #expect(rr[1]?.significant == true)
        #expect(rr[1]!.test!.p < 0.01)
        let jitter: [Double] = [0, 13, -7, 21, -15, 4]
        let expected = (Statistics.median(jitter.map { 16_000 + $0 * 5 })! / Statistics.median(jitter.map { 3000 + $0 })! - 1) * 100
        #expect(abs(rr[1]!.deltaPercent! - expected) < 1e-9)
        #expect(rr[1]?.interval != nil)
        // Three runs a side: no interval, no test, both said.
        let seq = iops.rows[1].cells
        #expect(seq[1]?.interval == nil && seq[1]?.test == nil)
        #expect(seq[1]?.warnings == ["ci", "test"])
        // The host-bound run is its own column, never in io2's samples.
        #expect(rr[2]?.median == 9_000)
        #expect(iops.geomean != nil)
    }

    @Test func tailRowsCarryABootstrapInterval() throws {
        let c = try Comparison.make(goldenSamples(), options: { var o = CompareOptions(); o.metrics = [.p99]; return o }())
        let cell = try #require(c.tables[0].rows[0].cells[1])
        let tail = try #require(cell.tail)
        #expect(tail.significant && tail.upper < 0, "io2 is faster in the tail: \(tail)")
        #expect(cell.isRegression(beyond: 0, higherIsBetter: false) == false)
    }

    @Test func regressionsAreSignificantChangesForTheWorseBeyondTheThreshold() throws {
        var o = CompareOptions()
        o.baseline = "io2 500 GiB"
        let c = try Comparison.make(goldenSamples(), options: o)
        let found = c.regressions(beyond: 50)
        #expect(found.contains { $0.hasPrefix("IOPS of randread-4k on gp3 500 GiB: -81.") }, "\(found)")
        // Not significant (3 runs a side) is never a regression, however large.
        #expect(!found.contains { $0.contains("seqread-1m") && $0.hasPrefix("IOPS") })
        #expect(c.regressions(beyond: 90).allSatisfy { !$0.hasPrefix("IOPS") })
        // io2 against gp3 is no regression at all in IOPS.
        #expect(try Comparison.make(goldenSamples()).regressions(beyond: 5).allSatisfy { !$0.hasPrefix("IOPS") })
    }

    @Test func unknownBaselineIsAUsageErrorListingTheColumns() {
        var o = CompareOptions()
        o.baseline = "st1"
        #expect(throws: BlockLabError.usage("--baseline st1: no column is called that (columns: gp3 500 GiB, io2 500 GiB, io2 500 GiB [host-bound])")) {
            try Comparison.make(goldenSamples(), options: o)
        }
    }

    @Test func mismatchedWorkloadsOfOneNameAreSplitAndNoted() throws {
        var samples = goldenSamples().filter { $0.name == "randread-4k" && $0.hostBound == nil }
        samples[7].workload = [("rw", "randread"), ("bs", "16k"), ("iodepth", "32")]
        let c = try Comparison.make(samples)
        #expect(c.tables[0].rows.count == 2)
        #expect(c.tables[0].rows[1].workload.contains("bs=16k") && c.tables[0].rows[1].workload.hasSuffix("(mismatched)"))
        #expect(c.notes.contains { $0.hasPrefix("mismatched: runs named randread-4k") })
    }

    @Test(arguments: CompareRenderer.Style.allCases) func renderingMatchesItsGoldenFile(_ style: CompareRenderer.Style) throws {
        let c = try Comparison.make(goldenSamples())
        let text = CompareRenderer.render(c, style: style)
        let path = compareTestsDirectory + "/Golden/compare.\(style.rawValue)"
        if ProcessInfo.processInfo.environment["BLOCKLAB_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == golden, "\(style): run with BLOCKLAB_UPDATE_GOLDEN=1 to see the difference in git")
        if style == .json {
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any])
        }
        if style == .csv {
            let lines = text.split(separator: "\n")
            #expect(lines.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 16 })
        }
    }
}
