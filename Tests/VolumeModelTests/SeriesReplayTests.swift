import BlockLabCore
import Testing
@testable import VolumeModel

/// Lines as `blocklab run --write-series` writes them (Metrics.SeriesLine).
func seriesLine(tMs: Double, durMs: Double = 1000, job: String = "a", read: (Double, Double), write: (Double, Double) = (0, 0)) -> String {
    "{\"t_ms\":\(tMs),\"dur_ms\":\(durMs),\"job\":\"\(job)\",\"read\":{\"iops\":\(read.0),\"bw_bytes\":\(read.1),\"mean_lat_ns\":500000},"
        + "\"write\":{\"iops\":\(write.0),\"bw_bytes\":\(write.1),\"mean_lat_ns\":0},\"burst_balance_pct\":100}"
}

func replay(_ lines: [String], volume: String = "gp3:size=100g") throws -> SimulationResult {
    var req = SimulateRequest(jobs: [], volume: volume, instance: nil, json: false, intervalNs: S, store: store)
    req.series = try SeriesDemand.parse(text: lines.joined(separator: "\n") + "\n", path: "run.series")
    return try req.simulate()
}

@Test func seriesIntervalsBecomeDemand() throws {
    let d = try SeriesDemand.parse(text: [
        seriesLine(tMs: 1000, read: (1000, 4_096_000), write: (500, 8_192_000)),
        seriesLine(tMs: 4000, read: (200, 819_200)),
    ].joined(separator: "\n"), path: "s")
    #expect(d.jobs.count == 1)
    #expect(d.jobs[0].intervals[0] == .init(startNs: 0, durationNs: S, ios: [1000, 500], bytes: [4_096_000, 8_192_000]))
    #expect(d.jobs[0].intervals[1].startNs == 3 * S)
    // Played on gp3: every demanded I/O and byte, in its interval; the gap is idle time.
    let r = try replay([seriesLine(tMs: 1000, read: (1000, 4_096_000), write: (500, 8_192_000)),
                        seriesLine(tMs: 4000, read: (200, 819_200))])
    #expect(r.totalIOs == 1700)
    #expect(r.totalBytes == 4_096_000 + 8_192_000 + 819_200)
    #expect(r.endNs == 4 * S)
    #expect(r.intervals[0].ios >= 1490 && r.intervals[0].ios <= 1500) // a few complete just after 1 s
    #expect(r.intervals[2].ios == 0)
}

@Test func replayedDemandAboveTheVolumeIsHeldToIt() throws {
    // 5,000 IOPS recorded, replayed on gp3 at 3,000: the volume caps each second.
    let r = try replay((1...3).map { seriesLine(tMs: Double($0) * 1000, read: (5000, 5000 * 4096)) })
    #expect(abs(Int(r.intervals[1].ios) - 3000) <= 10, "\(r.intervals[1].ios)")
}

@Test func badSeriesLinesNameTheFileAndLine() {
    #expect(usageMessage { _ = try SeriesDemand.parse(text: "{\"t_ms\":1}\nnot json", path: "x.jsonl") }.contains("x.jsonl:1"))
    #expect(usageMessage { _ = try SeriesDemand.parse(text: seriesLine(tMs: 1000, read: (1, 1)) + "\nnot json", path: "x.jsonl") }
        .contains("x.jsonl:2"))
    #expect(usageMessage { _ = try SeriesDemand.parse(text: "", path: "x.jsonl") }.contains("no intervals"))
    #expect(usageMessage { _ = try replay([seriesLine(tMs: 1000, read: (1, 4096))], volume: "") }.contains("--volume"))
}
