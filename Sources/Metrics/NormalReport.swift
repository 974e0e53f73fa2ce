import BlockLabCore
import Glibc

/// The readable summary (`--output-format=normal`), laid out like fio's normal output.
public enum NormalReport {
    public static func render(_ run: RunResult) -> String {
        var out = ""
        for j in run.jobs { out += renderJob(j) }
        return out
    }

    static func renderJob(_ j: JobResult) -> String {
        var out = "\(j.name): (groupid=\(j.groupID), jobs=\(j.jobCount)): err=\(j.error)"
        if j.interrupted { out += " (interrupted)" }
        out += "\n"
        for d in IODirection.allCases {
            let r = j.directions[d.rawValue]
            guard r.ios > 0 else { continue }
            out += "  \(d.name): IOPS=\(count(r.iops)), BW=\(Units.formatRate(r.bwBytesPerSec))"
            out += " (\(Units.formatBytes(r.bytes))/\(r.runtimeNs / NS.perMillisecond)msec)\n"
            out += latencyLine(" slat", r.slat)
            out += latencyLine(" clat", r.clat)
            out += latencyLine("  lat", r.lat)
            // fio: per priority, when two or more carried I/Os ("clat prio 1/0").
            let prios = r.reportedPrios
            let kind = j.percentiles.lat ? "lat" : "clat"
            for p in prios { out += latencyLine(" \(kind) prio \(p.prio >> 13)/\(p.prio & 7)", p.stats) }
            out += percentileLines("clat", r.clat)
            out += percentileLines(" lat", r.lat)
            for p in prios {
                let share = Double(p.stats.count) * 100 / Double(max(1, j.percentiles.lat ? r.lat.count : r.clat.count))
                out += percentileLines("\(kind) prio \(p.prio >> 13)/\(p.prio & 7) (\(f2(share))% of IOs)", p.stats)
            }
            if r.latFromDue.count > 0 && (r.latFromDue.mean != r.lat.mean || r.latFromDue.max != r.lat.max) {
                // Only under a rate: fio's lat starts when the rate let the I/O go.
                out += latencyLine("  lat from due (BlockLab, counts time behind the rate)", r.latFromDue)
                out += percentileLines("due lat", r.latFromDue)
            }
            let bw = r.bwSamples, io = r.iopsSamples
            out += "   bw (  KiB/s): min=\(Int(bw.min / 1024)), max=\(Int(bw.max / 1024)), "
            out += "avg=\(f2(bw.mean / 1024)), stdev=\(f2(bw.stddev / 1024)), samples=\(bw.samples)\n"
            out += "   iops        : min=\(Int(io.min)), max=\(Int(io.max)), "
            out += "avg=\(f2(io.mean)), stdev=\(f2(io.stddev)), samples=\(io.samples)\n"
        }
        let dist = j.distributions
        out += "  cpu          : usr=\(f2(j.usrCPUPercent))%, sys=\(f2(j.sysCPUPercent))%, "
        out += "ctx=\(j.cpu.voluntaryContextSwitches + j.cpu.involuntaryContextSwitches), "
        out += "majf=\(j.cpu.majorFaults), minf=\(j.cpu.minorFaults)\n"
        out += "  IO depths    : \(distLine(Distributions.depthKeys, dist.depth))\n"
        if dist.submit.reduce(0, +) > 0 { out += "     submit    : \(distLine(Distributions.batchKeys, dist.submit))\n" }
        if dist.complete.reduce(0, +) > 0 { out += "     complete  : \(distLine(Distributions.batchKeys, dist.complete))\n" }
        let ios = j.directions.map { String($0.ios) }.joined(separator: ",")
        let short = j.directions.map { String($0.shortIOs) }.joined(separator: ",")
        let drop = j.directions.map { String($0.dropIOs) }.joined(separator: ",")
        out += "     issued rwt: total=\(ios) short=\(short) dropped=\(drop)\n"
        if j.continueOnError {
            out += "     errors    : total=\(j.totalErrors), first_error=\(j.firstError)/<\(String(cString: strerror(j.firstError)))>\n"
        }
        if dist.waits > 0 { out += "     completions per wait: \(f2(dist.completionsPerWait))\n" }
        // fio prints its latency_target line for every job (target 0 without one).
        let t = j.latencyTarget ?? LatencyTargetFigures(depth: j.iodepth, targetNs: 0, windowNs: 0, percentile: 100)
        out += "     latency   : target=\(t.targetNs), window=\(t.windowNs / NS.perMicrosecond), "
        out += "percentile=\(f2(t.percentile))%, depth=\(t.depth)\n"
        if let ss = j.steadyState { out += ss.line }
        if let v = j.volume { out += volumeLines(v, elapsedNs: j.elapsedNs) }
        if let h = j.hostBound { out += "  host-bound   : \(h)\n" }
        if let s = j.series { out += "  series       : \(s.id), repetition \(s.repetition + 1) of \(s.repetitions)\n" }
        if let p = j.mapped {
            out += "  pool         : \(p.target): \(p.cowCopies) copy-on-write copies, write amplification \(f2(p.writeAmplification)), "
            out += "\(p.commits) commit(s)\n"
        }
        return out
    }

