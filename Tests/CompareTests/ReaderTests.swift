import BlockLabCore
import Foundation
import Testing
@testable import Compare

/// fio 3.33's own JSON and json+ (Fixtures/, written by `fio two.fio --output-format=json`
/// and `--output-format=json+` on a 2 MiB file), read by content.
@Suite struct ReaderTests {
    let fixtures = compareTestsDirectory + "/Fixtures"

    func tempDir() -> String {
        var t = Array((FileManager.default.temporaryDirectory.path + "/blocklab-compare.XXXXXX").utf8CString)
        return t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    @Test func fioJSONHasSeveralJobsAndPercentilesButNoHistogram() throws {
        let r = try ResultReader.read([fixtures + "/fio-json.json"])
        #expect(r.samples.map(\.name) == ["randread-4k", "seqread-64k"])
        let s = r.samples[0]
        #expect(s.producer == "fio-3.33")
        #expect(s.latencyBasis == "clat")
        #expect(s.histogram.isEmpty)
        #expect(s.workload.map(\.key) == ["rw", "bs", "direct"])
        #expect(s.device == "file")
        #expect((s.values[.iops] ?? 0) > 0 && (s.values[.p99] ?? 0) > 0 && (s.values[.p50] ?? 0) > 0)
        #expect(s.values[.throttled] == nil)
    }

    @Test func fioJSONPlusBinsBecomeTheHistogram() throws {
        let r = try ResultReader.read([fixtures + "/fio-jsonplus.json"])
        #expect(r.samples.count == 2)
        let s = r.samples[0]
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixtures + "/fio-jsonplus.json"))) as! [String: Any]
        let job = (doc["jobs"] as! [[String: Any]])[0]
        let clat = (job["read"] as! [String: Any])["clat_ns"] as! [String: Any]
        #expect(s.histogram.total == (clat["N"] as! NSNumber).uint64Value)
        // The p99 read from the bins is fio's own printed p99.
        let fioP99 = ((clat["percentile"] as! [String: Any])["99.000000"] as! NSNumber).doubleValue
        #expect(s.values[.p99] == fioP99)
    }

    @Test func directoriesAreWalkedAndStrayFilesSkipped() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures + "/fio-json.json", toPath: dir + "/a.result")
        try FileManager.default.copyItem(atPath: fixtures + "/fio-jsonplus.json", toPath: dir + "/sub/b")
        try "not a result\n".write(toFile: dir + "/README", atomically: true, encoding: .utf8)
        try "{\"t_ms\":1000,\"job\":\"a\",\"read\":{\"iops\":5}}\n".write(toFile: dir + "/series.jsonl", atomically: true, encoding: .utf8)
        let r = try ResultReader.read(["fast=" + dir])
        #expect(r.samples.count == 4)
        #expect(r.samples.allSatisfy { $0.label == "fast" })
        #expect(r.series.count == 1 && r.series[0].lines.count == 1)
        #expect(r.skipped.count == 1 && r.skipped[0].contains("README"))
    }

    /// A lab's run directory: only the results its lab.json names as workload steps are rows;
    /// its snapshot experiment's and validation's results are skipped unless named.
    @Test func aLabsOwnRunsAreNotWorkloadRows() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lab = dir + "/lab-1"
        try FileManager.default.createDirectory(atPath: lab, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures + "/fio-json.json", toPath: lab + "/read-gp3-1.json")
        try FileManager.default.copyItem(atPath: fixtures + "/fio-json.json", toPath: lab + "/validation-run.json")
        try FileManager.default.copyItem(atPath: fixtures + "/fio-json.json", toPath: lab + "/snapshot-first-touch.json")
        try "{\"blocklab_lab\": 1, \"steps\": [{\"result\": \"read-gp3-1.json\", \"status\": \"done\"}]}\n"
            .write(toFile: lab + "/lab.json", atomically: true, encoding: .utf8)
        let r = try ResultReader.read([dir])
        #expect(Set(r.samples.map(\.source)).count == 1 && r.samples.allSatisfy { $0.source.hasSuffix("read-gp3-1.json") })
        #expect(r.skipped.filter { $0.contains("the lab's own run") }.count == 2)
        // Named, it is read.
        #expect(try ResultReader.read([lab + "/validation-run.json"]).samples.count == 2)
        // Without a lab.json the directory is read whole.
        try FileManager.default.removeItem(atPath: lab + "/lab.json")
        #expect(try ResultReader.read([dir]).samples.count == 6)
    }

    @Test func aNamedFileThatIsNotAResultIsAUsageErrorNamingIt() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in [("notes.txt", "hello\n"), ("other.json", "{\"a\": 1}\n"), ("nojobs.json", "{\"fio version\": \"fio-3.33\", \"jobs\": []}\n"),
                             ("badbins.json", "{\"fio version\": \"fio-3.33\", \"jobs\": [{\"jobname\": \"x\", \"read\": {\"clat_ns\": {\"bins\": {\"x1\": 3}}}}]}\n")] {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            do {
                _ = try ResultReader.read([dir + "/" + name])
                Issue.record("\(name) was accepted")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2)
                #expect(e.description.contains(name), "\(e.description)")
            }
        }
        #expect(throws: BlockLabError.self) { try ResultReader.read([dir + "/missing.json"]) }
    }

    @Test func blockLabResultsCarryHostSeriesHistogramAndWindows() throws {
        // A BlockLab result as FioJSON writes it (trimmed to what the reader uses).
        let text = """
        {"fio version": "blocklab-0.1.0", "global options": {}, "jobs": [{"jobname": "r", "error": 0,
          "job options": {"rw": "randread", "bs": "4k", "iodepth": "4", "filename": "/var/tmp/x"},
          "read": {"total_ios": 100, "iops": 1000.5, "bw_bytes": 4098048, "clat_ns": {"percentile": {"99.000000": 7}}},
          "write": {"total_ios": 0, "iops": 0, "bw_bytes": 0}, "usr_cpu": 10, "sys_cpu": 20, "job_runtime": 100,
          "blocklab": {"host": "h1", "series": {"id": "s", "repetition": 2, "repetitions": 3}, "interrupted": false,
            "lat_percentiles_ns": {"read": {"99.000000": 9}},
            "lat_histogram_ns": {"read": {"bins": {"1000": 90, "5000": 9, "20000": 1}}},
            "windows": {"width_ns": [500000000, 500000000], "read": {"ios": [40, 60], "bytes": [163840, 245760], "width_ns": [500000000, 500000000]}},
            "target": {"path": "/var/tmp/x", "kind": "file"},
            "volume": {"model": {"type": "gp2", "size_gib": 100}, "throttled_ns": 2500000000,
                       "credit_buckets": [{"name": "io", "burst_balance_pct": 42.5}]}}}],
         "blocklab": {"interrupted": false}}
        """
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try text.write(toFile: dir + "/r.json", atomically: true, encoding: .utf8)
        let s = try #require(try ResultReader.read([dir + "/r.json"]).samples.first)
        #expect(s.host == "h1" && s.seriesID == "s" && s.repetition == 2)
        #expect(s.latencyBasis == "lat")
        #expect(s.values[.p99] == 5000 && s.values[.p50] == 1000 && s.values[.p999] == 20000)
        #expect(s.values[.throttled] == 2.5 && s.values[.burstBalance] == 42.5)
        #expect(abs(s.values[.cpuPerIO]! - 0.3 * 100e6 / 100) < 1e-6)
        #expect(s.volume == "gp2 100 GiB" && s.device == "file")
        #expect(s.windows?.ios == [40, 60])
    }
}

