import BlockLabCore
import Compare
import Foundation
import Recommend
import Report
import VolumeModel

/// The lab's last step, the answer people come for, made from the run directory: compare's
/// table over the workload results, a recommendation for the database-like workload checked
/// by a run on its emulated volume, and the HTML report of all of it. Everything it writes
/// goes into the run directory.
public struct LabAnswer {
    /// The recommendation's need: the database-like workload (16 KiB, 70 % reads, random)
    /// at an IOPS and a p99 latency target, on the lab's volume size.
    public struct Need: Sendable {
        public var iops: UInt64 = 6000
        public var latency = "10ms"
        public init() {}
    }

    public let plan: LabPlan
    public let need: Need
    public let store: ProfileStore
    public let region = "us-east-1"

    /// Checks the need and makes the recommendation (no I/O): done before the runs, so a
    /// need that is malformed or that nothing meets stops the lab before it starts.
    public static func recommendation(plan: LabPlan, need: Need, store: ProfileStore) throws -> Recommendation {
        var input = NeedsInput()
        input.iops = String(need.iops)
        input.blockSize = "16k"
        input.readPercent = "70"
        input.capacity = "\(plan.options.volumeSizeGiB)g"
        input.latencyTarget = need.latency
        let instance = try plan.options.instance.map { try store.instance(named: $0) }
        return try Recommender(store: store, prices: try store.prices(region: "us-east-1"), instance: instance, current: nil)
            .recommend(try input.needs())
    }

    public init(plan: LabPlan, need: Need, store: ProfileStore) {
        self.plan = plan
        self.need = need
        self.store = store
    }

    /// Compare's table over `results` (`LABEL=PATH` or paths); also written to compare.md.
    public func compare(_ results: [String], runDir: String) throws -> String {
        let read = try ResultReader.read(results)
        let comparison = try Comparison.make(read.samples)
        try AtomicFile.write(CompareRenderer.render(comparison, style: .markdown), to: runDir + "/compare.md")
        return CompareRenderer.render(comparison, style: .table)
    }

    /// Writes recommendation.json; with `validate`, runs the need on the chosen volume
    /// (emulated, on a file in `scratch`) through `executor` and writes validation.txt.
    /// Returns the verdict (nil when not validated).
    public func record(_ rec: Recommendation, runDir: String, scratch: String, executor: LabExecutor,
                       validate: Bool) throws -> (met: Bool, text: String)? {
        try AtomicFile.write(rec.json().serialized() + "\n", to: runDir + "/recommendation.json")
        guard validate else { return nil }
        let c = rec.chosen
        let runtime = "\(plan.options.effectiveRuntimeSeconds)s"
        let output = runDir + "/validation-run.json"
        let run = LabRun(jobArguments: Validation.jobArguments(rec.needs, option: c, directory: scratch, runtime: runtime),
                         environment: [:], volume: c.spec, instance: c.instanceType ?? rec.instance?.name, outputPath: output)
        let status = try executor.run(run)
        guard status == 0 else { throw BlockLabError.runtime("validation run of \(c.spec) ended with status \(status)") }
        let verdict = try Validation.judge(rec.needs, option: c, resultJSON: try InputFile.read(output, limit: 64 << 20, what: "validation result"),
                                           source: output)
        let note = "validate: ran \(c.spec)\(run.instance.map { " on \($0)" } ?? "") for \(runtime)"
        try AtomicFile.write(note + "\n" + verdict.text, to: runDir + "/validation.txt")
        return (verdict.met, note + "\n" + verdict.text)
    }

    /// The snapshot experiment as two tables: what each snapshot holds and bills, and reads
    /// on a restored volume.
    static func snapshotTables(_ snap: SnapshotExperiment.Outcome) -> [HTMLReport.Table] {
        let bill = snap.snapshotGBMonth.map { price in { (bytes: UInt64) in String(format: "$%.4f", Double(bytes) / 1e9 * price) } }
        let held = HTMLReport.Table(
            title: "Snapshots of a \(Units.formatBytes(snap.volumeBytes)) volume",
            note: "Incremental: blocks not in the snapshot before it (what EBS stores and bills); unique: held by this snapshot alone; "
                + "shared: also held by another snapshot or the volume." + (snap.pricesSource.map { " Prices: \($0)." } ?? ""),
            header: ["snapshot", "mapped", "incremental", "unique", "shared", "EBS storage a month"],
            rows: snap.snapshots.map { s in
                [s.name, Units.formatBytes(s.mappedBytes), Units.formatBytes(s.incrementalBytes), Units.formatBytes(s.uniqueBytes),
                 Units.formatBytes(s.sharedBytes), bill?(s.incrementalBytes) ?? "-"]
            })
        let reads = HTMLReport.Table(
            title: "Reads on a restored volume (4 KiB random, one at a time)",
            note: "Lazy restore loads blocks in the background; a read of a block not yet loaded waits for it (first touch). "
                + "Fast snapshot restore is fully loaded from the start"
                + (snap.fastRestoreHour.map { String(format: " ($%.2f per snapshot and Availability Zone an hour).", $0) } ?? "."),
            header: ["read", "mean", "p99", "max", "first-touch reads", "added each"],
            rows: snap.reads.map { r in
                [r.what, Units.formatDuration(UInt64(r.meanLatNs)), Units.formatDuration(UInt64(r.p99LatNs)),
                 Units.formatDuration(UInt64(r.maxLatNs)), String(r.firstTouchFetches),
                 r.firstTouchFetches > 0 ? Units.formatDuration(UInt64(r.meanFetchPenaltyNs)) : "-"]
            })
        return [held, reads]
    }

    /// report.html over `results`, with the recommendation when there is one and the
    /// snapshot experiment's figures when it ran.
    public func report(_ results: [String], runDir: String, title: String, snapshot: SnapshotExperiment.Outcome? = nil) throws {
        let read = try ResultReader.read(results)
        let comparison = try Comparison.make(read.samples)
        let recPath = runDir + "/recommendation.json"
        let reco = FileManager.default.fileExists(atPath: recPath) ? try RecommendationSummary.read(recPath) : nil
        let prices = (try? store.prices(region: region)).map(Pricing.init)
        var input = HTMLReport.Input(results: read, comparison: comparison, recommendation: reco, prices: prices,
                                     title: title, generated: ISO8601DateFormatter().string(from: Date()))
        if let snap = snapshot, snap.error == nil, !snap.snapshots.isEmpty {
            input.tables = Self.snapshotTables(snap)
        }
        let page = HTMLReport.render(input)
        try AtomicFile.write(page, to: runDir + "/report.html")
    }
}

extension Pricing {
    /// The report's view of a region's price table: the same maths `recommend` uses.
    public init(_ table: PriceTable) {
        self.init(region: table.region, source: "\(table.source) (\(table.date))") { type, gib, iops, mibps in
            table.monthlyCost(type: type, sizeGiB: gib, iops: iops, mibps: mibps)
        }
    }
}
