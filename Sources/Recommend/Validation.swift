import BlockLabCore
import Metrics
import VolumeModel

/// `--validate`: the workload as fio-style options for `blocklab run` on the emulated
/// recommended volume, and the verdict on its result.
public enum Validation {
    /// Job options that replay the needs' busiest rate (steady needs: the rate itself) for
    /// `runtime` on a file in `directory`, at the needs' queue depth. A RAID 0 option runs one
    /// stripe at its share of the demand (random I/O spreads evenly over the stripes).
    public static func jobArguments(_ n: Needs, option o: RecommendOption, directory: String, runtime: String) -> [String] {
        let iv = n.peakInterval!
        let secs = Double(iv.durationNs) / 1e9 * Double(o.stripes)
        let rIOPS = (Double(iv.ios[0]) / secs).rounded(), wIOPS = (Double(iv.ios[1]) / secs).rounded()
        let bs = max(512, UInt64(n.meanIOSize / 512) * 512)
        let read = n.readPercent
        let rw = n.pattern == .random ? (read >= 99.5 ? "randread" : read <= 0.5 ? "randwrite" : "randrw")
            : (read >= 99.5 ? "read" : read <= 0.5 ? "write" : "rw")
        let size = min(o.volume.sizeBytes, Units.GiB)
        var args = ["--name=validate", "--rw=\(rw)", "--bs=\(bs)", "--size=\(size)", "--iodepth=\(n.queueDepth)",
                    "--runtime=\(runtime)", "--time_based", "--filename=\(directory)/validate.dat",
                    "--rate_iops=\(UInt64(max(1, rIOPS))),\(UInt64(max(1, wIOPS)))"]
        if rw == "randrw" || rw == "rw" { args.append("--rwmixread=\(Int(read.rounded()))") }
        return args
    }

    /// Whether the run met the needs: at least 95 % of the demanded IOPS and bandwidth, and
    /// p99 latency within the target (other percentiles are judged at p99).
    public static func judge(_ n: Needs, option o: RecommendOption, resultJSON: [UInt8], source: String) throws -> (met: Bool, text: String) {
        let s = try FioJSONSummary.parse(resultJSON, source: source)
        let r = s.total(.read), w = s.total(.write)
        let iops = r.iops + w.iops, bw = r.bwBytesPerSec + w.bwBytesPerSec
        let iv = n.peakInterval!
        let secs = Double(iv.durationNs) / 1e9 * Double(o.stripes)
        let needIOPS = Double(iv.ios[0] + iv.ios[1]) / secs, needBW = Double(iv.bytes[0] + iv.bytes[1]) / secs
        // fio's lat: the rate is per direction and the 70/30-style mix draws directions at
        // random, so a direction's schedule runs ahead of the mix by chance and latency from
        // due would count that as lateness. A volume that cannot keep the rate shows in the
        // IOPS check instead (at least 95 % of it).
        let p99 = s.jobs.map { max($0.read.p99LatNs, $0.write.p99LatNs) }.max() ?? 0
        var met = iops >= 0.95 * needIOPS && bw >= 0.95 * needBW
        var text = "validate: \(Recommender.grouped(iops)) IOPS of \(Recommender.grouped(needIOPS)) needed (\(Units.formatDecimal(iops * 100 / needIOPS, places: 1)) %), "
            + "\(Units.formatRate(bw)) of \(Units.formatRate(needBW)), p99 latency \(Recommender.ms(p99 / 1000))"
        if let t = n.latencyTargetUs {
            let ok = p99 / 1000 <= t
            met = met && ok
            text += " (target \(Recommender.ms(t))\(n.latencyPercentile != 99 ? " at p\(Recommender.pct(n.latencyPercentile)), judged at p99" : ""))"
        }
        text += met ? ": met the needs" : ": did NOT meet the needs"
        return (met, text + "\n")
    }
}
