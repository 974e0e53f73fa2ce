import BlockLabCore
import Foundation
import Glibc
import Testing
@testable import BlockLabCLI

/// fio's log files: BlockLab's, for the jobs of FioLogFixtures, against the files fio 3.33
/// wrote for them: the same names, the same columns, the same meanings, plausible values.
@Suite(.serialized) struct FioLogTests {
    let dir: String = {
        var template = Array((FileManager.default.temporaryDirectory.path + "/blocklab-logs.XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }()

    func run(_ args: [String], format: RunSession.Format = .json) throws -> (Int32, String) {
        var s = RunSession(jobArguments: args)
        s.resultsDirectory = dir + "/results"
        s.quiet = true
        s.format = format
        s.outputPath = dir + "/out.json"
        var err = ""
        let code = try s.execute(stdout: { _ in }, stderr: { err += $0 + "\n" })
        return (code, err)
    }

    /// Rows of a log's text, each split into its comma-separated fields.
    static func rows(_ text: String) -> [[UInt64]] {
        text.split(separator: "\n").map { line in
            line.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) ?? .max }
        }
    }

    func ours(_ name: String) throws -> [[UInt64]] {
        Self.rows(try String(contentsOfFile: dir + "/" + name, encoding: .utf8))
    }

    static func fio(_ name: String) throws -> [[UInt64]] {
        rows(try #require(FioLogFixtures.files[name], "no fixture \(name)"))
    }

    func logNames() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".log") })
    }

    /// Per-I/O rows as fio writes them: msec, value, ddir, bs[, offset], prio.
    static func checkPerIO(_ rows: [[UInt64]], columns: Int, kind: String, region: UInt64 = 1 << 20) {
        for r in rows {
            #expect(r.count == columns, "\(kind): \(r)")
            guard r.count == columns else { continue }
            #expect(r[0] < 60_000, "\(kind): msec \(r[0])")
            #expect(r[2] <= 1, "\(kind): ddir \(r[2])")
            #expect(r[3] == 4096, "\(kind): bs \(r[3])")
            if columns == 6 { #expect(r[4] % 4096 == 0 && r[4] < region, "\(kind): offset \(r[4])") }
            #expect(r[columns - 1] == 0, "\(kind): prio \(r[columns - 1])")
            switch kind {
            case "iops": #expect(r[1] == 1)
            case "clat", "lat": #expect(r[1] > 0 && r[1] < 10_000_000_000)
            default: break
            }
        }
        let times = rows.map { $0[0] }
        #expect(times == times.sorted(), "\(kind): times go forward")
    }

    /// Both fio's fixture and BlockLab's file pass the same checks: one row per I/O, bw the
    /// I/O's bytes over its clat (fio's add_bw_sample), lat at least clat, I/O by I/O.
    func checkPerIOSet(stem: String, jobNumber: Int, load: (String) throws -> [[UInt64]], ios: Int, offset: Bool) throws {
        let columns = offset ? 6 : 5
        var byKind: [String: [[UInt64]]] = [:]
        for kind in ["iops", "bw", "clat", "slat", "lat"] {
            let rows = try load("\(stem)_\(kind).\(jobNumber).log")
            #expect(rows.count == ios, "\(stem) \(kind): \(rows.count) rows")
            Self.checkPerIO(rows, columns: columns, kind: kind)
            byKind[kind] = rows
        }
        for (i, c) in byKind["clat"]!.enumerated() where i < byKind["bw"]!.count && i < byKind["lat"]!.count {
            #expect(byKind["bw"]![i][1] == (c[1] == 0 ? 0 : 4096 * 1_000_000 / c[1]), "bw row \(i)")
            #expect(byKind["lat"]![i][1] >= c[1], "lat row \(i) below clat")
            #expect(byKind["lat"]![i][2] == c[2] && byKind["bw"]![i][2] == c[2], "same I/O, same direction")
            if offset { #expect(byKind["lat"]![i][4] == c[4], "same I/O, same offset") }
        }
    }

    @Test func perIOLogsHaveFiosNamesColumnsAndMeanings() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (code, err) = try run(["--name=fx", "--filename=\(dir)/t.dat", "--size=1m", "--rw=randrw", "--bs=4k",
                                   "--ioengine=io_uring", "--iodepth=2", "--number_ios=6", "--write_iops_log=\(dir)/fx",
                                   "--write_bw_log=\(dir)/fx", "--write_lat_log=\(dir)/fx", "--log_offset=1", "--numjobs=2"])
        #expect(code == 0, "\(err)")
        let fioNames = Set(FioLogFixtures.files.keys.filter { $0.hasPrefix("perio/fx_") }.map { String($0.dropFirst(6)) })
        #expect(try logNames() == fioNames)
        for n in [1, 2] {
            try checkPerIOSet(stem: "fx", jobNumber: n, load: { try Self.fio("perio/" + $0) }, ios: 6, offset: true)
            try checkPerIOSet(stem: "fx", jobNumber: n, load: { try ours($0) }, ios: 6, offset: true)
        }
        // Without log_offset: five columns (fio's plain.fio).
        let plain = dir + "/plain.fio"
        try "[plain]\nfilename=\(dir)/t.dat\nsize=1m\nrw=randread\nbs=4k\nnumber_ios=4\nwrite_iops_log=\(dir)/plain\nwrite_lat_log=\(dir)/plain\n"
            .write(toFile: plain, atomically: true, encoding: .utf8)
        #expect(try run([plain]).0 == 0)
        for kind in ["iops", "clat", "slat", "lat"] {
            let fio = try Self.fio("perio/plain_\(kind).1.log")
            let mine = try ours("plain_\(kind).1.log")
            #expect(fio.count == 4 && mine.count == 4)
            Self.checkPerIO(fio, columns: 5, kind: kind)
            Self.checkPerIO(mine, columns: 5, kind: kind)
        }
    }

    @Test func windowedLogsAverageOrTakeTheMaximumPerWindow() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let common = ["--filename=\(dir)/t.dat", "--size=1m", "--bs=4k", "--ioengine=io_uring", "--time_based", "--runtime=1",
                      "--rate_iops=2000", "--log_avg_msec=250"]
        let (code, err) = try run(["--name=av", "--rw=randrw", "--iodepth=2"] + common + [
            "--write_iops_log=\(dir)/av", "--write_bw_log=\(dir)/av", "--write_lat_log=\(dir)/av",
            "--write_hist_log=\(dir)/av", "--log_hist_msec=250",
            "--name=mx", "--rw=randread", "--stonewall"] + common + ["--log_max_value=1", "--write_lat_log=\(dir)/mx"])
        #expect(code == 0, "\(err)")
        // fio numbers the second job 2; the fixture's mx ran alone, as job 1.
        let fioNames = Set(FioLogFixtures.files.keys.filter { $0.hasPrefix("avg/") }.map { String($0.dropFirst(4)) })
        #expect(try logNames() == Set(fioNames.map { $0.hasPrefix("mx_") ? $0.replacingOccurrences(of: ".1.log", with: ".2.log") : $0 }))
        for (name, load) in [("fio", { try Self.fio("avg/" + $0) }), ("blocklab", { (n: String) in try ours(n) })] as [(String, (String) throws -> [[UInt64]])] {
            for kind in ["iops", "bw"] {
                let rows = try load("av_\(kind).1.log")
                #expect(rows.count >= 4 && rows.count <= 8, "\(name) \(kind): \(rows.count) rows")
                for r in rows {
                    #expect(r.count == 5 && r[2] <= 1 && r[3] == 0 && r[4] == 0, "\(name) \(kind): \(r)")
                    // Windows of 250 ms from the start, each ending near a multiple of 250.
                    #expect(r[0] % 250 < 30 || r[0] % 250 > 220, "\(name) \(kind) time \(r[0])")
                    // 2000 IOPS per direction (the bw log is in KiB/s: 4 KiB x 2000 = 8000).
                    let expected: UInt64 = kind == "iops" ? 2000 : 8000
                    #expect(r[1] > expected / 2 && r[1] < expected * 2, "\(name) \(kind) value \(r[1])")
                }
            }
            for kind in ["clat", "slat", "lat"] {
                let rows = try load("av_\(kind).1.log")
                #expect(rows.count >= 4 && rows.count <= 10, "\(name) \(kind): \(rows.count) rows")
                for r in rows { #expect(r.count == 5 && r[2] <= 1 && r[3] == 0 && r[4] == 0 && r[0] <= 1100, "\(name) \(kind): \(r)") }
            }
            // log_max_value: one row per window, the window's worst latency.
            let mxName = name == "fio" ? "mx_clat.1.log" : "mx_clat.2.log"
            let mx = try load(mxName)
            #expect(mx.count >= 3 && mx.count <= 6, "\(name) max: \(mx.count) rows")
            let hist = try load("av_clat_hist.1.log")
            #expect(hist.count >= 2)
            for r in hist {
                // msec, ddir, bs, then fio's 1856 bins (29 groups of 64).
                #expect(r.count == 3 + 1856, "\(name) hist columns \(r.count)")
                #expect(r[1] <= 1 && r[2] == 4096)
                #expect(r.dropFirst(3).reduce(0, +) > 0, "\(name): a histogram row counts I/Os")
            }
        }
        // The maximum of a window is at least its mean.
        let mean = try ours("av_clat.1.log").filter { $0[2] == 0 }.map { $0[1] }
        let worst = try ours("mx_clat.2.log").map { $0[1] }
        #expect((worst.max() ?? 0) >= (mean.min() ?? .max))
    }

    @Test func perJobLogsOffSharesOneFileAcrossClones() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (code, err) = try run(["--name=sh", "--filename=\(dir)/t.dat", "--size=1m", "--rw=randread", "--bs=4k",
                                   "--number_ios=3", "--numjobs=2", "--per_job_logs=0", "--write_iops_log=\(dir)/sh"])
        #expect(code == 0, "\(err)")
        #expect(try logNames() == ["sh_iops.log"])
        #expect(try ours("sh_iops.log").count == (try Self.fio("shared/sh_iops.log")).count)
    }

    @Test func aBareLogOptionUsesTheJobNameAndABadStemIsRefusedBeforeAnyIO() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = dir + "/bare.fio"
        try "[bare]\nfilename=\(dir)/t.dat\nsize=64k\nrw=read\nbs=4k\nwrite_iops_log\n".write(toFile: job, atomically: true, encoding: .utf8)
        // Relative to the working directory, as fio's: only the plan is looked at here.
        var session = RunSession(jobArguments: [job])
        session.environment = [:]
        let plan = try LogFiles.plan(try session.jobs())
        #expect(plan.files.map(\.output.given) == ["bare_iops.1.log"])
        // A stem in a missing directory: exit 2 before the target is even created.
        #expect(throws: BlockLabError.self) {
            _ = try run(["--name=x", "--filename=\(dir)/never.dat", "--size=64k", "--write_bw_log=\(dir)/missing/dir/x"])
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/never.dat"))
    }

    @Test func jsonPlusListsFiosBinsAndDiskUtilIsFilledOrLeftOut() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (code, _) = try run(["--name=p", "--filename=\(dir)/t.dat", "--size=256k", "--rw=randread", "--bs=4k",
                                 "--percentile_list=50:99.5", "--lat_percentiles=1"], format: .jsonPlus)
        #expect(code == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out.json"))) as? [String: Any])
        let job = try #require((doc["jobs"] as? [[String: Any]])?.first)
        let read = try #require(job["read"] as? [String: Any])
        let clat = try #require(read["clat_ns"] as? [String: Any])
        let bins = try #require(clat["bins"] as? [String: Int])
        #expect(bins.values.reduce(0, +) == clat["N"] as? Int)
        #expect(bins.values.reduce(0, +) == 64)
        #expect((clat["percentile"] as? [String: Any]).map { Set($0.keys) } == ["50.000000", "99.500000"])
        let lat = try #require(read["lat_ns"] as? [String: Any])
        #expect(lat["percentile"] != nil && lat["bins"] != nil, "lat_percentiles=1 gives lat_ns percentiles (and bins in json+)")
        #expect((read["slat_ns"] as? [String: Any])?["percentile"] == nil)
        // disk_util: an entry per block device under the targets, or no key at all; never [].
        if let disks = doc["disk_util"] {
            let list = try #require(disks as? [[String: Any]])
            #expect(!list.isEmpty)
            #expect(list[0]["name"] is String && list[0]["util"] != nil && list[0]["read_ios"] != nil)
        }
    }

    @Test func seriesTellsClonesApartAndHasNoStubSpike() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = RunSession(jobArguments: ["--name=ser", "--rw=randread", "--bs=4k", "--size=1m", "--time_based", "--runtime=2200ms",
                                          "--numjobs=2", "--filename=\(dir)/s.dat"])
        s.resultsDirectory = dir + "/results"
        s.quiet = true
        s.seriesPath = dir + "/series.jsonl"
        #expect(try s.execute(stdout: { _ in }, stderr: { _ in }) == 0)
        let lines = try String(contentsOfFile: dir + "/series.jsonl", encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let byClone = Dictionary(grouping: lines) { $0["jobnum"] as? Int ?? 0 }
        #expect(Set(byClone.keys) == [1, 2], "clones numbered as fio's jobs")
        for (n, clone) in byClone {
            // 2.2 s in 1 s intervals: two lines, the 0.2 s stub joined to the second (1.2 s).
            #expect(clone.count == 2, "clone \(n): \(clone.count) lines")
            for line in clone {
                let dur = line["dur_ms"] as? Double ?? 0
                #expect(dur >= 500, "clone \(n): an interval of \(dur) ms")
            }
            let iops = clone.compactMap { ($0["read"] as? [String: Any])?["iops"] as? Double }
            #expect(iops.count == 2 && iops.max()! < 3 * iops.min()!, "clone \(n): \(iops)")
        }
    }

    @Test func combinedFormatsAndStatusInterval() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = RunSession(jobArguments: ["--name=st", "--rw=randread", "--bs=4k", "--size=1m", "--time_based", "--runtime=2500ms",
                                          "--filename=\(dir)/s.dat"])
        s.resultsDirectory = dir + "/results"
        s.quiet = true
        s.formats = try RunSession.Format.list("json,normal")
        s.statusIntervalNs = NS.perSecond
        var out = ""
        #expect(try s.execute(stdout: { out += $0 }, stderr: { _ in }) == 0)
        // Status dumps while running (JSON, as the first format), then the result: the JSON
        // document followed by the readable report.
        let docs = out.components(separatedBy: "\n{").count
        #expect(docs >= 2, "\(out.prefix(400))")
        #expect(out.contains("\"status\""))
        let last = try #require(out.range(of: "\"fio version\"", options: .backwards))
        #expect(out[last.lowerBound...].contains("\"jobs\""))
        #expect(out.contains("st: (groupid="), "the normal report follows")
        #expect(throws: BlockLabError.self) { _ = try RunSession.Format.list("json,xml") }
        #expect(throws: BlockLabError.self) { _ = try RunSession.Format.list("json,json+") }
    }

    @Test func aFailedWriteLeavesNoLogFileBehind() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for d in ["a", "b"] { try FileManager.default.createDirectory(atPath: dir + "/" + d, withIntermediateDirectories: true) }
        var session = RunSession(jobArguments: ["--name=x", "--size=64k", "--write_iops_log=\(dir)/a/x",
                                                "--name=y", "--size=64k", "--write_iops_log=\(dir)/b/y"])
        session.environment = [:]
        let plan = try LogFiles.plan(try session.jobs())
        #expect(plan.files.count == 2)
        // The second destination's directory goes away between the check and the write.
        try FileManager.default.removeItem(atPath: dir + "/b")
        #expect(throws: (any Error).self) { try plan.write([]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/a").isEmpty, "no file, no temporary")
    }
}
