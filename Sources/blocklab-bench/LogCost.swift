import BlockLabCore
import Foundation
import Glibc
import Metrics

/// What fio's log files cost: the same cached 4 KiB random read at depth 32 (the case where
/// per-I/O work shows most, no device to hide it) with logging off, every I/O logged
/// (iops, bw, clat, slat, lat) and logs averaged per 500 ms window; fio alongside with
/// logging off and on. Interleaved round by round; medians; ratios against logging off.
struct LogCost {
    let blocklab: String
    let dir: String
    let rounds: Int
    let seconds: Int

    func run() throws -> [String] {
        let (_, cached) = try FioCompare(blocklab: blocklab, dir: dir, rounds: rounds, seconds: seconds).files()
        let logDir = dir + "/logs"
        try? FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        let job = ["--name=c32", "--filename=\(cached)", "--size=256m", "--direct=0", "--invalidate=0", "--rw=randread", "--bs=4k",
                   "--iodepth=32", "--time_based", "--runtime=\(seconds)", "--output-format=json"]
        let all = ["--write_iops_log=\(logDir)/c32", "--write_bw_log=\(logDir)/c32", "--write_lat_log=\(logDir)/c32"]
        let variants: [(name: String, tool: String, extra: [String])] = [
            ("blocklab, logging off", "blocklab", []),
            ("blocklab, every I/O logged (iops, bw, clat, slat, lat)", "blocklab", all),
            ("blocklab, logs averaged per 500 ms", "blocklab", all + ["--log_avg_msec=500"]),
            ("fio, logging off", "fio", []),
            ("fio, every I/O logged (iops, bw, clat, slat, lat)", "fio", all),
        ]
        var iops = [[Double]](repeating: [], count: variants.count)
        var cpu = [[Double]](repeating: [], count: variants.count)
        for round in 0..<rounds {
            let order = round % 2 == 0 ? Array(variants.indices) : variants.indices.reversed()
            for i in order {
                let v = variants[i]
                let argv = v.tool == "fio" ? ["fio", "--ioengine=io_uring"] + job + v.extra
                                           : [blocklab, "run", "--quiet", "--results-dir", dir] + job + v.extra
                let r = try Subprocess.run(argv)
                guard r.status == 0 else { throw BlockLabError.runtime("\(v.name) failed (exit \(r.status))") }
                let s = try FioJSONSummary.parse(r.stdout, source: v.tool)
                let ios = s.jobs.reduce(0.0) { $0 + Double($1.read.ios + $1.write.ios) }
                iops[i].append(s.jobs.reduce(0.0) { $0 + $1.read.iops + $1.write.iops })
                cpu[i].append(r.cpuSeconds / max(ios / 1e6, 1e-9))
                // Logs of a 5 s run at a million IOPS are hundreds of MB: gone before the next.
                for f in (try? FileManager.default.contentsOfDirectory(atPath: logDir)) ?? [] { unlink(logDir + "/" + f) }
            }
        }
        var lines = ["Cost of fio's log files (\(rounds) rounds, \(seconds) s each, cached 4k randread qd32; medians)"]
        for (i, v) in variants.enumerated() {
            let base = v.tool == "fio" ? 3 : 0
            let ratio = median(zip(iops[i], iops[base]).map { $0 / max($1, 1) })
            let cpuRatio = median(zip(cpu[i], cpu[base]).map { $0 / max($1, 1e-9) })
            lines.append("  \(v.name)")
            lines.append("    IOPS \(fmt(median(iops[i]), 0))  CPU s/M \(fmt(median(cpu[i]), 3))"
                + (i == base ? "  (baseline)" : "  vs logging off: IOPS x\(fmt(ratio)), CPU per I/O x\(fmt(cpuRatio))"))
        }
        return lines
    }
}
