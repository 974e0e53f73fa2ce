import BlockLabCore
import Foundation
import Metrics
import SnapStore
import VolumeModel

/// The lab's snapshot experiment on a pool volume: write it, snapshot, overwrite a quarter,
/// snapshot again; restore the first snapshot lazily and with fast restore; read 4 KiB at
/// random, one at a time, on first touch, after an initialization read (AWS's advice: read
/// every block once), and on the fast-restored volume. Reports each snapshot's incremental,
/// unique and shared bytes and what EBS would bill for them.
public struct SnapshotExperiment {
    public let options: LabOptions
    public let poolPath: String
    public let directory: String
    public let executor: LabExecutor
    public let environment: [String: String]
    public let prices: PriceTable?
    public let note: (String) -> Void

    /// Runs of the experiment: its result file name and what it measures.
    static let reads = [("snapshot-first-touch", "lazy restore, first touch"),
                        ("snapshot-after-init", "lazy restore, after reading every block once"),
                        ("snapshot-fast-restore", "fast snapshot restore")]

    public static func estimatedSeconds(_ o: LabOptions) -> UInt64 { 3 * readSeconds(o) + 6 }
    static func readSeconds(_ o: LabOptions) -> UInt64 { o.mode == .quick ? 2 : 10 }

    public struct SnapshotFigures: Sendable {
        public var name: String
        public var mappedBytes: UInt64
        public var incrementalBytes: UInt64
        public var uniqueBytes: UInt64
        public var sharedBytes: UInt64
    }

    public struct ReadFigures: Sendable {
        public var name: String
        public var what: String
        public var ios: UInt64 = 0
        public var meanLatNs: Double = 0
        public var p50LatNs: Double = 0
        public var p99LatNs: Double = 0
        public var maxLatNs: Double = 0
        /// Reads that touched a block the restore had not loaded yet, and the latency that
        /// added to each on average (EBS's first-touch penalty, as the pool emulates it).
        public var firstTouchFetches: UInt64 = 0
        public var meanFetchPenaltyNs: Double = 0
    }

    public struct Outcome: Sendable {
        public var snapshots: [SnapshotFigures] = []
        public var reads: [ReadFigures] = []
        /// The initialization read's wall time (seconds) and rate.
        public var initSeconds: Double = 0
        public var volumeBytes: UInt64 = 0
        public var pricesSource: String?
        public var snapshotGBMonth: Double?
        public var fastRestoreHour: Double?
        public var interrupted = false
        public var error: String?

        public init(error: String? = nil) { self.error = error }

        /// Monthly storage EBS bills for the snapshots: each one's incremental bytes (its
        /// blocks not in the snapshot before it) at the standard tier, decimal GB as AWS bills.
        public var monthlySnapshotCost: Double? {
            snapshotGBMonth.map { price in snapshots.reduce(0) { $0 + Double($1.incrementalBytes) / 1e9 * price } }
        }

        public var json: JSONValue {
            var m: [(String, JSONValue)] = [
                ("volume_bytes", .uint(volumeBytes)),
                ("snapshots", .array(snapshots.map { s in
                    .object([("name", .string(s.name)), ("mapped_bytes", .uint(s.mappedBytes)),
                             ("incremental_bytes", .uint(s.incrementalBytes)), ("unique_bytes", .uint(s.uniqueBytes)),
                             ("shared_bytes", .uint(s.sharedBytes))])
                })),
                ("reads", .array(reads.map { r in
                    .object([("name", .string(r.name)), ("what", .string(r.what)), ("ios", .uint(r.ios)),
                             ("mean_lat_ns", .double(r.meanLatNs)), ("p50_lat_ns", .double(r.p50LatNs)),
                             ("p99_lat_ns", .double(r.p99LatNs)), ("max_lat_ns", .double(r.maxLatNs)),
                             ("first_touch_fetches", .uint(r.firstTouchFetches)),
                             ("mean_fetch_penalty_ns", .double(r.meanFetchPenaltyNs))])
                })),
                ("initialization_s", .double(initSeconds)),
                ("interrupted", .bool(interrupted)),
            ]
            if let c = monthlySnapshotCost { m.append(("snapshot_storage_usd_month", .double(c))) }
            if let f = fastRestoreHour { m.append(("fast_snapshot_restore_usd_per_az_hour", .double(f))) }
            if let p = pricesSource { m.append(("prices", .string(p))) }
            if let e = error { m.append(("error", .string(e))) }
            return .object(m)
        }
    }

    public init(options: LabOptions, poolPath: String, directory: String, executor: LabExecutor, environment: [String: String],
                prices: PriceTable?, note: @escaping (String) -> Void) {
        self.options = options
        self.poolPath = poolPath
        self.directory = directory
        self.executor = executor
        self.environment = environment
        self.prices = prices
        self.note = note
    }

    func job(_ name: String, _ rw: String, bs: String, size: UInt64, timed: Bool = false, depth: Int = 1) -> [String] {
        var a = ["--name=\(name)", "--filename=lab", "--rw=\(rw)", "--bs=\(bs)", "--size=\(size)", "--iodepth=\(depth)", "--direct=1"]
        if timed { a += ["--runtime=\(Self.readSeconds(options))", "--time_based"] }
        return a
    }

