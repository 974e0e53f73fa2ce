import BlockLabCore
import Foundation
import Glibc
import Testing

/// `blocklab lab` as a user runs it: the real binary, small sizes, short runs.
@Suite(.serialized) struct LabEndToEndTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The blocklab built by the same `swift build`/`swift test` (next to the test bundle).
    static func binary() throws -> String {
        var candidates: [String] = []
        if let e = ProcessInfo.processInfo.environment["BLOCKLAB_BIN"], !e.isEmpty { candidates.append(e) }
        for exe in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            var url = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<3 { candidates.append(url.appendingPathComponent("blocklab").path); url.deleteLastPathComponent() }
        }
        candidates.append(root + "/.build/debug/blocklab")
        return try #require(candidates.first { access($0, X_OK) == 0 }, "blocklab binary not found")
    }

    static func scratch() -> String {
        let d = "/var/tmp/blocklab-labtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Starts `blocklab args` in `cwd` with stdout and stderr in files.
    static func start(_ args: [String], cwd: String, binary: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary ?? Self.binary())
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        FileManager.default.createFile(atPath: cwd + "/.stdout", contents: nil)
        FileManager.default.createFile(atPath: cwd + "/.stderr", contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: cwd + "/.stdout")
        p.standardError = FileHandle(forWritingAtPath: cwd + "/.stderr")
        try p.run()
        return p
    }

    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any], "\(path)")
    }

    static func runDirectory(_ cwd: String) throws -> String {
        let dirs = try FileManager.default.contentsOfDirectory(atPath: cwd + "/results").filter { $0.hasPrefix("lab-") }
        #expect(dirs.count == 1)
        return cwd + "/results/" + (try #require(dirs.first))
    }

    @Test func quickLabLeavesEveryResultAManifestAndTheStories() throws {
        let cwd = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        // A need the host keeps up with while other tests run (the validation is paced at it).
        let p = try Self.start(["lab", "--quick", "--profiles", Self.root + "/profiles", "--runtime", "3",
                                "--volumes", "gp2,st1", "--workloads", "db-70-30,read-4k-qd1", "--need-iops", "1000"], cwd: cwd)
        p.waitUntilExit()
        let err = Self.text(cwd + "/.stderr"), out = Self.text(cwd + "/.stdout")
        #expect(p.terminationStatus == 0, "exit \(p.terminationStatus): \(err)")
        let dir = try Self.runDirectory(cwd)
        let m = try Self.json(dir + "/lab.json")
        #expect(m["complete"] as? Bool == true)
        let steps = try #require(m["steps"] as? [[String: Any]])
        #expect(steps.count == 6)
        for s in steps {
            let name = try #require(s["result"] as? String)
            let r = try Self.json(dir + "/" + name)
            let jobs = try #require(r["jobs"] as? [[String: Any]])
            #expect(jobs.count == 1 && (s["iops"] as? Double ?? 0) > 0, "\(name)")
        }
        func step(_ w: String, _ t: String) -> [String: Any]? { steps.first { $0["workload"] as? String == w && $0["target"] as? String == t } }
        // gp2 starts with 0.05 % of its credits: they run out within the 3 s run.
        let gp2 = try #require(step("db-70-30", "gp2"))
        let empty = try #require((gp2["credits_empty_ns"] as? NSNumber)?.doubleValue)
        #expect(empty > 0.5e9 && empty < 3e9)
        // st1 charges a 16 KiB random I/O as 1 MiB: far below the local disk.
        let st1 = try #require(step("db-70-30", "st1")?["iops"] as? Double)
        let local = try #require(step("db-70-30", "local")?["iops"] as? Double)
        #expect(st1 < 300 && local > 10 * st1)
        // The snapshot experiment: first touch pays the fetch, fast restore does not.
        let snap = try #require(m["snapshots"] as? [String: Any])
        let reads = try #require(snap["reads"] as? [[String: Any]])
        #expect(reads.count == 3)
        let firstTouch = (reads[0]["first_touch_fetches"] as? NSNumber)?.intValue ?? 0
        let fast = (reads[2]["first_touch_fetches"] as? NSNumber)?.intValue ?? -1
        #expect(firstTouch > 0 && fast == 0)
        #expect((reads[0]["mean_lat_ns"] as? Double ?? 0) > 2 * (reads[1]["mean_lat_ns"] as? Double ?? .infinity))
        let snaps = try #require(snap["snapshots"] as? [[String: Any]])
        #expect(snaps.map { $0["name"] as? String } == ["base", "after-overwrite"])
        // A quarter of the volume was overwritten between the two snapshots.
        let size = try #require((snap["volume_bytes"] as? NSNumber)?.uint64Value)
        #expect((snaps[1]["incremental_bytes"] as? NSNumber)?.uint64Value == size / 4)
        #expect(out.contains("Workloads on each target") && out.contains("results: results/lab-"))

        // The comparison, the recommendation and the report agree with each other.
        let compare = Self.text(dir + "/compare.md")
        let iopsRow = try #require(compare.split(separator: "\n").first { $0.hasPrefix("| db-70-30 |") }, "no db-70-30 row in compare.md")
        // "| db-70-30 | 30.36k ± ∞ ¹ | ..." : the local median as compare printed it.
        let localMedian = try #require(iopsRow.split(separator: "|").dropFirst().first?.split(separator: " ").first.map(String.init))
        let report = Self.text(dir + "/report.html")
        #expect(report.contains("<svg") && report.contains(localMedian), "report.html lacks compare's \(localMedian)")
        #expect(out.contains(localMedian))
        let reco = try Self.json(dir + "/recommendation.json")
        let chosen = try #require((reco["chosen"] as? [String: Any])?["label"] as? String)
        #expect(report.contains(chosen))
        // And says what it is for: the lab's need.
        #expect(report.contains("For: 1000 IOPS of 16KiB, ") && report.contains("p99 within 10 ms"))
        // The snapshot experiment is in the report too.
        #expect(report.contains("Snapshots of a") && report.contains("after-overwrite") && report.contains("first touch"))
        // The recommended volume's emulated run met the need.
        let validation = Self.text(dir + "/validation.txt")
        #expect(validation.contains("met the needs") && !validation.contains("did not"), "\(validation)")
        let spec = try #require((reco["chosen"] as? [String: Any])?["spec"] as? String)
        #expect(validation.contains(spec))
        #expect(!err.isEmpty)

        // The lab's report in a real browser: every chart drawn, nothing on the console.
        let (dom, log) = try Self.chromium(page: dir + "/report.html")
        func attribute(_ name: String) -> Int? {
            guard let r = dom.range(of: "\(name)=\"") else { return nil }
            return Int(dom[r.upperBound...].prefix { $0.isNumber })
        }
        let charts = try #require(attribute("data-charts"), "the page's check did not run: \(log.suffix(2000))")
        #expect(charts >= 3 && attribute("data-charts-drawn") == charts)
        #expect(log.split(separator: "\n").filter { $0.contains(":CONSOLE") }.isEmpty)
    }

    /// Headless Chromium on a page: the rendered DOM and Chromium's log.
    static func chromium(page: String) throws -> (dom: String, log: String) {
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "chromium is not installed (make deps installs it)")
        let profile = scratch()
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--user-data-dir=\(profile)",
                       "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", "file://" + page]
        FileManager.default.createFile(atPath: profile + "/dom", contents: nil)
        FileManager.default.createFile(atPath: profile + "/log", contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: profile + "/dom")
        p.standardError = FileHandle(forWritingAtPath: profile + "/log")
        try p.run()
        p.waitUntilExit()
        return (text(profile + "/dom"), text(profile + "/log"))
    }

    @Test func ctrlCKeepsEveryFinishedResult() throws {
        let cwd = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        let p = try Self.start(["lab", "--profiles", Self.root + "/profiles", "--runtime", "2", "--volumes", "gp3",
                                "--workloads", "read-4k-qd1,db-70-30", "--no-snapshots"], cwd: cwd)
        // Into the second run: once the manifest says the first is done (a fixed sleep is
        // too short when the machine is busy), and before the second's 2 s are up.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let dirs = (try? FileManager.default.contentsOfDirectory(atPath: cwd + "/results")) ?? []
            if let d = dirs.first(where: { $0.hasPrefix("lab-") }),
               Self.text(cwd + "/results/" + d + "/lab.json").contains("\"done\"") { break }
            usleep(50_000)
        }
        usleep(500_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130, "exit \(p.terminationStatus): \(Self.text(cwd + "/.stderr"))")
        let dir = try Self.runDirectory(cwd)
        let m = try Self.json(dir + "/lab.json")
        #expect(m["interrupted"] as? Bool == true && m["complete"] as? Bool == false)
        let steps = try #require(m["steps"] as? [[String: Any]])
        let done = steps.filter { $0["status"] as? String == "done" }
        #expect(done.count >= 1)
        for s in steps where s["status"] as? String != "pending" {
            // Every result that was written is whole (never a half-written file).
            let r = try Self.json(dir + "/" + (s["result"] as? String ?? ""))
            #expect(r["jobs"] != nil)
        }
        #expect(steps.contains { $0["status"] as? String == "pending" })
        // And a report of what was done.
        #expect(FileManager.default.fileExists(atPath: dir + "/report.html"))
        #expect(Self.text(dir + "/compare.md").contains("read-4k-qd1"))
    }

    @Test func badOptionsAreExitTwoBeforeAnyRun() throws {
        let cwd = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: cwd) }
        for args in [["--volumes", "gp3:size=1"], ["--size", "0"], ["--workloads", "nope"], ["--instance", "z9.huge"],
                     ["--volumes", "gp3,gp3"], ["--workloads", "db-70-30,db-70-30"], ["--need-latency", "soon"],
                     ["--need-iops", "999999999999"], ["--runtime", "0"], ["--runtime", "-1"], ["--repeat", "0"],
                     ["--file-size", "1k"], ["--file-size", "lots"]] {
            let p = try Self.start(["lab", "--profiles", Self.root + "/profiles"] + args, cwd: cwd)
            p.waitUntilExit()
            #expect(p.terminationStatus == 2, "\(args): exit \(p.terminationStatus)")
            #expect(!FileManager.default.fileExists(atPath: cwd + "/results"), "\(args) created results")
        }
    }

    /// `make install`'s layout: PREFIX/bin/blocklab finds PREFIX/share/blocklab/profiles, from
    /// any directory, without the source tree.
    @Test func anInstalledBinaryFindsItsProfiles() throws {
        let prefix = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix + "/share/blocklab", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try Self.binary(), toPath: prefix + "/bin/blocklab")
        try FileManager.default.copyItem(atPath: Self.root + "/profiles", toPath: prefix + "/share/blocklab/profiles")
        let cwd = prefix + "/elsewhere"
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let p = try Self.start(["lab", "--dry-run"], cwd: cwd, binary: prefix + "/bin/blocklab")
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, Comment(rawValue: Self.text(cwd + "/.stderr")))
        #expect(Self.text(cwd + "/.stdout").contains("db-70-30 on gp2:size=500g"))
    }
}

