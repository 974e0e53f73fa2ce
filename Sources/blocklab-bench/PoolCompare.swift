import Foundation

/// 4 KiB random writes at depth 32 through the engine: a pool volume with no snapshots
/// against a plain file (target: at least 80 %), then right after a snapshot, when every
/// first write to a chunk is a copy-on-write.
struct PoolCompare {
    let blocklab: String
    let dir: String
    let rounds: Int
    let seconds: Int

    func run() throws -> [String] {
        let pool = "\(dir)/pool"
        let plain = "\(dir)/plain-1g.dat"
        // Both sides start from new files: on a thin-provisioned virtual disk, blocks never
        // written before are much slower to write than old ones.
        _ = try? FileManager.default.removeItem(atPath: pool)
        _ = try? FileManager.default.removeItem(atPath: plain)
        for argv in [["pool", "create", pool, "--chunk-size", "64k"], ["volume", "create", "\(pool)/vol", "--size", "1g"]] {
            let r = try Subprocess.run([blocklab] + argv)
            guard r.status == 0 else { throw NSError(domain: "blocklab \(argv.joined(separator: " ")) failed", code: 1) }
        }
        // Lay out both sides the same way: every block written once, sequentially, and on
        // disk before timing starts (dirty pages written back during a round would skew it).
        _ = try iops(["--name=fill", "--rw=write", "--bs=1m", "--size=1g", "--iodepth=8", "--end_fsync=1"], target: "pool:\(pool)/vol")
        _ = try iops(["--name=fill", "--rw=write", "--bs=1m", "--size=1g", "--iodepth=8", "--end_fsync=1", "--filename=\(plain)"], target: nil)
        _ = try Subprocess.run(["sync"])
        let job = ["--name=rw4k", "--rw=randwrite", "--bs=4k", "--iodepth=32", "--size=1g", "--direct=1",
                   "--time_based", "--runtime=\(seconds)"]
        var file: [Double] = [], vol: [Double] = []
        for _ in 0..<rounds {
            file.append(try iops(job + ["--filename=\(plain)"], target: nil))
            vol.append(try iops(job, target: "pool:\(pool)/vol"))
        }
        let snap = try Subprocess.run([blocklab, "snapshot", "create", "\(pool)/vol", "--name", "bench"])
        guard snap.status == 0 else { throw NSError(domain: "snapshot create failed", code: 1) }
        let afterSnap = try iops(job, target: "pool:\(pool)/vol")
        let f = median(file), v = median(vol)
        return [
            "Pool volume vs plain file (4 KiB random write, qd32, direct=1, \(rounds) rounds, \(seconds) s; medians)",
            "  plain file \(fmt(f, 0)) IOPS, pool volume \(fmt(v, 0)) IOPS: \(fmt(v / max(f, 1) * 100, 1)) % (target >= 80 %) \(v >= 0.8 * f ? "ok" : "MISSED")",
            "  right after a snapshot (copy-on-write on first touch): \(fmt(afterSnap, 0)) IOPS = \(fmt(afterSnap / max(f, 1) * 100, 1)) % of plain",
        ]
    }

    func iops(_ options: [String], target: String?) throws -> Double {
        var argv = [blocklab, "run", "--quiet", "--output-format=json", "--results-dir", dir]
        if let target { argv += ["--target", target] }
        let r = try Subprocess.run(argv + options)
        guard r.status == 0, let doc = try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any],
              let job = (doc["jobs"] as? [[String: Any]])?.first else {
            throw NSError(domain: "blocklab run \(options.first ?? "") failed (exit \(r.status))", code: 1)
        }
        return VolumeAccuracy.iops(job)
    }
}