    /// The emulated volume's story: what it was, how long it held I/O back, its credits.
    static func volumeLines(_ v: VolumeSection, elapsedNs: UInt64) -> String {
        var head = "  volume       : \(v.type ?? "?")"
        if let g = v.sizeGiB { head += " \(g) GiB" }
        var limits: [String] = []
        if let b = v.baselineIOPS { limits.append("baseline \(b) IOPS") }
        if let p = v.peakIOPS, p != v.baselineIOPS { limits.append("burst \(p) IOPS") }
        if let b = v.baselineBytesPerSec { limits.append("baseline \(Units.formatRate(Double(b)))") }
        if let p = v.peakBytesPerSec, p != v.baselineBytesPerSec { limits.append("burst \(Units.formatRate(Double(p)))") }
        if !limits.isEmpty { head += " (" + limits.joined(separator: ", ") + ")" }
        if let i = v.instanceType { head += ", on \(i)" }
        var out = head + "\n"
        let share = elapsedNs > 0 ? " (\(Units.formatDecimal(Double(v.throttledNs) * 100 / Double(elapsedNs), places: 1))% of the run)" : ""
        out += "                 throttled \(Units.formatDuration(v.throttledNs))\(share), \(v.ebsOps) EBS I/O operations counted\n"
        for c in v.credits {
            var line = "                 \(c.name) credits: "
            line += "\(c.startPercent.map { Units.formatDecimal($0, places: 1) + "%" } ?? "?") at start, "
            line += "\(c.endPercent.map { Units.formatDecimal($0, places: 1) + "%" } ?? "?") at end"
            if let first = c.emptyAtNs.first {
                line += "; ran empty at \(Units.formatDuration(first))"
                if c.emptyAtNs.count > 1 { line += " (\(c.emptyAtNs.count) times)" }
            }
            out += line + "\n"
        }
        return out
    }

    static func latencyLine(_ label: String, _ s: LatencyStats) -> String {
        "    \(label): min=\(Units.formatDuration(s.min)), max=\(Units.formatDuration(s.max)), "
            + "avg=\(Units.formatDuration(UInt64(s.mean))), stdev=\(Units.formatDuration(UInt64(s.stddev)))\n"
    }

    static func percentileLines(_ label: String, _ s: LatencyStats) -> String {
        guard s.count > 0 else { return "" }
        var out = "    \(label) percentiles:\n"
        let items = s.percentiles().map { "\(Units.formatDecimal($0.0, places: 2))th=[\(Units.formatDuration($0.1))]" }
        var i = 0
        while i < items.count {
            out += "     | " + items[i..<min(i + 4, items.count)].joined(separator: ", ") + "\n"
            i += 4
        }
        return out
    }

    static func distLine(_ keys: [String], _ counts: [UInt64]) -> String {
        let p = Distributions.percentages(counts, total: counts.reduce(0, +))
        return zip(keys, p).map { "\($0)=\(Units.formatDecimal($1, places: 1))%" }.joined(separator: ", ")
    }

    /// 35843.5 -> "35.8k", as fio prints IOPS.
    static func count(_ v: Double) -> String {
        if v >= 1e6 { return Units.formatDecimal(v / 1e6, places: 1) + "M" }
        if v >= 1e4 { return Units.formatDecimal(v / 1e3, places: 1) + "k" }
        return Units.formatDecimal(v, places: 0)
    }

    static func f2(_ v: Double) -> String { Units.formatDecimal(v, places: 2) }

    /// A compact table, one line per job: rw, IOPS read/write, total bandwidth, mean and
    /// p99 latency (lat: due -> completion, the figure without coordinated omission).
    public static func table(_ run: RunResult) -> String {
        var rows: [[String]] = [["job", "rw", "read IOPS", "write IOPS", "bandwidth", "mean lat", "p99 lat"]]
        for j in run.jobs {
            var all = LatencyStats()
            for d in j.directions { all.merge(d.lat) }
            let bw = j.directions.reduce(0.0) { $0 + $1.bwBytesPerSec }
            rows.append([
                j.name + (j.interrupted ? "*" : ""),
                j.options.last { $0.key == "rw" || $0.key == "readwrite" }?.value ?? "-",
                Units.formatDecimal(j.read.iops, places: 0),
                Units.formatDecimal(j.write.iops, places: 0),
                Units.formatRate(bw),
                all.count == 0 ? "-" : Units.formatDuration(UInt64(all.mean)),
                all.count == 0 ? "-" : Units.formatDuration(all.percentile(99)),
            ])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        return rows.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c < 2 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