/// A fleet's results merge by host: each host's run directory (as deploy/ lays them out,
/// results/<host>/...) read together by `compare` and `report`.
@Suite(.serialized) struct FleetMergeTests {
    @Test func resultsFromSeveralHostsGroupPerHost() throws {
        let root = LabEndToEndTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // One real result, then the same run as two other hosts would have written it.
        let p = try LabEndToEndTests.start(["run", "--quiet", "--name=read-4k-qd1", "--filename=\(root)/f", "--size=8m",
                                            "--rw=randread", "--bs=4k", "--runtime=1", "--time_based",
                                            "--output-format=json", "--output=\(root)/one.json"], cwd: root)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, Comment(rawValue: LabEndToEndTests.text(root + "/.stderr")))
        let original = LabEndToEndTests.text(root + "/one.json")
        let host = try #require(original.range(of: #""host" : ""#), "no host in the result")
        let name = original[host.upperBound...].prefix { $0 != "\"" }
        for h in ["node-a", "node-b", "node-c"] {
            try FileManager.default.createDirectory(atPath: "\(root)/results/\(h)/lab-1", withIntermediateDirectories: true)
            try original.replacingOccurrences(of: "\"\(name)\"", with: "\"\(h)\"")
                .write(toFile: "\(root)/results/\(h)/lab-1/read-4k-qd1--local.json", atomically: true, encoding: .utf8)
        }
        let c = try LabEndToEndTests.start(["compare", "results", "--format", "csv"], cwd: root)
        c.waitUntilExit()
        let out = LabEndToEndTests.text(root + "/.stdout")
        #expect(c.terminationStatus == 0, Comment(rawValue: LabEndToEndTests.text(root + "/.stderr")))
        // One column per host, one row for the workload.
        for h in ["node-a", "node-b", "node-c"] { #expect(out.contains(h), "\(h) missing: \(out.prefix(600))") }
        #expect(out.contains("read-4k-qd1"))
        let r = try LabEndToEndTests.start(["report", "results", "--html", "fleet.html"], cwd: root)
        r.waitUntilExit()
        #expect(r.terminationStatus == 0)
        let html = LabEndToEndTests.text(root + "/fleet.html")
        for h in ["node-a", "node-b", "node-c"] { #expect(html.contains(h)) }
    }
}
