import BlockLabCore
import Foundation
import Testing
@testable import Metrics

/// Key paths of a pretty-printed fio-style JSON text in order ("jobs/read/clat_ns/N"),
/// from its indentation (fio and JSONValue both print one member per line), so that the
/// order of keys can be compared (JSONSerialization loses it).
func keyPaths(_ text: String, firstJobOnly: Bool = true) -> [String] {
    var stack: [(indent: Int, key: String)] = []
    var out: [String] = []
    var jobsSeen = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
        let indent = line.prefix { $0 == " " }.count
        let rest = line.dropFirst(indent)
        if rest.hasPrefix("{") && indent == 4 { jobsSeen += 1 } // a job object in "jobs"
        guard rest.hasPrefix("\""), let close = rest.dropFirst().firstIndex(of: "\""),
              rest[rest.index(after: close)...].hasPrefix("\" :") || rest[close...].hasPrefix("\" :") else { continue }
        let key = String(rest[rest.index(after: rest.startIndex)..<close])
        while let last = stack.last, last.indent >= indent { stack.removeLast() }
        stack.append((indent, key))
        if firstJobOnly && jobsSeen > 1 { continue }
        out.append(stack.map(\.key).joined(separator: "/"))
    }
    return out
}

func comparable(_ paths: [String]) -> [String] {
    paths.filter { p in
        !(p.hasPrefix("global options") || p.contains("job options/") || p.hasPrefix("disk_util")
            || p.hasPrefix("blocklab") || p.contains("/blocklab") || p == "time" || p == "timestamp" || p == "timestamp_ms")
    }
}

func sampleRun() -> RunResult {
    var a = syntheticJob(name: "t", ios: 4000, latBase: 20_000, runtimeMs: 2000)
    a.engine = EngineSection(engine: "io_uring")
    a.volume = VolumeSection(json: .object([("model", .object([("type", .string("gp3"))]))]))
    var run = RunResult(jobs: [a], timestampMs: 1_795_734_873_465)
    run.globalOptions = [(key: "ioengine", value: "io_uring")]
    run.extras = [("volume", .object([("type", .string("gp3"))]))]
    return run
}

@Suite struct FioJSONTests {
    @Test func keysNestingAndOrderMatchFio() {
        let ours = comparable(keyPaths(FioJSON.document(sampleRun()).serialized()))
        let fio = comparable(keyPaths(FioFixtures.randrw))
        #expect(fio.count > 150, "\(fio.count) key paths")
        #expect(fio.contains("jobs/read/clat_ns/percentile/99.990000") && fio.contains("jobs/latency_ms/>=2000"))
        #expect(ours == fio)
    }

    @Test func groupKeysMatchFioGroupReporting() {
        let g = JobResult.merge([syntheticJob(name: "a", ios: 1000, latBase: 1000, runtimeMs: 1000),
                                 syntheticJob(name: "b", ios: 1000, latBase: 1000, runtimeMs: 1000)], name: "g")
        let ours = comparable(keyPaths(FioJSON.document(RunResult(jobs: [g], timestampMs: 0)).serialized()))
        // fio's group run was randread only: no write percentiles there.
        let fio = comparable(keyPaths(FioFixtures.groupReporting))
        #expect(ours.filter { !$0.hasPrefix("jobs/write/clat_ns/percentile") } == fio)
    }

