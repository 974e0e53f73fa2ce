import BlockLabCore
import Foundation
import Metrics

/// BlockLab vs fio on the same jobs, interleaved round by round so both see the same
/// machine state; medians and ratios printed side by side.
struct FioCompare {
    struct Case {
        var name: String
        var options: [String]
        /// The issue's target; nil for a case printed for comparison only.
        var minIOPSRatio: Double?
        /// Device-bound: print I/Os in flight (inline page-cache completions make it meaningless).
        var deviceBound = true
        /// I/Os in flight the job keeps (for the in-flight line).
        var depth = 32
    }

    let blocklab: String
    let dir: String
    let rounds: Int
    let seconds: Int

    /// A 1 GiB file for direct I/O and a 256 MiB one in the page cache, laid out once with
    /// fio itself so neither tool pays for it in a round.
    func files() throws -> (direct: String, cached: String) {
        let direct = "\(dir)/direct-1g.dat"
        let cached = "\(dir)/cached-256m.dat"
        for (path, size) in [(direct, "1g"), (cached, "256m")] {
            _ = try Subprocess.run(["fio", "--name=layout", "--filename=\(path)", "--size=\(size)", "--rw=write", "--bs=1m",
                                    "--ioengine=psync", "--output-format=json"])
        }
        // Warm the page cache for the buffered case.
        _ = try Subprocess.run(["fio", "--name=warm", "--filename=\(cached)", "--size=256m", "--rw=read", "--bs=1m",
                                "--invalidate=0", "--output-format=json"])
        return (direct, cached)
    }

    func run() throws -> [String] {
        let (direct, cached) = try files()
        let common = ["--rw=randread", "--bs=4k", "--iodepth=32", "--time_based", "--runtime=\(seconds)", "--output-format=json"]
        let cases = [
            Case(name: "4k randread qd32 direct=1 (1 GiB file)",
                 options: ["--name=direct", "--filename=\(direct)", "--size=1g", "--direct=1"] + common, minIOPSRatio: 1.00),
            // The same job with independent uniform offsets in both tools (repeats allowed). By
            // default both keep a random map and, when a pick is taken, use the next free
            // block (fio's axmap rule, which BlockLab copies); this case compares the engines
            // with no map at all.
            Case(name: "4k randread qd32 direct=1 (1 GiB file), norandommap in both",
                 options: ["--name=direct", "--filename=\(direct)", "--size=1g", "--direct=1", "--norandommap"] + common, minIOPSRatio: nil),
            Case(name: "4k randread qd32 buffered, cached 256 MiB (engine overhead)",
                 options: ["--name=cached", "--filename=\(cached)", "--size=256m", "--direct=0", "--invalidate=0"] + common, minIOPSRatio: 1.50, deviceBound: false),
        ]
        return try compare(cases, title: "BlockLab vs fio")
    }

    /// The quick suite (profiles/jobs/quick.fio's jobs) side by side, plus a cached depth-1
    /// read and two job threads at depth 32: every job people run, not just one.
    func suite() throws -> [String] {
        let (direct, cached) = try files()
        let timed = ["--time_based", "--runtime=\(seconds)", "--output-format=json"]
        let onDisk = ["--filename=\(direct)", "--size=1g", "--direct=1"] + timed
        let inCache = ["--filename=\(cached)", "--size=256m", "--direct=0", "--invalidate=0"] + timed
        let cases = [
            Case(name: "4k randread qd1 direct=1", options: ["--name=q1", "--rw=randread", "--bs=4k", "--iodepth=1"] + onDisk,
                 minIOPSRatio: 1.00, depth: 1),
            Case(name: "4k randread qd32 direct=1", options: ["--name=q32", "--rw=randread", "--bs=4k", "--iodepth=32"] + onDisk,
                 minIOPSRatio: 1.00),
            Case(name: "4k randwrite qd32 direct=1", options: ["--name=w32", "--rw=randwrite", "--bs=4k", "--iodepth=32"] + onDisk,
                 minIOPSRatio: 1.00),
            Case(name: "4k randrw 70/30 qd32 direct=1", options: ["--name=m32", "--rw=randrw", "--rwmixread=70", "--bs=4k", "--iodepth=32"] + onDisk,
                 minIOPSRatio: 1.00),
            Case(name: "1m seq read qd8 direct=1", options: ["--name=sr", "--rw=read", "--bs=1m", "--iodepth=8"] + onDisk,
                 minIOPSRatio: 1.00, depth: 8),
            Case(name: "1m seq write qd8 direct=1", options: ["--name=sw", "--rw=write", "--bs=1m", "--iodepth=8"] + onDisk,
                 minIOPSRatio: 1.00, depth: 8),
            Case(name: "4k randread qd1 cached 256 MiB", options: ["--name=c1", "--rw=randread", "--bs=4k", "--iodepth=1"] + inCache,
                 minIOPSRatio: 1.00, deviceBound: false, depth: 1),
            Case(name: "4k randread qd32 cached 256 MiB", options: ["--name=c32", "--rw=randread", "--bs=4k", "--iodepth=32"] + inCache,
                 minIOPSRatio: 2.00, deviceBound: false),
            Case(name: "4k randread qd32 direct=1, numjobs=2 (group totals)",
                 options: ["--name=n2", "--rw=randread", "--bs=4k", "--iodepth=32", "--numjobs=2", "--group_reporting"] + onDisk,
                 minIOPSRatio: 1.00, depth: 64),
        ]
        return try compare(cases, title: "The quick suite, BlockLab vs fio")
    }

