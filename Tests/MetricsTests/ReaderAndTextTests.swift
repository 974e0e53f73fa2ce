import BlockLabCore
import Foundation
import Testing
@testable import Metrics

@Suite struct FioJSONSummaryTests {
    @Test func readsRealFioOutput() throws {
        let s = try FioJSONSummary.parse(Array(FioFixtures.randrw.utf8), source: "randrw.json")
        #expect(s.producer == "fio-3.33")
        #expect(s.jobs.count == 1)
        let j = s.jobs[0]
        #expect(j.name == "t")
        #expect(j.read.iops == 35843.578211)
        #expect(j.read.bwBytesPerSec == 146815296)
        #expect(j.read.meanLatNs == 76653.080183)
        #expect(j.read.p99ClatNs == 130560)
        #expect(j.read.p99LatNs == 0) // fio prints lat percentiles only with lat_percentiles=1
        #expect(j.write.ios == 71199)
        #expect(j.usrCPU == 6.85 && j.sysCPU == 45.75)
        #expect(j.runtimeMs == 2000 && j.read.runtimeMs == 2001)
    }

    @Test func readsGroupReportingOutputAfterWarnings() throws {
        let text = "fio: some warning printed into the stream\n" + FioFixtures.groupReporting
        let s = try FioJSONSummary.parse(Array(text.utf8), source: "group.json")
        #expect(s.jobs.count == 1)
        #expect(s.jobs[0].read.iops == 140431.784108)
        #expect(s.jobs[0].write.iops == 0)
    }

    @Test func readsOurOwnOutput() throws {
        let run = sampleRun()
        for indent in [0, 2] {
            let s = try FioJSONSummary.parse(Array(FioJSON.document(run).serialized(indent: indent).utf8), source: "ours.json")
            #expect(s.producer == "blocklab-0.1.0")
            let r = s.jobs[0].read, want = run.jobs[0].read
            #expect(abs(r.iops - want.iops) < 1e-5)
            #expect(r.bwBytesPerSec == Double(UInt64(want.bwBytesPerSec)))
            #expect(r.p99ClatNs == Double(want.clat.percentile(99)))
            #expect(abs(r.meanLatNs - want.lat.mean) < 1e-5)
            #expect(r.p99LatNs == Double(want.lat.percentile(99)))
            #expect(s.total(.read).iops == r.iops)
        }
    }

    @Test func lastOfConcatenatedDocumentsWins() throws {
        let first = FioFixtures.groupReporting, second = FioFixtures.randrw
        let s = try FioJSONSummary.parse(Array((first + "\n" + second).utf8), source: "status.json")
        #expect(s.jobs[0].name == "t")
    }

    @Test func rejectsNonFioInput() {
        #expect(throws: BlockLabError.self) { try FioJSONSummary.parse(Array("hello".utf8), source: "x") }
        #expect(throws: BlockLabError.self) { try FioJSONSummary.parse(Array("{\"a\": 1}".utf8), source: "x") }
    }
}

@Suite struct TextAndSeriesTests {
    @Test func normalReportNamesFigures() {
        let text = NormalReport.render(sampleRun())
        #expect(text.hasPrefix("t: (groupid=0, jobs=1): err=0"))
        #expect(text.contains("read: IOPS="))
        #expect(text.contains("clat percentiles"))
        #expect(text.contains("IO depths    : 1=0.0%, 2=0.0%, 4=100.0%"))
    }

    @Test func tableHasOneLinePerJob() {
        var run = sampleRun()
        run.jobs.append(syntheticJob(name: "second", ios: 100, latBase: 5000, runtimeMs: 1000))
        let lines = NormalReport.table(run).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("job"))
        #expect(lines[2].hasPrefix("second"))
        #expect(lines[1].contains("randrw"))
    }

    @Test func seriesLineIsOneCompactJSONObject() throws {
        var f = IntervalFigures(startNs: 5_000_000_000, endNs: 6_000_000_000)
        f.relativeStartNs = 1_000_000_000
        f.ios = [100, 50]
        f.bytes = [409_600, 204_800]
        f.meanLatNs = [1200, 3400]
        let line = SeriesLine.json(interval: f, job: "j1", extra: [("burst_balance", 97.5)])
        #expect(!line.contains("\n"))
        let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(o["t_ms"] as? Double == 2000)
        #expect(o["job"] as? String == "j1")
        #expect((o["read"] as? [String: Any])?["iops"] as? Double == 100)
        #expect((o["write"] as? [String: Any])?["bw_bytes"] as? Double == 204_800)
        #expect((o["write"] as? [String: Any])?["mean_lat_ns"] as? Double == 3400)
        #expect(o["burst_balance"] as? Double == 97.5)
    }
}
