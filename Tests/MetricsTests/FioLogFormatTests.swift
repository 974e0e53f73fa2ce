import BlockLabCore
import Testing
@testable import Metrics

/// fio's bins, log rows and windows, checked against fio 3.33's own definitions and output.
struct FioLogFormatTests {
    @Test func binsAreFiosPlatIndexAndMidpoint() {
        // Below 128 ns every value has its own bin.
        for v: UInt64 in [0, 1, 63, 64, 127] { #expect(FioBins.index(v) == Int(v) && FioBins.value(Int(v)) == v) }
        // 128...255: bins two wide (index 128 + (v >> 1) & 63), midpoint + 1.
        #expect(FioBins.index(128) == 128 && FioBins.index(129) == 128 && FioBins.index(130) == 129)
        #expect(FioBins.value(128) == 129)
        // Keys fio 3.33 wrote in json+ (perio/fx.json) are bin midpoints: they map to themselves.
        for key: UInt64 in [40704, 47872, 48896, 7_503_872, 7_634_944] {
            #expect(FioBins.value(FioBins.index(key)) == key, "\(key)")
        }
        // Everything past 2^34 ns lands in the last bin.
        #expect(FioBins.index(1 << 40) == FioBins.count - 1)
        // A bin's values all map to it, and bins are in order.
        var last = -1
        for v in stride(from: UInt64(1), to: 1 << 30, by: 997) {
            let i = FioBins.index(v)
            #expect(i >= last)
            last = i
        }
    }

    @Test func latencyStatsBinsCountEveryValueInFiosBin() {
        var s = LatencyStats()
        let values: [UInt64] = [5, 127, 128, 129, 40_000, 40_700, 1_000_000, 7_500_000, 7_500_001]
        for v in values { s.record(v) }
        let bins = s.fioBins()
        #expect(bins.map(\.count).reduce(0, +) == UInt64(values.count))
        var expected: [UInt64: UInt64] = [:]
        for v in values { expected[FioBins.value(FioBins.index(v)), default: 0] += 1 }
        #expect(Dictionary(uniqueKeysWithValues: bins.map { ($0.value, $0.count) }) == expected)
    }

    @Test func rowsAreWrittenAsFioPrintsThem() {
        let rows = [FioLogRow(msec: 7, value: 546, ddir: 0, bs: 4096, offset: 61440),
                    FioLogRow(msec: 12, value: 1, ddir: 1, bs: 4096, offset: 0)]
        var a: [UInt8] = []
        FioLogText.render(rows, offset: true, into: &a)
        #expect(String(decoding: a, as: UTF8.self) == "7, 546, 0, 4096, 61440, 0\n12, 1, 1, 4096, 0, 0\n")
        var b: [UInt8] = []
        FioLogText.render(rows, offset: false, into: &b)
        #expect(String(decoding: b, as: UTF8.self) == "7, 546, 0, 4096, 0\n12, 1, 1, 4096, 0\n")
        var h: [UInt8] = []
        FioLogText.renderHist([FioHistRow(msec: 253, ddir: 1, bs: 4096, bins: [(index: 3, count: 2)])], coarseness: 0, into: &h)
        let fields = String(decoding: h, as: UTF8.self).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(fields.count == 3 + FioBins.count)
        #expect(Array(fields.prefix(7)) == ["253", "1", "4096", "0", "0", "0", "2"])
        var c: [UInt8] = []
        FioLogText.renderHist([FioHistRow(msec: 1, ddir: 0, bs: 4096, bins: [(index: 3, count: 2), (index: 2, count: 1)])], coarseness: 2, into: &c)
        let coarse = String(decoding: c, as: UTF8.self).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(coarse.count == 3 + FioBins.count / 4 && coarse[3] == "3")
    }

    @Test func perIORowsDeriveFromEachIO() {
        var cfg = IOLogConfig()
        for k in FioLogKind.allCases where k != .clatHist { cfg.kinds[k.rawValue] = true }
        let r = IOLogRecorder(config: cfg, startNs: 1_000_000_000)
        r.record(.read, bytes: 4096, offset: 8192, slat: 1_000, clat: 170_923, lat: 171_923, now: 1_007_000_000)
        let d = r.finish(endNs: 1_010_000_000)
        #expect(d.rows(.iops) == [FioLogRow(msec: 7, value: 1, ddir: 0, bs: 4096, offset: 8192)])
        // fio's add_bw_sample: 4096 * 1,000,000 / 170,923 ns = 23964.
        #expect(d.rows(.bw).first?.value == 23964)
        #expect(d.rows(.slat).first?.value == 1_000 && d.rows(.lat).first?.value == 171_923)
    }

    @Test func aPerIOLogStopsAtItsMemoryCapAndSaysWhen() {
        var cfg = IOLogConfig()
        cfg.kinds[FioLogKind.clat.rawValue] = true
        cfg.maxSamples = 3
        let r = IOLogRecorder(config: cfg, startNs: 0)
        for i in 1...5 { r.record(.read, bytes: 4096, offset: 0, slat: 0, clat: 1000, lat: 1000, now: UInt64(i) * 2 * NS.perMillisecond) }
        let d = r.finish(endNs: 20 * NS.perMillisecond)
        #expect(d.rows(.clat).map(\.msec) == [2, 4, 6])
        #expect(d.truncatedAtMsec == 8)
        var uncapped = cfg
        uncapped.maxSamples = .max
        let u = IOLogRecorder(config: uncapped, startNs: 0)
        u.record(.read, bytes: 4096, offset: 0, slat: 0, clat: 1000, lat: 1000, now: NS.perMillisecond)
        #expect(u.finish(endNs: 2 * NS.perMillisecond).truncatedAtMsec == nil)
    }

    @Test func windowsAverageOrMaximiseAndDropAStubRateWindow() {
        var cfg = IOLogConfig()
        for k in FioLogKind.allCases where k != .clatHist { cfg.kinds[k.rawValue] = true }
        cfg.avgMsec = 100
        let ms = NS.perMillisecond
        let r = IOLogRecorder(config: cfg, startNs: 0)
        // 10 reads in the first window (clat 1..10 us), then one at 105 ms closing it.
        for i in 0..<10 { r.record(.read, bytes: 4096, offset: 0, slat: 0, clat: UInt64(i + 1) * 1000, lat: UInt64(i + 1) * 1000, now: UInt64(i * 10) * ms) }
        r.record(.read, bytes: 4096, offset: 0, slat: 0, clat: 50_000, lat: 50_000, now: 105 * ms)
        let d = r.finish(endNs: 120 * ms)
        // Latency: fio closes the window with the I/O that ends it, stamped with its time.
        let clat = d.rows(.clat)
        #expect(clat.count == 1)
        #expect(clat[0].msec == 105 && clat[0].value == (55_000 + 50_000 + 5) / 11 && clat[0].bs == 0)
        // iops: 10 I/Os in 100 ms = 100 IOPS; the 20 ms tail (< half a window) is not a sample.
        #expect(d.rows(.iops) == [FioLogRow(msec: 100, value: 100, ddir: 0, bs: 0, offset: 0)])
        #expect(d.rows(.bw).first?.value == 10 * 4096 * 1000 / 100 / 1024)

        cfg.maxValue = true
        let m = IOLogRecorder(config: cfg, startNs: 0)
        for i in 0..<3 { m.record(.write, bytes: 4096, offset: 0, slat: 0, clat: UInt64(i + 1) * 1000, lat: 0, now: UInt64(i) * ms) }
        #expect(m.finish(endNs: 80 * ms).rows(.clat) == [FioLogRow(msec: 80, value: 3000, ddir: 1, bs: 0, offset: 0)])
    }

    @Test func histogramRowsHoldEachWindowsCompletions() {
        var cfg = IOLogConfig()
        cfg.kinds[FioLogKind.clatHist.rawValue] = true
        cfg.histMsec = 100
        let ms = NS.perMillisecond
        let r = IOLogRecorder(config: cfg, startNs: 0)
        r.record(.read, bytes: 4096, offset: 0, slat: 0, clat: 100, lat: 0, now: 1 * ms)
        r.record(.read, bytes: 4096, offset: 0, slat: 0, clat: 100, lat: 0, now: 50 * ms)
        r.record(.read, bytes: 4096, offset: 0, slat: 0, clat: 40_000, lat: 0, now: 101 * ms)
        r.record(.read, bytes: 4096, offset: 0, slat: 0, clat: 40_000, lat: 0, now: 150 * ms)
        let d = r.finish(endNs: 160 * ms)
        #expect(d.hist.count == 1)
        #expect(d.hist[0].msec == 101)
        #expect(d.hist[0].bins.map(\.count).reduce(0, +) == 3)
    }

    @Test func aStubLastIntervalJoinsTheOneBefore() {
        var a = IntervalFigures(startNs: 0, endNs: 1_000_000_000)
        a.ios = [1000, 0]
        a.bytes = [4_096_000, 0]
        a.meanLatNs = [100, 0]
        var b = IntervalFigures(startNs: 1_000_000_000, endNs: 1_000_120_000)
        b.ios = [2, 0]
        b.bytes = [8192, 0]
        b.meanLatNs = [400, 0]
        // Alone, 2 I/Os in 0.12 ms read as 16,667 IOPS.
        #expect(b.iops(.read) > 16_000)
        a.absorb(b)
        #expect(a.durationNs == 1_000_120_000)
        #expect(a.iops(.read) < 1003 && a.iops(.read) > 1000)
        #expect(a.meanLatNs[0] == (100 * 1000 + 400 * 2) / 1002)
    }
}