    func compare(_ cases: [Case], title: String) throws -> [String] {
        var lines: [String] = ["\(title) (\(rounds) rounds, \(seconds) s each, interleaved, order alternating; medians)"]
        for c in cases {
            var iops: [String: [Double]] = ["fio": [], "blocklab": []]
            var cpuPerM: [String: [Double]] = ["fio": [], "blocklab": []]
            var inFlight: [String: [Double]] = ["fio": [], "blocklab": []]
            for round in 0..<rounds {
                // Alternate who goes first: a device that drifts within a round (caches,
                // a host-side rate limiter refilling during the gap) favours neither.
                for tool in round % 2 == 0 ? ["fio", "blocklab"] : ["blocklab", "fio"] {
                    let argv = tool == "fio" ? ["fio", "--ioengine=io_uring"] + c.options
                                             : [blocklab, "run", "--quiet", "--results-dir", dir] + c.options
                    let r = try Subprocess.run(argv)
                    guard r.status == 0 else { throw BlockLabError.runtime("\(tool) failed on \(c.name) (exit \(r.status))") }
                    let s = try FioJSONSummary.parse(r.stdout, source: tool)
                    let ios = s.jobs.reduce(0.0) { $0 + Double($1.read.ios + $1.write.ios) }
                    let rate = s.jobs.reduce(0.0) { $0 + $1.read.iops + $1.write.iops }
                    iops[tool]!.append(rate)
                    cpuPerM[tool]!.append(r.cpuSeconds / max(ios / 1e6, 1e-9))
                    // Little's law: I/Os in flight = IOPS x mean latency. How full each tool
                    // keeps the queue, whatever the device does.
                    inFlight[tool]!.append(s.jobs.reduce(0.0) { $0 + $1.read.iops * $1.read.meanLatNs / 1e9 + $1.write.iops * $1.write.meanLatNs / 1e9 })
                }
            }
            let fi = median(iops["fio"]!), bi = median(iops["blocklab"]!)
            let fc = median(cpuPerM["fio"]!), bc = median(cpuPerM["blocklab"]!)
            // The median of the rounds' own ratios: each pairs two runs minutes apart at most.
            let ratio = median(zip(iops["blocklab"]!, iops["fio"]!).map { $0 / max($1, 1) })
            let cpuRatio = median(zip(cpuPerM["blocklab"]!, cpuPerM["fio"]!).map { $0 / max($1, 1e-9) })
            let wins = zip(iops["blocklab"]!, iops["fio"]!).filter { $0 >= $1 }.count
            lines.append("  \(c.name)")
            let verdict = c.minIOPSRatio.map { "(target >= \(fmt($0))) \(ratio >= $0 ? "ok" : "MISSED")" } ?? "(for comparison, no target)"
            lines.append("    IOPS      fio \(fmt(fi, 0))  blocklab \(fmt(bi, 0))  ratio \(fmt(ratio))  \(verdict)  blocklab ahead in \(wins)/\(rounds) rounds")
            lines.append("    CPU s/M   fio \(fmt(fc, 3))  blocklab \(fmt(bc, 3))  ratio \(fmt(cpuRatio))  (target <= 0.85) \(cpuRatio <= 0.85 ? "ok" : "MISSED")")
            if c.deviceBound {
                lines.append("    in flight fio \(fmt(median(inFlight["fio"]!), 2))  blocklab \(fmt(median(inFlight["blocklab"]!), 2))  (of iodepth \(c.depth); IOPS x mean latency)")
            }
        }
        return lines
    }
}