    /// Runs one job on a pool volume; false when it was interrupted.
    func run(_ args: [String], volume: String, result: String) throws -> Bool {
        let status = try executor.run(LabRun(jobArguments: args, environment: environment, poolTarget: "pool:\(poolPath)/\(volume)",
                                             outputPath: "\(directory)/\(result).json"))
        if status == 130 { return false }
        if status != 0 { throw BlockLabError.runtime("snapshot experiment: \(result) reported errors (see \(directory)/\(result).json)") }
        return true
    }

    public func run() throws -> Outcome {
        var out = Outcome()
        let size = options.snapshotVolumeBytes
        out.volumeBytes = size
        try Pool.create(path: poolPath, chunkSize: 64 * 1024)
        do { let pool = try Pool(path: poolPath); try pool.createVolume(name: "data", size: size); try pool.close() }
        guard try run(job("fill", "write", bs: "1m", size: size, depth: 8), volume: "data", result: "snapshot-fill") else {
            out.interrupted = true; return out
        }
        do { let pool = try Pool(path: poolPath); _ = try pool.createSnapshot(volume: "data", name: "base"); try pool.close() }
        guard try run(job("overwrite", "randwrite", bs: "64k", size: size / 4, depth: 8), volume: "data", result: "snapshot-overwrite") else {
            out.interrupted = true; return out
        }
        do {
            let pool = try Pool(path: poolPath)
            _ = try pool.createSnapshot(volume: "data", name: "after-overwrite")
            // Before any restore shares their blocks: what each snapshot holds on its own.
            out.snapshots = pool.snapshots().map {
                SnapshotFigures(name: $0.name, mappedBytes: $0.mappedBytes, incrementalBytes: $0.incrementalBytes,
                                uniqueBytes: $0.uniqueBytes, sharedBytes: $0.sharedBytes)
            }
            // The slowest background initialization AWS offers, so first touch is seen.
            try pool.restore(snapshot: "base", to: "lazy", fastRestore: false, rateBytesPerSec: 100 * Units.MiB)
            try pool.restore(snapshot: "base", to: "fast", fastRestore: true)
            try pool.close()
        }
        note("      snapshots base and after-overwrite; restored base lazily and with fast restore")
        // First touch, then read every block once (the initialization), then again.
        let readJob = job("read", "randread", bs: "4k", size: size, timed: true)
        guard try run(readJob, volume: "lazy", result: Self.reads[0].0) else { out.interrupted = true; return out }
        let t0 = Date()
        guard try run(job("initialize", "read", bs: "1m", size: size, depth: 8), volume: "lazy", result: "snapshot-initialize") else {
            out.interrupted = true; return out
        }
        out.initSeconds = Date().timeIntervalSince(t0)
        guard try run(readJob, volume: "lazy", result: Self.reads[1].0) else { out.interrupted = true; return out }
        guard try run(readJob, volume: "fast", result: Self.reads[2].0) else { out.interrupted = true; return out }

        for (name, what) in Self.reads {
            var f = ReadFigures(name: name, what: what)
            let path = "\(directory)/\(name).json"
            if let bytes = try? InputFile.read(path, limit: 64 << 20, what: "lab result") { Self.readFigures(bytes, into: &f) }
            out.reads.append(f)
        }
        if let prices {
            out.pricesSource = "\(prices.region), \(prices.source)"
            out.snapshotGBMonth = prices.price("snapshot.gb_month_standard")
            out.fastRestoreHour = prices.price("fast_snapshot_restore.snapshot_zone_hour")
        }
        for r in out.reads { note("      " + Self.describe(r)) }
        return out
    }

    /// A read run's figures from its BlockLab result, in one pass over the document: reads,
    /// mean and max lat, the p50 and p99 of `blocklab.lat_percentiles_ns`, and the pool's
    /// first-touch count and penalty (`blocklab.pool_target.store`).
    static func readFigures(_ bytes: [UInt8], into f: inout ReadFigures) {
        guard let top = try? JSONSerialization.jsonObject(with: Data(FioJSONSummary.lastDocument(bytes))) as? [String: Any],
              let job = (top["jobs"] as? [[String: Any]])?.first else { return }
        func number(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? 0 }
        let read = job["read"] as? [String: Any], lat = read?["lat_ns"] as? [String: Any]
        f.ios = (read?["total_ios"] as? NSNumber)?.uint64Value ?? 0
        f.meanLatNs = number(lat?["mean"])
        f.maxLatNs = number(lat?["max"])
        let bl = job["blocklab"] as? [String: Any]
        let pct = (bl?["lat_percentiles_ns"] as? [String: Any])?["read"] as? [String: Any]
        f.p50LatNs = number(pct?["50.000000"])
        f.p99LatNs = number(pct?["99.000000"])
        let store = (bl?["pool_target"] as? [String: Any])?["store"] as? [String: Any]
        f.firstTouchFetches = (store?["first_touch_fetches"] as? NSNumber)?.uint64Value ?? 0
        f.meanFetchPenaltyNs = f.firstTouchFetches > 0 ? number(store?["fetch_penalty_ns"]) / Double(f.firstTouchFetches) : 0
    }

    public static func describe(_ r: ReadFigures) -> String {
        var s = "\(r.what): mean \(Units.formatDuration(UInt64(r.meanLatNs))), p99 \(Units.formatDuration(UInt64(r.p99LatNs))), "
            + "max \(Units.formatDuration(UInt64(r.maxLatNs)))"
        if r.firstTouchFetches > 0 {
            s += "; \(r.firstTouchFetches) reads touched blocks not yet loaded, +\(Units.formatDuration(UInt64(r.meanFetchPenaltyNs))) each"
        }
        return s
    }
}
