import BlockLabCore
import Foundation
import Glibc
import Testing
@testable import BlockLabCLI
import Metrics
import Repetition

/// `blocklab run` end to end, minus process exit: jobs -> engine -> files.
@Suite(.serialized) struct RunSessionTests {
    let dir: String = {
        var template = Array((FileManager.default.temporaryDirectory.path + "/blocklab-cli.XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }()

    func session(_ args: [String]) -> RunSession {
        var s = RunSession(jobArguments: args)
        s.resultsDirectory = dir + "/results"
        s.quiet = true
        return s
    }

    func jsonObject(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func jsonOutputIsOneValidFioShapedDocument() throws {
        var s = session(["--name=j", "--rw=randrw", "--bs=4k", "--size=2m", "--iodepth=4", "--filename=\(dir)/j.dat"])
        s.format = .json
        s.outputPath = dir + "/out.json"
        var stdout = ""
        let code = try s.execute(stdout: { stdout += $0 }, stderr: { _ in })
        #expect(code == 0)
        #expect(stdout.isEmpty)
        let doc = try jsonObject(dir + "/out.json")
        let jobs = try #require(doc["jobs"] as? [[String: Any]])
        #expect(jobs.count == 1)
        #expect(jobs[0]["jobname"] as? String == "j")
        let read = try #require(jobs[0]["read"] as? [String: Any])
        let write = try #require(jobs[0]["write"] as? [String: Any])
        let total = (read["total_ios"] as? Int ?? -1) + (write["total_ios"] as? Int ?? -1)
        #expect(total == 512)
        #expect(jobs[0]["blocklab"] != nil)
        #expect(doc["fio version"] != nil)
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func withoutOutputTheJSONIsSavedUnderResultsWithADescriptiveName() throws {
        let s = session(["--name=seqw", "--rw=write", "--bs=64k", "--size=1m", "--filename=\(dir)/w.dat"])
        var text = ""
        _ = try s.execute(stdout: { text += $0 }, stderr: { _ in })
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/results")
        #expect(files.count == 1)
        let name = try #require(files.first)
        #expect(name.hasSuffix("-seqw-write-64k-qd1.json"), "\(name)")
        _ = try jsonObject(dir + "/results/" + name)
        #expect(text.contains("seqw"))
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func seriesFileHoldsOneJSONObjectPerLine() throws {
        var s = session(["--name=ser", "--rw=randread", "--bs=4k", "--size=1m", "--time_based", "--runtime=2",
                         "--filename=\(dir)/s.dat"])
        s.seriesPath = dir + "/series.jsonl"
        _ = try s.execute(stdout: { _ in }, stderr: { _ in })
        let lines = try String(contentsOfFile: dir + "/series.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
        }
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func repeatRunsEachJobNTimesRoundRobinInAlternatingOrderAsOneSeries() throws {
        var s = session(["--name=a", "--rw=randread", "--bs=4k", "--size=1m", "--filename=\(dir)/a.dat",
                         "--name=b", "--rw=read", "--bs=64k", "--size=1m", "--filename=\(dir)/b.dat"])
        s.repeatCount = 3
        s.format = .json
        s.outputPath = dir + "/rep.json"
        #expect(try s.execute(stdout: { _ in }, stderr: { _ in }) == 0)
        let doc = try jsonObject(dir + "/rep.json")
        let jobs = try #require(doc["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["jobname"] as? String ?? "?" } == ["a", "b", "b", "a", "a", "b"])
        let marks = jobs.compactMap { ($0["blocklab"] as? [String: Any])?["series"] as? [String: Any] }
        #expect(marks.count == 6)
        #expect(Set(marks.compactMap { $0["id"] as? String }).count == 1)
        #expect(marks.map { $0["repetition"] as? Int ?? -1 } == [0, 0, 1, 1, 2, 2])
        #expect(marks.allSatisfy { $0["repetitions"] as? Int == 3 })
        let hosts = jobs.compactMap { ($0["blocklab"] as? [String: Any])?["host"] as? String }
        #expect(hosts.count == 6 && !hosts[0].isEmpty)
        #expect(RepeatedRun.order(jobs: 3, repetition: 1) == [2, 1, 0])
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func repeatOutOfRangeIsRejected() throws {
        for bad in ["0", "1001"] {
            var command = try BlockLabCommand.parseAsRoot(["run", "--repeat=\(bad)", "--name=a"])
            #expect(throws: BlockLabError.self) { try command.run() }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func dryRunPrintsTheResolvedJobWithoutDoingIO() throws {
        var s = session(["--name=dry", "--rw=randread", "--bs=4k", "--size=1g", "--filename=\(dir)/never.dat"])
        s.dryRun = true
        var out = ""
        #expect(try s.execute(stdout: { out += $0 }, stderr: { _ in }) == 0)
        #expect(out.contains("dry"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/never.dat"))
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func unknownOptionIsAUsageErrorNamingIt() throws {
        let s = session(["--name=x", "--rw=read", "--frobnicate=3"])
        do {
            _ = try s.execute(stdout: { _ in }, stderr: { _ in })
            Issue.record("expected an error")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
            #expect(e.description.contains("frobnicate"))
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func badOutputFormatIsRejected() throws {
        var command = try BlockLabCommand.parseAsRoot(["run", "--output-format=xml", "--name=a"])
        #expect(throws: BlockLabError.usage("--output-format: 'xml' is not one of normal, json, json+, table (or a comma list of them)")) { try command.run() }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func badVolumeOrInstanceFailsBeforeAnyFileIsLaidOut() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let args = ["--name=v", "--rw=randread", "--bs=4k", "--size=1m", "--filename=\(dir)/v.dat"]
        var s = session(args)
        s.profilesDirectory = FileManager.default.currentDirectoryPath + "/profiles"
        for (volume, instance, fragment) in [("gp3:size=500g,iops=90000", nil, "iops"), ("gp9:size=1g", nil, "gp9"),
                                             ("gp3:size=500g", "m9.huge", "m9.huge"), (nil, "m5.large", "give --volume too")] as [(String?, String?, String)] {
            s.volume = volume
            s.instance = instance
            do {
                _ = try s.execute(stdout: { _ in }, stderr: { _ in })
                Issue.record("expected \(volume ?? "-") \(instance ?? "-") to fail")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2)
                #expect(e.description.contains(fragment), "\(e)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/v.dat"))
    }

    @Test func jobLargerThanTheEmulatedVolumeIsRejected() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        /// Runs `args` on a 1 GiB gp3 and expects exit code 2 with `fragment` in the message.
        func expectRejected(_ args: [String], _ fragment: String) {
            var s = session(args)
            s.profilesDirectory = FileManager.default.currentDirectoryPath + "/profiles"
            s.volume = "gp3:size=1g"
            do {
                _ = try s.execute(stdout: { _ in }, stderr: { _ in })
                Issue.record("expected \(args) on a 1 GiB volume to fail")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2)
                #expect(e.description.contains(fragment), "\(e)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        expectRejected(["--name=big", "--rw=randread", "--bs=4k", "--size=2g", "--filename=\(dir)/big.dat"], "outside the emulated")
        #expect(!FileManager.default.fileExists(atPath: dir + "/big.dat"))
        // Without size= the region is the whole target: checked once the target is known.
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/sparse.dat"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let fd = open(path, O_WRONLY)
        #expect(fd >= 0 && ftruncate(fd, 2 << 30) == 0)
        close(fd)
        expectRejected(["--name=whole", "--rw=randread", "--bs=4k", "--filename=\(path)"], "beyond the emulated")
    }

    @Test func shapedRunRecordsTheVolumeModelAndCreditSeries() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = session(["--name=g", "--rw=randread", "--bs=4k", "--iodepth=16", "--size=4m", "--filename=\(dir)/g.dat",
                         "--time_based", "--runtime=2"])
        s.profilesDirectory = FileManager.default.currentDirectoryPath + "/profiles"
        s.volume = "gp2:size=100g,burst-balance=50%"
        s.format = .json
        s.outputPath = dir + "/g.json"
        s.seriesPath = dir + "/g.jsonl"
        #expect(try s.execute(stdout: { _ in }, stderr: { _ in }) == 0)
        let doc = try jsonObject(dir + "/g.json")
        let job = try #require((doc["jobs"] as? [[String: Any]])?.first)
        let volume = try #require((job["blocklab"] as? [String: Any])?["volume"] as? [String: Any])
        #expect((volume["model"] as? [String: Any])?["type"] as? String == "gp2")
        let iops = try #require((job["read"] as? [String: Any])?["iops"] as? Double)
        #expect(iops < 3000 * 1.1, "gp2 bursts to 3,000 IOPS at most; got \(iops)")
        let first = try #require(try String(contentsOfFile: dir + "/g.jsonl", encoding: .utf8).split(separator: "\n").first)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(line["burst_balance_pct"] != nil, "\(line)")
    }

    @Test func outputPathsInMissingDirectoriesFailBeforeTheRun() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (output, series) in [(dir + "/no/such/out.json", nil), (nil, dir + "/missing/s.jsonl")] as [(String?, String?)] {
            var s = session(["--name=o", "--rw=write", "--bs=4k", "--size=1m", "--filename=\(dir)/o.dat"])
            s.outputPath = output
            s.seriesPath = series
            do {
                _ = try s.execute(stdout: { _ in }, stderr: { _ in })
                Issue.record("expected an error")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2)
                #expect(e.description.contains("does not exist"))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/o.dat"))
    }
}

/// `blocklab compare` between its flags and its exit.
@Suite struct CompareSessionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/CompareTests/Fixtures"

    func run(_ paths: [String], format: String = "table", metrics: [String] = [], baseline: String? = nil,
             fail: Double? = nil) throws -> (output: String?, regressed: Bool) {
        try CompareSession.run(paths: paths, format: format, metrics: metrics, baseline: baseline, alpha: 0.05,
                               failOnRegression: fail, output: nil, stderr: { _ in })
    }

    @Test func fioFilesCompareInEveryFormat() throws {
        for format in ["table", "markdown", "csv", "json"] {
            let out = try run(["json=" + Self.fixtures + "/fio-json.json", "plus=" + Self.fixtures + "/fio-jsonplus.json"], format: format)
            #expect(out.output?.contains("randread-4k") == true, "\(format)")
            #expect(!out.regressed)
        }
        let csv = try run([Self.fixtures + "/fio-json.json"], format: "csv", metrics: ["iops,p99"]).output ?? ""
        #expect(Set(csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] }) == ["iops", "p99"])
    }

    @Test func failOnRegressionFlagsOnlyASignificantChangeBeyondTheThreshold() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/blocklab-cmpreg-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Five runs a side as jobs of one fio-shaped file each: the new side is about 20 % slower.
        func file(_ name: String, _ iops: [Double]) throws -> String {
            let jobs = iops.map { "{\"jobname\": \"r\", \"read\": {\"iops\": \($0), \"total_ios\": 1000, \"bw_bytes\": \($0 * 4096)}}" }
            let path = dir + "/" + name
            try "{\"fio version\": \"fio-3.33\", \"jobs\": [\(jobs.joined(separator: ","))]}".write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let old = try file("old.json", [1000, 1010, 990, 1005, 995])
        let new = try file("new.json", [800, 810, 790, 805, 795])
        let paths = ["old=" + old, "new=" + new]
        #expect(try run(paths, metrics: ["iops"], fail: 10).regressed)
        #expect(try !run(paths, metrics: ["iops"], fail: 30).regressed)
        // Against the slower side as the baseline, the change is for the better.
        #expect(try !run(paths, metrics: ["iops"], baseline: "new", fail: 0).regressed)
    }

    /// Under a rate the target cannot keep, BlockLab's latency from due grows while lat stays:
    /// `--latency due` compares the former (its histogram is in the result), and gives fio's
    /// runs no latency figures, since fio does not measure it.
    @Test func latencyFromDueIsComparedWhenAskedAndFioHasNone() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/blocklab-cmpdue-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ms = NS.perMillisecond
        let recorder = JobRecorder(startNs: 0, sampleWindowNs: 500 * ms, maxDepth: 1, tracksLatencyFromDue: true)
        // Each I/O takes 100 µs but falls 10 µs further behind its due time than the last.
        for i in 0..<2000 {
            recorder.recordCompletion(.read, bytes: 4096, slatNs: 10_000, clatNs: 90_000, latNs: 100_000,
                                      dueLatNs: 100_000 + UInt64(i) * 10_000, now: UInt64(i + 1) * ms)
        }
        var job = recorder.finish(name: "behind", endNs: 2000 * ms, cpu: CPUUsage())
        job.options = [(key: "rw", value: "randread"), (key: "bs", value: "4k")]
        let path = dir + "/bl.json"
        let text = FioJSON.document(RunResult(jobs: [job], timestampMs: 0)).serialized()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        // The whole distribution is in the result, not only its printed percentiles.
        let written = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let blocklab = ((written["jobs"] as? [[String: Any]])?.first?["blocklab"] as? [String: Any]) ?? [:]
        #expect(((blocklab["lat_from_due_histogram_ns"] as? [String: Any])?["read"] as? [String: Any])?["bins"] != nil)
        func p50(_ latency: String, _ paths: [String]) throws -> (Double?, String) {
            let out = try CompareSession.run(paths: paths, format: "json", metrics: ["p50"], baseline: nil, alpha: 0.05, latency: latency,
                                             failOnRegression: nil, output: nil, stderr: { _ in }).output ?? ""
            let doc = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
            let cell = (((doc["tables"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]])?.first?["cells"] as? [Any])?.first as? [String: Any]
            return ((cell?["median"] as? NSNumber)?.doubleValue, out)
        }
        let (lat, _) = try p50("lat", [path])
        let (due, _) = try p50("due", [path])
        // HDR buckets keep 2 significant digits: within 1 % of 100 µs and of the due median (about 10.1 ms).
        #expect(abs((lat ?? 0) - 100_000) <= 1_000, "lat p50 \(String(describing: lat))")
        #expect(abs((due ?? 0) - 10_095_000) <= 101_000, "due p50 \(String(describing: due))")
        let (_, mixed) = try p50("due", ["bl=" + path, "fio=" + Self.fixtures + "/fio-jsonplus.json"])
        #expect(mixed.contains("fio does not measure it"))
        // fio's runs give no latency figure at all (its lat is not latency from due): the
        // p50 table holds BlockLab's row only, with a figure in its column alone.
        let doc = try JSONSerialization.jsonObject(with: Data(mixed.utf8)) as! [String: Any]
        #expect(doc["latency"] as? String == "due")
        let rows = ((doc["tables"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]]) ?? []
        #expect(rows.count == 1 && (rows.first?["workload"] as? String)?.contains("behind") == true, "\(rows)")
        let figures = ((rows.first?["cells"] as? [Any]) ?? []).compactMap { ($0 as? [String: Any])?["median"] as? NSNumber }
        #expect(figures.count == 1)
        do {
            _ = try p50("issue", [path])
            Issue.record("accepted --latency issue")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2 && e.description.contains("--latency"), "\(e.description)")
        }
    }

    @Test func badInputIsExitTwoNamingTheFileOrOption() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/blocklab-cmp-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "plain text\n".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let cases: [(() throws -> Any, String)] = [
            ({ try self.run([dir + "/notes.txt"]) }, "notes.txt"),
            ({ try self.run([Self.fixtures + "/fio-json.json"], format: "xml") }, "--format"),
            ({ try self.run([Self.fixtures + "/fio-json.json"], metrics: ["p42"]) }, "--metric"),
            ({ try self.run([Self.fixtures + "/fio-json.json"], baseline: "nope") }, "--baseline"),
            ({ try self.run([Self.fixtures + "/fio-json.json"], fail: -3) }, "--fail-on-regression"),
            ({ try self.run([]) }, "give result files"),
        ]
        for (body, needle) in cases {
            do {
                _ = try body()
                Issue.record("accepted: \(needle)")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2)
                #expect(e.description.contains(needle), "\(e.description)")
            }
        }
    }
}

/// `blocklab report` between its flags and its exit.
@Suite struct ReportSessionTests {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path

    @Test func writesOnePageAndRefusesBadInputBeforeWriting() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/blocklab-rep-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ReportSession.run(paths: [Self.tests + "/CompareTests/Fixtures/fio-jsonplus.json"], html: dir + "/r.html",
                              recommendation: nil, prices: nil, baseline: nil, metrics: [], title: "t", stderr: { _ in })
        let page = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<svg"))
        try "hello\n".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let cases: [([String], String?, String?, String)] = [
            ([dir + "/notes.txt"], nil, nil, "notes.txt"),
            ([Self.tests + "/CompareTests/Fixtures/fio-json.json"], dir + "/notes.txt", nil, "notes.txt"),
            ([Self.tests + "/CompareTests/Fixtures/fio-json.json"], nil, dir + "/notes.txt", "notes.txt"),
            ([Self.tests + "/CompareTests/Fixtures/fio-json.json"], nil, dir + "/missing.yaml", "missing.yaml"),
        ]
        for (paths, reco, prices, needle) in cases {
            do {
                try ReportSession.run(paths: paths, html: dir + "/bad.html", recommendation: reco, prices: prices,
                                      baseline: nil, metrics: [], title: "t", stderr: { _ in })
                Issue.record("accepted: \(needle)")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2 && e.description.contains(needle), "\(e.description)")
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/bad.html"))
        }
        // A bad --latency is refused before anything is read or written.
        do {
            try ReportSession.run(paths: [Self.tests + "/CompareTests/Fixtures/fio-json.json"], html: dir + "/bad.html",
                                  recommendation: nil, prices: nil, baseline: nil, metrics: [], latency: "issue", title: "t", stderr: { _ in })
            Issue.record("accepted --latency issue")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2 && e.description.contains("--latency"), "\(e.description)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad.html"))
        #expect(throws: BlockLabError.self) {
            try ReportSession.run(paths: [Self.tests + "/CompareTests/Fixtures/fio-json.json"], html: dir + "/nodir/x.html",
                                  recommendation: nil, prices: nil, baseline: nil, metrics: [], title: "t", stderr: { _ in })
        }
    }
}
