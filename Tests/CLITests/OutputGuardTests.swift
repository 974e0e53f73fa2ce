import BlockLabCore
import Foundation
import Glibc
import SnapStore
import Testing
@testable import BlockLabCLI

/// Outputs of the CLI commands go only where the user pointed, and never onto a pool's own
/// files; `--dry-run` validates everything a run would, and writes nothing.
@Suite(.serialized) struct OutputGuardTests {
    let dir: String = {
        var template = Array((FileManager.default.temporaryDirectory.path + "/blocklab-guard.XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }()

    func makePool() throws -> String {
        let path = dir + "/p"
        try Pool.create(path: path, chunkSize: 65536)
        let pool = try Pool(path: path)
        try pool.createVolume(name: "a", size: 1 << 20)
        try pool.createVolume(name: "b", size: 1 << 20)
        let io = try pool.openVolume("b")
        try io.write(offset: 0, bytes: [UInt8](repeating: 0xAB, count: 65536))
        try pool.commit()
        try pool.close()
        return path
    }

    @Test func exportOntoAPoolsOwnFilesIsRefusedAndThePoolSurvives() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try makePool()
        let before = try Data(contentsOf: URL(fileURLWithPath: p + "/journal"))
        for dest in ["data", "journal", "lock", "new.raw"] {
            let cmd = try VolumeExport.parse(["\(p)/a", "\(p)/\(dest)"])
            do {
                try cmd.run()
                Issue.record("export onto \(dest) should be refused")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2 && e.description.contains("snapshot pool"), "\(e)")
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: p + "/journal")) == before)
        #expect(!FileManager.default.fileExists(atPath: p + "/new.raw"))
        let report = try Pool.check(path: p)
        #expect(report.ok, "\(report.errors)")
        let pool = try Pool(path: p, readOnly: true)
        #expect(try pool.openVolume("b").read(offset: 0, count: 4) == [0xAB, 0xAB, 0xAB, 0xAB])
        try pool.close()
        // /dev/null is written in place and stays a character device.
        let ok = try VolumeExport.parse(["\(p)/b", "/dev/null"])
        try ok.run()
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
    }

    @Test func runOutputsAreCheckedBeforeTheRunAndDevNullIsWrittenInPlace() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try makePool()
        let job = ["--name=j", "--rw=read", "--bs=4k", "--size=64k", "--filename=\(dir)/j.dat"]
        for (output, series) in [(p + "/out.json", nil), (nil, p + "/s.jsonl"), (dir + "/no/such/out.json", nil),
                                 ("/proc/self/comm", nil)] as [(String?, String?)] {
            var s = RunSession(jobArguments: job)
            s.resultsDirectory = dir + "/results"
            s.quiet = true
            s.outputPath = output
            s.seriesPath = series
            #expect(throws: BlockLabError.self) { _ = try s.execute(stdout: { _ in }, stderr: { _ in }) }
            #expect(!FileManager.default.fileExists(atPath: dir + "/j.dat"))
        }
        var s = RunSession(jobArguments: job)
        s.resultsDirectory = dir + "/results"
        s.quiet = true
        s.format = .json
        s.outputPath = "/dev/null"
        #expect(try s.execute(stdout: { _ in }, stderr: { _ in }) == 0)
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
    }

    @Test func dryRunValidatesLikeARunAndWritesNothing() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = ["--name=j", "--rw=randwrite", "--bs=4k", "--size=1m", "--filename=\(dir)/j.dat"]
        var bad = RunSession(jobArguments: job)
        bad.dryRun = true
        bad.volume = "gp3:size=-1"
        #expect(throws: BlockLabError.self) { _ = try bad.execute(stdout: { _ in }, stderr: { _ in }) }
        var big = RunSession(jobArguments: ["--name=j", "--rw=read", "--bs=1g", "--size=16m", "--filename=\(dir)/j.dat"])
        big.dryRun = true
        #expect(throws: BlockLabError.self) { _ = try big.execute(stdout: { _ in }, stderr: { _ in }) }
        var good = RunSession(jobArguments: job)
        good.dryRun = true
        good.format = .json
        good.resultsDirectory = dir + "/results"
        var out = ""
        #expect(try good.execute(stdout: { out += $0 }, stderr: { _ in }) == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let jobs = try #require(doc["jobs"] as? [[String: Any]])
        #expect(jobs.first?["jobname"] as? String == "j")
        #expect((doc["targets"] as? [String])?.first?.contains("j.dat") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
