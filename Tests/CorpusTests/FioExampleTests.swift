import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// fio's own example job files (Tests/FioExamples, see its README) through the real binary:
/// `--dry-run` on each as written, and a short run of each scaled down. Targets are moved into
/// a scratch directory (a device such as /dev/sdb becomes a sparse file standing in for it);
/// nothing else changes for the dry run. The short run also caps each job at 2 s. Those
/// BlockLab cannot run yet are pinned with the
/// reason its message gives, so one that starts working (or fails differently) shows up.
@Suite(.serialized) struct FioExampleTests {
    static let directory = Harness.packageRoot + "/Tests/FioExamples"

    static let names: [String] = {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".fio") }.sorted()
    }()

    /// Examples BlockLab refuses (exit 2), and a fragment of why (among the problems it
    /// lists). The same for the dry run and the short run.
    static let unsupported: [String: String] = [
        // fio fails job2 here too on a machine with one NUMA node (numa_cpu_nodes=0-1).
        "numa.fio": NUMANodes.count == 1 ? "NUMA node 1 does not exist" : "binding memory to NUMA nodes is not supported",
    ]


    @Test func theThirtyThreeExamplesAreThere() {
        #expect(Self.names.count == 33, "\(Self.names.count) examples in \(Self.directory)")
    }

    /// The example with its targets in `dir`; `scaled` also shrinks sizes and times.
    static func rewrite(_ text: String, dir: String, scaled: Bool) -> (text: String, devices: [String]) {
        var devices: [String] = []
        var files: [String] = []
        var sized = false
        var out: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix(";"), !line.hasPrefix("#") else { out.append(raw); continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var value = String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            if let c = value.firstIndex(where: { $0 == ";" || $0 == "#" }) { value = String(value[..<c]).trimmingCharacters(in: .whitespaces) }
            let flat = value.replacingOccurrences(of: "/", with: "_")
            switch key {
            case "filename":
                let path = dir + "/" + flat
                if value.hasPrefix("/dev/") { devices.append(path) } else if value.hasPrefix("/") { files.append(path) }
                out.append("filename=" + path)
            case "directory":
                out.append("directory=" + dir + "/d" + flat)
                devices.append(dir + "/d" + flat + "/")
            // Sizes are scaled in the dry run too: it checks the layout's free space, and the
            // examples ask for up to 999 GiB.
            case "size", "filesize", "io_size":
                if key == "size" || key == "filesize" { sized = true }
                out.append(key == "size" && value.hasSuffix("%") ? raw : "\(key)=2m")
            case "io_limit" where scaled && !value.hasSuffix("%"):
                out.append("io_limit=2m")
            case "offset_increment" where scaled:
                out.append("offset_increment=2m")
            case "fill_device" where scaled, "fill_fs" where scaled:
                // Filling a scratch directory's filesystem would take all its free space.
                out.append(raw)
                out.append("size=8m")
            case "runtime":
                out.append("runtime=1")
            case "timeout" where scaled:
                out.append("timeout=1")
            case "loops" where scaled:
                out.append("loops=\(min(Int(value) ?? 1, 2))")
            case "ramp_time" where scaled:
                out.append("ramp_time=0")
            case "startdelay" where scaled:
                // Seconds in the examples: ten milliseconds per second keeps their order.
                out.append("startdelay=\((Int(value) ?? 0) * 10)ms")
            default:
                out.append(raw)
            }
        }
        // An example that gives no size expects its absolute-path file to exist (butterfly.fio's
        // /tmp/testfile): it gets a stand-in as a device does (a relative one, surface-scan.fio's
        // fill_device target, is left for BlockLab to refuse).
        if !sized { devices += Set(files).sorted() }
        return (out.joined(separator: "\n"), devices)
    }

    struct Outcome {
        var status: Int32
        var stderr: String
        var timedOut: Bool
    }

    static func run(_ name: String, scaled: Bool) throws -> Outcome {
        let scratch = try Harness.makeTempDir("fio-example")
        defer { Harness.removeTree(scratch) }
        let dir = scratch + "/work"
        guard mkdir(dir, 0o755) == 0 else { throw CorpusError("mkdir \(dir)") }
        let original = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        let (text, devices) = rewrite(original, dir: dir, scaled: scaled)
        for d in devices {
            if d.hasSuffix("/") { mkdir(d, 0o755) } else {
                // A device's stand-in: sparse, so it reads as zeros and costs no space. The dry
                // run's is as large as the largest device an example assumes
                // (cross-stripe-verify: 30 regions of 124 GiB); nothing is written to it.
                let fd = open(d, O_CREAT | O_WRONLY, 0o644)
                if fd >= 0 { ftruncate(fd, scaled ? 64 << 20 : 4 << 40); close(fd) }
            }
        }
        let job = dir + "/" + name
        try text.write(toFile: job, atomically: true, encoding: .utf8)
        // A command-line option before the file is a default for its jobs (as in fio): rate-
        // limited examples without a runtime (1mbs_clients: 1250 B/s) get one.
        let args = scaled ? ["run", "--quiet", "--output-format=json", "--output=" + scratch + "/out.json", "--runtime=2", job]
                          : ["run", "--dry-run", job]
        let r = try Harness.run(args, cwd: dir, scratch: scratch, timeout: scaled ? 60 : 15)
        if scaled && r.status == 0 {
            let data = FileManager.default.contents(atPath: scratch + "/out.json") ?? Data()
            guard (try? JSONSerialization.jsonObject(with: data)) != nil else {
                return Outcome(status: -1, stderr: "the run's JSON output is not a JSON document", timedOut: false)
            }
        }
        return Outcome(status: r.signaled ? -r.status : r.status, stderr: r.stderr, timedOut: r.timedOut)
    }

    func check(_ name: String, scaled: Bool) throws {
        guard case .success = Harness.binary else { Issue.record("blocklab binary not found"); return }
        let o = try Self.run(name, scaled: scaled)
        let what = scaled ? "short run" : "dry run"
        if let reason = Self.unsupported[name] {
            #expect(o.status == 2 && o.stderr.contains(reason), "\(name) \(what): expected exit 2 with '\(reason)', got \(o.status): \(Harness.head(o.stderr))")
        } else {
            #expect(o.status == 0 && !o.timedOut, "\(name) \(what): exit \(o.status)\(o.timedOut ? " (timed out)" : ""): \(Harness.head(o.stderr, lines: 6))")
        }
    }

    @Test(arguments: names) func dryRun(_ name: String) throws { try check(name, scaled: false) }

    @Test(arguments: names) func shortRun(_ name: String) throws { try check(name, scaled: true) }
}

/// The machine's NUMA nodes (sysfs; one when the kernel has no NUMA support).
enum NUMANodes {
    static let count: Int = {
        guard let text = try? String(contentsOfFile: "/sys/devices/system/node/online", encoding: .utf8) else { return 1 }
        return text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").reduce(0) { n, part in
            let ends = part.split(separator: "-").compactMap { Int($0) }
            return n + (ends.count == 2 ? ends[1] - ends[0] + 1 : 1)
        }
    }()
}
