import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The same job files through fio 3.33 (installed with the test dependencies) and BlockLab:
/// flow weights give the same share of I/Os, and cmdprio the same keys and share of
/// priorities in the JSON.
@Suite(.serialized) struct FioParityFlowPriorityTests {
    static let fio: String? = ["/usr/bin/fio", "/usr/local/bin/fio"].first { (p: String) in access(p, X_OK) == 0 }

    func runFio(_ job: String, out: String, cwd: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(Self.fio, "fio is a test dependency (Makefile APT_PACKAGES)"))
        p.arguments = ["--output-format=json", "--output=" + out, job]
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "fio failed on \(job)")
    }

    func jobs(_ path: String) throws -> [[String: Any]] {
        let data = try #require(FileManager.default.contents(atPath: path), "no output at \(path)")
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(doc["jobs"] as? [[String: Any]])
    }

    func both(_ text: String, _ check: (_ tool: String, _ jobs: [[String: Any]]) throws -> Void) throws {
        let dir = try Harness.makeTempDir("fio-parity")
        defer { Harness.removeTree(dir) }
        let job = dir + "/job.fio"
        try text.replacingOccurrences(of: "DIR", with: dir).write(toFile: job, atomically: true, encoding: .utf8)
        try runFio(job, out: dir + "/fio.json", cwd: dir)
        try check("fio", try jobs(dir + "/fio.json"))
        let r = try Harness.run(["run", "--quiet", "--output-format=json", "--output=" + dir + "/bl.json", job], cwd: dir, scratch: dir,
                                timeout: 30)
        #expect(r.status == 0, "blocklab: \(r.stderr)")
        try check("blocklab", try jobs(dir + "/bl.json"))
    }

    func count(_ j: [String: Any], _ dir: String) -> Double {
        Double(((j[dir] as? [String: Any])?["total_ios"] as? Int) ?? 0)
    }

    @Test func flowWeightsGiveFiosShares() throws {
        try both("""
            [global]
            filename=DIR/f.dat
            size=16m
            bs=8k
            ioengine=libaio
            iodepth=16
            norandommap
            time_based
            runtime=1
            ; The first to end stops the other: a job left alone in its flow runs freely, and
            ; on a busy machine one thread may end a few ms after the other.
            exitall
            [w]
            rw=write
            flow=1
            [r]
            rw=randread
            flow=8
            """) { tool, jobs in
            let writes = count(jobs[0], "write"), reads = count(jobs[1], "read")
            #expect(writes > 100, "\(tool)")
            #expect(abs(reads / writes - 8) < 0.5, "\(tool): \(reads) reads, \(writes) writes")
        }
    }

    @Test func cmdprioGivesFiosPrioSections() throws {
        try both("""
            [p]
            filename=DIR/p.dat
            size=16m
            rw=randread
            ioengine=libaio
            iodepth=8
            norandommap
            time_based
            runtime=1
            prioclass=3
            cmdprio_percentage=20
            cmdprio_class=1
            """) { tool, jobs in
            let read = try #require(jobs[0]["read"] as? [String: Any])
            let keys = Array(read.keys)
            #expect(keys.contains("prios"), "\(tool)")
            let prios = try #require(read["prios"] as? [[String: Any]], "\(tool)")
            #expect(prios.map { $0["prioclass"] as? Int } == [3, 1], "\(tool)")
            #expect(prios.allSatisfy { Set($0.keys) == ["prioclass", "prio", "clat_ns"] }, "\(tool)")
            let n = prios.map { (($0["clat_ns"] as? [String: Any])?["N"] as? Int) ?? 0 }
            let total = count(jobs[0], "read")
            #expect(Double(n.reduce(0, +)) == total, "\(tool)")
            let share = Double(n[1]) / total
            #expect(share > 0.17 && share < 0.23, "\(tool): \(share)")
        }
    }
}