    @Test func topLevelAndBlockLabSections() throws {
        let doc = FioJSON.document(sampleRun())
        guard case .object(let top) = doc else { Issue.record("not an object"); return }
        // No target on a block device: no disk_util key (never an empty list).
        #expect(top.map(\.0) == ["fio version", "timestamp", "timestamp_ms", "time", "global options", "jobs", "blocklab"])
        var withDisk = sampleRun()
        var vda = DiskUtil(name: "vda")
        vda.readIOs = 34319
        vda.util = 57.37
        withDisk.diskUtil = [vda]
        let disk = FioJSON.document(withDisk)
        guard case .object(let top2) = disk, case .array(let disks)? = disk["disk_util"], case .object(let entry) = disks[0] else {
            Issue.record("no disk_util"); return
        }
        #expect(top2.map(\.0) == ["fio version", "timestamp", "timestamp_ms", "time", "global options", "jobs", "disk_util", "blocklab"])
        // fio 3.33's keys, in its order.
        #expect(entry.map(\.0) == ["name", "read_ios", "write_ios", "read_merges", "write_merges", "read_ticks", "write_ticks", "in_queue", "util"])
        #expect(disks[0]["read_ios"] == .uint(34319))
        #expect(doc["fio version"] == .string("blocklab-0.1.0"))
        #expect(doc["timestamp"] == .uint(1_795_734_873))
        #expect(doc["blocklab"]?["volume"]?["type"] == .string("gp3"))
        guard case .array(let jobs) = doc["jobs"]! else { Issue.record("no jobs"); return }
        let bl = jobs[0]["blocklab"]
        #expect(bl?["engine"] == .string("io_uring"))
        #expect(bl?["completions_per_wait"] == .double(2))
        #expect(bl?["interrupted"] == .bool(false))
        #expect(bl?["lat_percentiles_ns"]?["read"]?["99.000000"] != nil)
    }

    @Test func unitsAreFios() {
        let run = sampleRun()
        let job = run.jobs[0]
        let doc = FioJSON.document(run)
        guard case .array(let jobs) = doc["jobs"]! else { Issue.record("no jobs"); return }
        let read = jobs[0]["read"]!
        let bwBytes = job.read.bwBytesPerSec
        #expect(read["bw_bytes"] == .uint(UInt64(bwBytes)))
        #expect(read["bw"] == .uint(UInt64(bwBytes / 1024))) // KiB/s
        #expect(read["runtime"] == .uint(2000)) // ms
        #expect(read["iops"] == .double(job.read.iops))
        #expect(read["io_kbytes"] == .uint(job.read.bytes / 1024))
        #expect(read["bw_mean"] == .double(job.read.bwSamples.mean / 1024))
        #expect(read["clat_ns"]?["min"] == .uint(job.read.clat.min))
        #expect(read["clat_ns"]?["percentile"]?["99.990000"] == .uint(job.read.clat.percentile(99.99)))
        #expect(read["bw_agg"] == .double(min(100, job.read.bwSamples.mean * 100 / bwBytes)))
        #expect(jobs[0]["job_runtime"] == .uint(2000))
        #expect(jobs[0]["usr_cpu"] == .double(10))
        #expect(jobs[0]["iodepth_level"]?["4"] == .double(100))
        // No trim I/O: no percentile object, as fio.
        #expect(jobs[0]["trim"]?["clat_ns"]?["percentile"] == nil)
    }

    @Test func percentileKeysArePrintfF() {
        #expect(FioJSON.percentileKey(99) == "99.000000")
        #expect(FioJSON.percentileKey(99.95) == "99.950000")
        #expect(FioJSON.percentileKey(1) == "1.000000")
    }

    @Test func groupJSONSaysFiguresAreSums() {
        let g = JobResult.merge([syntheticJob(name: "a", ios: 1000, latBase: 1000, runtimeMs: 1000),
                                 syntheticJob(name: "b", ios: 1000, latBase: 1000, runtimeMs: 1000)], name: "g")
        let doc = FioJSON.document(RunResult(jobs: [g], timestampMs: 0))
        guard case .array(let jobs) = doc["jobs"]! else { Issue.record("no jobs"); return }
        #expect(jobs[0]["blocklab"]?["jobs"] == .int(2))
        #expect(jobs[0]["blocklab"]?["group"]?["iops_and_bw"] != nil)
        #expect(jobs[0]["read"]?["total_ios"] == .uint(1500))
    }

    @Test func ourJSONIsValidJSON() throws {
        let text = FioJSON.document(sampleRun()).serialized()
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect((obj?["jobs"] as? [Any])?.count == 1)
    }
}
