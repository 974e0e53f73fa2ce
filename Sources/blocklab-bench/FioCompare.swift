import BlockLabCore
import Compare
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
        /// Options given to BlockLab only (a BlockLab setting compared against fio's default).
        var blocklabOnly: [String] = []
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
            // The same job with BlockLab's threads left to the scheduler (fio's default
            // placement): the default placement must never do worse than this.
            Case(name: "4k randread qd1 direct=1, pin_threads=0 in BlockLab (scheduler's placement)",
                 options: ["--name=q1", "--rw=randread", "--bs=4k", "--iodepth=1"] + onDisk,
                 minIOPSRatio: nil, depth: 1, blocklabOnly: ["--pin_threads=0"]),
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
        return try compare(cases, title: "The quick suite, BlockLab vs fio") + latencySplit(direct: direct)
    }

    /// fio's slat, clat and lat against BlockLab's on the same job (depth 1 and 32): the
    /// medians should agree within 10 %, as the two mean the same thing. fio reports slat and
    /// lat percentiles only when asked, so these rounds run apart from the speed rounds.
    func latencySplit(direct: String) throws -> [String] {
        var lines = ["", "Latency split, medians of \(rounds) interleaved rounds' p50s (target: each within 10 % of fio's)"]
        for depth in [1, 32] {
            let options = ["--name=lat\(depth)", "--filename=\(direct)", "--size=1g", "--direct=1", "--rw=randread", "--bs=4k",
                           "--iodepth=\(depth)", "--time_based", "--runtime=\(seconds)", "--output-format=json"]
            var p50: [String: [String: [Double]]] = ["fio": [:], "blocklab": [:]]
            for round in 0..<rounds {
                for tool in round % 2 == 0 ? ["fio", "blocklab"] : ["blocklab", "fio"] {
                    let argv = tool == "fio" ? ["fio", "--ioengine=io_uring", "--slat_percentiles=1", "--lat_percentiles=1"] + options
                                             : [blocklab, "run", "--quiet", "--results-dir", dir] + options
                    let r = try Subprocess.run(argv)
                    guard r.status == 0 else { throw BlockLabError.runtime("\(tool) failed on the latency split (exit \(r.status))") }
                    for (k, v) in try Self.medians(r.stdout, blocklab: tool == "blocklab") { p50[tool]![k, default: []].append(v) }
                }
            }
            lines.append("  4k randread qd\(depth) direct=1 (µs)")
            for k in ["slat", "clat", "lat"] {
                let f = median(p50["fio"]![k] ?? []), b = median(p50["blocklab"]![k] ?? [])
                let ratio = f > 0 ? b / f : 0
                lines.append("    \(k.padding(toLength: 5, withPad: " ", startingAt: 0)) fio \(fmt(f / 1000, 2))  blocklab \(fmt(b / 1000, 2))  ratio \(fmt(ratio))  \(abs(ratio - 1) <= 0.10 ? "ok" : "DIFFERS")")
            }
        }
        return lines
    }

    /// The read p50s (ns) of slat, clat and lat in a result: fio's own keys, or for
    /// BlockLab clat's and its `blocklab` section's slat and lat percentiles.
    static func medians(_ stdout: [UInt8], blocklab: Bool) throws -> [String: Double] {
        guard let top = try JSONSerialization.jsonObject(with: Data(FioJSONSummary.lastDocument(stdout))) as? [String: Any],
              let job = (top["jobs"] as? [[String: Any]])?.first, let read = job["read"] as? [String: Any] else { return [:] }
        func p50(_ o: Any?) -> Double? {
            ((o as? [String: Any])?["percentile"] as? [String: Any] ?? o as? [String: Any])?["50.000000"] as? Double
        }
        var out: [String: Double] = [:]
        out["clat"] = p50(read["clat_ns"])
        if blocklab {
            let b = job["blocklab"] as? [String: Any]
            out["slat"] = p50((b?["slat_percentiles_ns"] as? [String: Any])?["read"])
            out["lat"] = p50((b?["lat_percentiles_ns"] as? [String: Any])?["read"])
        } else {
            out["slat"] = p50(read["slat_ns"])
            out["lat"] = p50(read["lat_ns"])
        }
        return out
    }

    /// (max - min) / median: how far apart one tool's rounds are.
    func spread(_ xs: [Double]) -> Double {
        let m = median(xs)
        guard m > 0, let lo = xs.min(), let hi = xs.max() else { return 0 }
        return (hi - lo) / m
    }

    func compare(_ cases: [Case], title: String) throws -> [String] {
        var lines: [String] = ["\(title) (\(rounds) rounds, \(seconds) s each, interleaved, order alternating; medians)"]
        // BENCH_CASES=a,b runs only the cases whose names contain one of them.
        let only = ProcessInfo.processInfo.environment["BENCH_CASES"].map { $0.split(separator: ",").map(String.init) }
        for c in cases where only.map({ $0.contains { c.name.contains($0) } }) ?? true {
            // What each tool spends outside its I/O loop (start-up, set-up, exit): the same
            // job cut to one I/O, median of three. The whole-process figure below counts it,
            // as a user pays it; the in-loop figure takes it out, so a cheap start-up cannot
            // pass for a cheap loop.
            var fixed: [String: Double] = [:]
            for tool in ["fio", "blocklab"] {
                let one = c.options.filter { !$0.hasPrefix("--time_based") && !$0.hasPrefix("--runtime=") } + ["--number_ios=1"]
                let argv = tool == "fio" ? ["fio", "--ioengine=io_uring"] + one
                                         : [blocklab, "run", "--quiet", "--results-dir", dir] + one + c.blocklabOnly
                var cpu: [Double] = []
                for _ in 0..<3 {
                    let r = try Subprocess.run(argv)
                    guard r.status == 0 else { throw BlockLabError.runtime("\(tool) failed on \(c.name) cut to one I/O (exit \(r.status))") }
                    cpu.append(r.cpuSeconds)
                }
                fixed[tool] = median(cpu)
            }
            var loopPerM: [String: [Double]] = ["fio": [], "blocklab": []]
            var iops: [String: [Double]] = ["fio": [], "blocklab": []]
            var cpuPerM: [String: [Double]] = ["fio": [], "blocklab": []]
            var inFlight: [String: [Double]] = ["fio": [], "blocklab": []]
            var sysPerM: [String: [Double]] = ["fio": [], "blocklab": []]
            for round in 0..<rounds {
                // Alternate who goes first: a device that drifts within a round (caches,
                // a host-side rate limiter refilling during the gap) favours neither.
                for tool in round % 2 == 0 ? ["fio", "blocklab"] : ["blocklab", "fio"] {
                    let argv = tool == "fio" ? ["fio", "--ioengine=io_uring"] + c.options
                                             : [blocklab, "run", "--quiet", "--results-dir", dir] + c.options + c.blocklabOnly
                    let r = try Subprocess.run(argv)
                    guard r.status == 0 else { throw BlockLabError.runtime("\(tool) failed on \(c.name) (exit \(r.status))") }
                    let s = try FioJSONSummary.parse(r.stdout, source: tool)
                    let ios = s.jobs.reduce(0.0) { $0 + Double($1.read.ios + $1.write.ios) }
                    let rate = s.jobs.reduce(0.0) { $0 + $1.read.iops + $1.write.iops }
                    iops[tool]!.append(rate)
                    cpuPerM[tool]!.append(r.cpuSeconds / max(ios / 1e6, 1e-9))
                    loopPerM[tool]!.append(max(r.cpuSeconds - fixed[tool]!, 0) / max(ios / 1e6, 1e-9))
                    sysPerM[tool]!.append(r.sysSeconds / max(ios / 1e6, 1e-9))
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
            // Whether the two tools' rounds differ at all (benchstat's test): on a device-bound
            // job a ratio a little under 1 that the test cannot tell from noise is level.
            let p = Statistics.mannWhitney(iops["blocklab"]!, iops["fio"]!)?.p ?? 0
            let verdict = c.minIOPSRatio.map { target -> String in
                let judged = ratio >= target ? "ok"
                    : c.deviceBound && target <= 1 && p >= 0.05 ? "level within the disk's noise" : "MISSED"
                return "(target >= \(fmt(target))) \(judged)"
            } ?? "(for comparison, no target)"
            lines.append("    IOPS      fio \(fmt(fi, 0))  blocklab \(fmt(bi, 0))  ratio \(fmt(ratio))  \(verdict)  blocklab ahead in \(wins)/\(rounds) rounds, "
                + "Mann-Whitney p = \(fmt(p, 2))")
            lines.append("    CPU s/M   fio \(fmt(fc, 3))  blocklab \(fmt(bc, 3))  ratio \(fmt(cpuRatio))  (target <= 0.85) \(cpuRatio <= 0.85 ? "ok" : "MISSED")")
            // The kernel's part is mostly the same work in both tools (the same syscalls, the
            // device path); BlockLab's own is fewer syscalls on the page cache and no
            // access-time check on regular files (O_NOATIME, which fio sets only on devices).
            let fs = median(sysPerM["fio"]!), bs = median(sysPerM["blocklab"]!)
            lines.append("      whole process, of which kernel: fio \(fmt(fs, 3))  blocklab \(fmt(bs, 3)); user: fio \(fmt(fc - fs, 3))  blocklab \(fmt(bc - bs, 3))")
            let loopRatio = median(zip(loopPerM["blocklab"]!, loopPerM["fio"]!).map { $0 / max($1, 1e-9) })
            lines.append("      in the loop (start-up and exit taken out: fio \(fmt(fixed["fio"]! * 1000, 0)) ms, blocklab \(fmt(fixed["blocklab"]! * 1000, 0)) ms per run): "
                + "fio \(fmt(median(loopPerM["fio"]!), 3))  blocklab \(fmt(median(loopPerM["blocklab"]!), 3))  ratio \(fmt(loopRatio))")
            // Thousands where that keeps three digits; whole IOPS for the large-block jobs.
            let inK = (iops["fio"]! + iops["blocklab"]!).allSatisfy { $0 >= 10_000 }
            let shown = { (xs: [Double]) in xs.map { inK ? fmt($0 / 1000, 0) : fmt($0, 0) }.joined(separator: " ") }
            lines.append("      rounds (\(inK ? "k IOPS" : "IOPS"), in run order): fio \(shown(iops["fio"]!))  blocklab \(shown(iops["blocklab"]!))")
            // Reproducibility: how far apart a tool's own rounds are (max - min over median).
            let fSpread = spread(iops["fio"]!), bSpread = spread(iops["blocklab"]!)
            lines.append("    spread    fio \(fmt(fSpread * 100, 1)) %  blocklab \(fmt(bSpread * 100, 1)) %  (IOPS max-min over median; target: blocklab <= fio) \(bSpread <= fSpread ? "ok" : "WIDER")")
            if c.deviceBound {
                lines.append("    in flight fio \(fmt(median(inFlight["fio"]!), 2))  blocklab \(fmt(median(inFlight["blocklab"]!), 2))  (of iodepth \(c.depth); IOPS x mean latency)")
            }
        }
        return lines
    }
}
