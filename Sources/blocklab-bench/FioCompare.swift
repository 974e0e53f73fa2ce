import BlockLabCore
import Foundation
import Metrics

/// BlockLab vs fio on the same jobs, interleaved round by round so both see the same
/// machine state; medians and ratios printed side by side.
struct FioCompare {
    struct Case {
        var name: String
        var options: [String]
        var minIOPSRatio: Double
    }

    let blocklab: String
    let dir: String
    let rounds: Int
    let seconds: Int

    func run() throws -> [String] {
        let direct = "\(dir)/direct-1g.dat"
        let cached = "\(dir)/cached-256m.dat"
        // Lay out both files once with fio itself so neither tool pays for it in a round.
        for (path, size) in [(direct, "1g"), (cached, "256m")] {
            _ = try Subprocess.run(["fio", "--name=layout", "--filename=\(path)", "--size=\(size)", "--rw=write", "--bs=1m",
                                    "--ioengine=psync", "--output-format=json"])
        }
        // Warm the page cache for the buffered case.
        _ = try Subprocess.run(["fio", "--name=warm", "--filename=\(cached)", "--size=256m", "--rw=read", "--bs=1m",
                                "--invalidate=0", "--output-format=json"])
        let common = ["--rw=randread", "--bs=4k", "--iodepth=32", "--time_based", "--runtime=\(seconds)", "--output-format=json"]
        let cases = [
            Case(name: "4k randread qd32 direct=1 (1 GiB file)",
                 options: ["--name=direct", "--filename=\(direct)", "--size=1g", "--direct=1"] + common, minIOPSRatio: 1.00),
            Case(name: "4k randread qd32 buffered, cached 256 MiB (engine overhead)",
                 options: ["--name=cached", "--filename=\(cached)", "--size=256m", "--direct=0", "--invalidate=0"] + common, minIOPSRatio: 1.50),
        ]
        var lines: [String] = ["BlockLab vs fio (\(rounds) rounds, \(seconds) s each, interleaved; medians)"]
        for c in cases {
            var iops: [String: [Double]] = ["fio": [], "blocklab": []]
            var cpuPerM: [String: [Double]] = ["fio": [], "blocklab": []]
            for _ in 0..<rounds {
                for tool in ["fio", "blocklab"] {
                    let argv = tool == "fio" ? ["fio", "--ioengine=io_uring"] + c.options
                                             : [blocklab, "run", "--quiet", "--results-dir", dir] + c.options
                    let r = try Subprocess.run(argv)
                    guard r.status == 0 else { throw BlockLabError.runtime("\(tool) failed on \(c.name) (exit \(r.status))") }
                    let s = try FioJSONSummary.parse(r.stdout, source: tool)
                    let ios = s.jobs.reduce(0.0) { $0 + Double($1.read.ios + $1.write.ios) }
                    iops[tool]!.append(s.jobs.reduce(0.0) { $0 + $1.read.iops + $1.write.iops })
                    cpuPerM[tool]!.append(r.cpuSeconds / max(ios / 1e6, 1e-9))
                }
            }
            let fi = median(iops["fio"]!), bi = median(iops["blocklab"]!)
            let fc = median(cpuPerM["fio"]!), bc = median(cpuPerM["blocklab"]!)
            let ratio = bi / max(fi, 1)
            let cpuRatio = bc / max(fc, 1e-9)
            lines.append("  \(c.name)")
            lines.append("    IOPS      fio \(fmt(fi, 0))  blocklab \(fmt(bi, 0))  ratio \(fmt(ratio))  (target >= \(fmt(c.minIOPSRatio))) \(ratio >= c.minIOPSRatio ? "ok" : "MISSED")")
            lines.append("    CPU s/M   fio \(fmt(fc, 3))  blocklab \(fmt(bc, 3))  ratio \(fmt(cpuRatio))  (target <= 0.85) \(cpuRatio <= 0.85 ? "ok" : "MISSED")")
        }
        return lines
    }
}
