import BlockLabCore
import Foundation
import Testing
@testable import Metrics

/// What comparisons need from a result: the host, the series mark, the merged latency
/// histogram and the per-window figures, all under the job's `blocklab` key.
@Suite struct ComparisonFieldsTests {
    @Test func hostSeriesHistogramAndWindowsAreWrittenUnderBlocklab() throws {
        var j = syntheticJob(name: "t", ios: 4000, latBase: 20_000, runtimeMs: 2000)
        j.host = "node-7"
        j.series = SeriesMark(id: "s1", repetition: 2, repetitions: 5)
        let doc = FioJSON.document(RunResult(jobs: [j], timestampMs: 0))
        guard case .array(let jobs)? = doc["jobs"] else { Issue.record("no jobs"); return }
        let bl = try #require(jobs[0]["blocklab"])
        #expect(bl["host"] == .string("node-7"))
        #expect(bl["series"]?["id"] == .string("s1"))
        #expect(bl["series"]?["repetition"] == .int(2))
        #expect(bl["series"]?["repetitions"] == .int(5))
        // Every I/O of each direction is in exactly one bin, and the bins are ascending.
        for d in [IODirection.read, .write] {
            guard case .object(let bins)? = bl["lat_histogram_ns"]?[d.name]?["bins"] else { Issue.record("no \(d.name) bins"); return }
            let total = bins.reduce(UInt64(0)) { $0 + ($1.1.uintValue ?? 0) }
            #expect(total == j.directions[d.rawValue].ios)
            let values = bins.compactMap { UInt64($0.0) }
            #expect(values == values.sorted() && values.count == bins.count)
            #expect(values.first! >= j.directions[d.rawValue].lat.min / 2 && values.last! <= j.directions[d.rawValue].lat.max * 2)
        }
        guard case .array(let ios)? = bl["windows"]?["read"]?["ios"] else { Issue.record("no windows"); return }
        #expect(ios.reduce(UInt64(0)) { $0 + ($1.uintValue ?? 0) } == j.read.ios)
        #expect(ios.count == j.read.windowIOs.count && ios.count >= 4)
    }

    @Test func mergeKeepsHostAndSeries() {
        var a = syntheticJob(name: "a", ios: 100, latBase: 1000, runtimeMs: 100)
        a.host = "h"
        a.series = SeriesMark(id: "x", repetition: 0, repetitions: 2)
        let g = JobResult.merge([a, syntheticJob(name: "b", ios: 100, latBase: 1000, runtimeMs: 100)], name: "g")
        #expect(g.host == "h")
        #expect(g.series == SeriesMark(id: "x", repetition: 0, repetitions: 2))
    }

    @Test func binsReproduceThePercentiles() {
        var s = LatencyStats()
        for i in 0..<10_000 { s.record(UInt64(1000 + (i * 7919) % 90_000)) }
        let bins = s.bins
        #expect(bins.reduce(UInt64(0)) { $0 + $1.count } == 10_000)
        // The 99th percentile read back from the bins is the histogram's own.
        var seen: UInt64 = 0
        var p99: UInt64 = 0
        for b in bins { seen += b.count; if seen >= 9_900 { p99 = b.valueNs; break } }
        #expect(p99 == s.percentile(99))
    }
}