/// `blocklab recommend --format json`'s document (Fixtures/recommend-gp3.json, written by
/// `blocklab recommend --iops 6000 --bs 16k --read-pct 70 --capacity 500g --format json`) is
/// a recommendation the report reads as it is.
@Suite struct RecommendJSONTests {
    @Test func recommendsOwnJSONReadsAsASummary() throws {
        let r = try RecommendationSummary.read(compareTestsDirectory + "/Fixtures/recommend-gp3.json")
        #expect(r.chosen.volume == "gp3 500 GiB, 6,000 IOPS, 125 MiB/s")
        #expect(r.chosen.monthlyCostUSD == 55.0 && r.chosen.bindingLimit == "volume IOPS" && r.chosen.performanceRisk == 1)
        #expect(r.rejected.contains { $0.volume == "st1" && $0.reason.contains("charged 1MiB each") })
        #expect(r.pricing?.hasPrefix("us-east-1") == true)
        #expect(!r.alternatives.contains { $0.volume == r.chosen.volume })
        // What it was for, from recommend's own needs.
        #expect(r.need == "6000 IOPS of 16KiB, 93.8 MiB/s, 70 % reads, random, 500 GiB, must survive a stop", "\(r.need ?? "nil")")
    }
}

/// A repetition index from a file is range-checked (the report adds one to print it).
@Suite struct HostileRepetitionTests {
    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "rep-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func hugeRepetitionsAreUsageErrors() throws {
        let series = try write(#"{"t_ms":1000,"job":"a","repetition":9223372036854775807}"# + "\n")
        defer { unlink(series) }
        #expect(throws: BlockLabError.self) { _ = try ResultReader.read([series]) }
        let result = try write(#"{"fio version":"blocklab-0.1.0","jobs":[{"jobname":"a","groupid":0,"job options":{},"read":{"io_bytes":4096,"total_ios":1,"iops":1,"bw_bytes":4096,"runtime":1000,"lat_ns":{"mean":1}},"write":{"io_bytes":0,"total_ios":0,"iops":0,"bw_bytes":0,"runtime":0,"lat_ns":{"mean":0}},"blocklab":{"series":{"id":"x","repetition":9223372036854775807,"repetitions":2}}}]}"#)
        defer { unlink(result) }
        #expect(throws: BlockLabError.self) { _ = try ResultReader.read([result]) }
        #expect(ResultReader.validRepetition(NSNumber(value: 3)) == 3 && ResultReader.validRepetition(NSNumber(value: -1)) == nil)
    }
}
