import BlockLabCore

/// fio's latency bins (stat.h: FIO_IO_U_PLAT_BITS 6, 29 groups of 64): values below 128 ns
/// have a bin each; above, each power of two is split into 64 bins. json+ and the
/// histogram log use them.
public enum FioBins {
    public static let bits: UInt64 = 6
    public static let perGroup = 64
    public static let count = 29 * 64

    /// fio's plat_val_to_idx.
    @inline(__always)
    public static func index(_ value: UInt64) -> Int {
        let msb = value == 0 ? 0 : UInt64(63 - value.leadingZeroBitCount)
        if msb <= bits { return Int(value) }
        let errorBits = msb - bits
        let base = (errorBits + 1) << bits
        let offset = UInt64(perGroup - 1) & (value >> errorBits)
        return Int(Swift.min(base + offset, UInt64(count - 1)))
    }

    /// fio's plat_idx_to_val: the bin's midpoint (its value below 128).
    public static func value(_ index: Int) -> UInt64 {
        if index < perGroup << 1 { return UInt64(index) }
        let errorBits = UInt64(index >> Int(bits)) - 1
        let base = UInt64(1) << (errorBits + bits)
        let k = UInt64(index % perGroup)
        return base + UInt64((Double(k) + 0.5) * Double(UInt64(1) << errorBits))
    }
}

/// The log files `write_*_log` asks for, with fio's file name suffixes.
public enum FioLogKind: Int, Sendable, CaseIterable {
    case iops, bw, clat, slat, lat, clatHist

    public var suffix: String {
        switch self {
        case .iops: return "iops"
        case .bw: return "bw"
        case .clat: return "clat"
        case .slat: return "slat"
        case .lat: return "lat"
        case .clatHist: return "clat_hist"
        }
    }

    /// fio's name: `STEM_KIND.N.log`, or `STEM_KIND.log` without per_job_logs.
    public func fileName(stem: String, jobNumber: Int, perJob: Bool) -> String {
        perJob ? "\(stem)_\(suffix).\(jobNumber).log" : "\(stem)_\(suffix).log"
    }
}

/// What one job thread logs, resolved from its options.
public struct IOLogConfig: Sendable, Equatable {
    /// Which logs to collect (index by FioLogKind.rawValue).
    public var kinds: [Bool] = Array(repeating: false, count: FioLogKind.allCases.count)
    /// 0: a row per I/O; otherwise one row per direction per window.
    public var avgMsec: UInt64 = 0
    public var maxValue = false
    public var offset = false
    /// fio's log_prio: the prio column holds the I/O's priority value (`0x2000`); without
    /// it, 1 for a real-time I/O and 0 otherwise.
    public var prio = false
    public var histMsec: UInt64 = 0
    public var histCoarseness = 0
    /// Most per-I/O samples this job thread keeps (they are held until the run ends, as
    /// fio holds its logs); past it the log stops and says when.
    public var maxSamples = Int.max

    public init() {}

    public func wants(_ k: FioLogKind) -> Bool { kinds[k.rawValue] }
    public var isEmpty: Bool { !kinds.contains(true) }
}

/// One row of an iops, bw or latency log: `msec, value, ddir, bs[, offset], prio`.
public struct FioLogRow: Sendable, Equatable {
    public var msec: UInt64
    public var value: UInt64
    public var ddir: UInt8
    public var bs: UInt64
    public var offset: UInt64
    /// The I/O's priority value (0 in windowed rows, as fio).
    public var prio: UInt16
    public init(msec: UInt64, value: UInt64, ddir: UInt8, bs: UInt64, offset: UInt64, prio: UInt16 = 0) {
        self.msec = msec
        self.value = value
        self.ddir = ddir
        self.bs = bs
        self.offset = offset
        self.prio = prio
    }
}

/// One histogram log row: the completion latencies of one direction in one window, as
/// (bin index, count) for the non-empty bins.
public struct FioHistRow: Sendable {
    public var msec: UInt64
    public var ddir: UInt8
    public var bs: UInt64
    public var bins: [(index: UInt16, count: UInt64)]
}

/// One completed I/O as a per-I/O log keeps it (every log's row derives from it).
public struct IOLogSample: Sendable {
    public var relNs: UInt64
    public var slat: UInt64
    public var clat: UInt64
    public var lat: UInt64
    public var offset: UInt64
    public var bytes: UInt32
    public var ddir: UInt8
    /// The I/O's priority value (fits the padding: the sample stays 48 bytes).
    public var prio: UInt16 = 0
}

/// Everything one job thread logged: the rows of each log file, in fio's order.
public struct IOLogData: Sendable {
    public var config: IOLogConfig
    /// Per-I/O logging (no log_avg_msec): one sample per I/O.
    public var samples: [IOLogSample] = []
    /// Windowed logging: rows per kind (index by FioLogKind.rawValue).
    public var rows: [[FioLogRow]] = Array(repeating: [], count: FioLogKind.allCases.count)
    public var hist: [FioHistRow] = []
    /// Per-I/O logging reached `config.maxSamples`: the I/Os completed after this many ms
    /// from the job's start are not in the log (nil: none left out).
    public var truncatedAtMsec: UInt64?

    public init(config: IOLogConfig) { self.config = config }

    /// The rows of one log (derived from the samples when logging per I/O).
    public func rows(_ kind: FioLogKind) -> [FioLogRow] {
        guard config.wants(kind), kind != .clatHist else { return [] }
        guard config.avgMsec == 0 else { return rows[kind.rawValue] }
        return samples.map { s in
            let value: UInt64
            switch kind {
            case .iops: value = 1
            // fio: bytes * 1,000,000 / clat ns (add_bw_sample).
            case .bw: value = s.clat == 0 ? 0 : UInt64(s.bytes) &* 1_000_000 / s.clat
            case .clat: value = s.clat
            case .slat: value = s.slat
            case .lat: value = s.lat
            case .clatHist: value = 0
            }
            return FioLogRow(msec: s.relNs / NS.perMillisecond, value: value, ddir: s.ddir, bs: UInt64(s.bytes), offset: s.offset, prio: s.prio)
        }
    }
}

/// Collects one job thread's log rows (owned by that thread). Latency logs sample as fio's
/// add_log_sample: per I/O, or per direction a row when an I/O completes a window (the
/// window's mean or maximum, stamped with that I/O's time) and the rest at the end. iops and
/// bw windows are rates over fixed windows from the job's start, as fio's periodic sampling;
/// a last window shorter than half a window is dropped rather than extrapolated.
public final class IOLogRecorder {
    public let config: IOLogConfig
    public let startNs: UInt64
    private var data: IOLogData
    private let latKinds: [FioLogKind]
    private let perIO: Bool
    /// Any of the clat, slat and lat logs.
    private let latency: Bool
    // The per-I/O counters live in one allocation this recorder owns (class properties are
    // checked for exclusive access on every use; a pointee is not): per kind (clat, slat,
    // lat) and direction the open window's sum, count and maximum; per direction the
    // window's start, the open iops/bw window's I/Os and bytes, the histogram window's start,
    // then (with a histogram log) fio's bins per direction.
    private let acc: UnsafeMutablePointer<UInt64>
    private let accCount: Int
    private static let sum = 0, count = 9, maxi = 18, winLast = 27, rateIOs = 30, rateBytes = 33, histLast = 36, bins = 39
    private let hist: Bool
    // Windowed iops/bw: the open window's end (ms from start).
    private var rateEnd: UInt64

    public init(config: IOLogConfig, startNs: UInt64) {
        self.config = config
        self.startNs = startNs
        data = IOLogData(config: config)
        latKinds = [.clat, .slat, .lat]
        latency = config.wants(.clat) || config.wants(.slat) || config.wants(.lat)
        perIO = config.avgMsec == 0 && (config.wants(.iops) || config.wants(.bw) || latency)
        rateEnd = config.avgMsec
        hist = config.wants(.clatHist) && config.histMsec > 0
        accCount = Self.bins + (hist ? 3 * FioBins.count : 0)
        acc = .allocate(capacity: accCount)
        acc.initialize(repeating: 0, count: accCount)
        if perIO { data.samples.reserveCapacity(1 << 16) }
    }

    deinit { acc.deallocate() }

    /// One completed I/O; `now` its completion on the engine's clock.
    public func record(_ direction: IODirection, bytes: UInt32, offset: UInt64, slat: UInt64, clat: UInt64, lat: UInt64,
                       prio: UInt16 = 0, now: UInt64) {
        let rel = now &- startNs
        let d = direction.rawValue
        if perIO {
            if data.samples.count < config.maxSamples {
                data.samples.append(IOLogSample(relNs: rel, slat: slat, clat: clat, lat: lat, offset: offset, bytes: bytes, ddir: UInt8(d), prio: prio))
            } else if data.truncatedAtMsec == nil {
                data.truncatedAtMsec = rel / NS.perMillisecond
            }
        } else if config.avgMsec > 0 {
            let ms = rel / NS.perMillisecond
            recordWindowed(d, ms: ms, bytes: bytes, clat: clat, slat: slat, lat: lat)
        }
        if hist {
            let ms = rel / NS.perMillisecond
            acc[Self.bins + d * FioBins.count + FioBins.index(clat)] &+= 1
            let last = acc + Self.histLast + d
            if last.pointee == 0 { last.pointee = ms }
            let window = ms &- last.pointee
            if ms >= last.pointee, window >= config.histMsec {
                emitHist(d, ms: ms, bs: UInt64(bytes))
                last.pointee = ms - (window - config.histMsec)
            }
        }
    }

    private func recordWindowed(_ d: Int, ms: UInt64, bytes: UInt32, clat: UInt64, slat: UInt64, lat: UInt64) {
        let avg = config.avgMsec
        if config.wants(.iops) || config.wants(.bw) {
            if ms >= rateEnd {
                emitRates(at: rateEnd, spentMs: avg)
                rateEnd = (ms / avg + 1) * avg
            }
            acc[Self.rateIOs + d] &+= 1
            acc[Self.rateBytes + d] &+= UInt64(bytes)
        }
        guard latency else { return }
        for k in 0..<3 {
            let v = k == 0 ? clat : k == 1 ? slat : lat
            let i = k * 3 + d
            acc[Self.sum + i] &+= v
            acc[Self.count + i] &+= 1
            if v > acc[Self.maxi + i] { acc[Self.maxi + i] = v }
        }
        let last = acc[Self.winLast + d]
        if ms >= last, ms - last >= avg {
            emitLatency(d, ms: ms)
            acc[Self.winLast + d] = ms - ms % avg
        }
    }

    private func emitLatency(_ d: Int, ms: UInt64) {
        for (k, kind) in latKinds.enumerated() where acc[Self.count + k * 3 + d] > 0 {
            let i = k * 3 + d
            let v = config.maxValue ? acc[Self.maxi + i] : UInt64(Double(acc[Self.sum + i]) / Double(acc[Self.count + i]) + 0.5)
            if config.wants(kind) {
                data.rows[kind.rawValue].append(FioLogRow(msec: ms, value: v, ddir: UInt8(d), bs: 0, offset: 0))
            }
            acc[Self.sum + i] = 0
            acc[Self.count + i] = 0
            acc[Self.maxi + i] = 0
        }
    }

    /// fio's __add_samples: per direction with I/O in the window, IOPS and KiB/s over it.
    private func emitRates(at ms: UInt64, spentMs: UInt64) {
        let spent = Swift.max(spentMs, 1)
        for d in 0..<3 where acc[Self.rateIOs + d] > 0 {
            let ios = acc[Self.rateIOs + d], bytes = acc[Self.rateBytes + d]
            if config.wants(.iops) {
                data.rows[FioLogKind.iops.rawValue].append(FioLogRow(msec: ms, value: ios * 1000 / spent, ddir: UInt8(d), bs: 0, offset: 0))
            }
            if config.wants(.bw) {
                data.rows[FioLogKind.bw.rawValue].append(FioLogRow(msec: ms, value: bytes * 1000 / spent / 1024, ddir: UInt8(d), bs: 0, offset: 0))
            }
            acc[Self.rateIOs + d] = 0
            acc[Self.rateBytes + d] = 0
        }
    }

    private func emitHist(_ d: Int, ms: UInt64, bs: UInt64) {
        var bins: [(index: UInt16, count: UInt64)] = []
        let base = acc + Self.bins + d * FioBins.count
        for i in 0..<FioBins.count where base[i] != 0 {
            bins.append((UInt16(i), base[i]))
            base[i] = 0
        }
        data.hist.append(FioHistRow(msec: ms, ddir: UInt8(d), bs: bs, bins: bins))
    }

    /// The rows, with what the open windows hold (fio's finalize_logs for latency logs; an
    /// iops/bw window only if it covers at least half a window, at its true width).
    public func finish(endNs: UInt64) -> IOLogData {
        let ms = (endNs &- startNs) / NS.perMillisecond
        if config.avgMsec > 0 {
            if latency { for d in 0..<3 { emitLatency(d, ms: ms) } }
            if config.wants(.iops) || config.wants(.bw) {
                let openStart = rateEnd - config.avgMsec
                if ms > openStart, (ms - openStart) * 2 >= config.avgMsec { emitRates(at: ms, spentMs: ms - openStart) }
            }
        }
        return data
    }
}

/// fio's text for the log files (iolog.c flush_samples / flush_hist_samples).
public enum FioLogText {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `msec, value, ddir, bs, prio` or, with offsets, `msec, value, ddir, bs, offset, prio`
    /// (prio 0: BlockLab issues every I/O at the default priority).
    public static func render(_ rows: [FioLogRow], offset: Bool, logPrio: Bool = false, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + rows.count * 24)
        for r in rows {
            decimal(r.msec, &out); comma(&out)
            decimal(r.value, &out); comma(&out)
            decimal(UInt64(r.ddir), &out); comma(&out)
            decimal(r.bs, &out); comma(&out)
            if offset { decimal(r.offset, &out); comma(&out) }
            if logPrio {
                // fio: 0x%04x of the value.
                out.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: "x")])
                for shift in stride(from: 12, through: 0, by: -4) {
                    out.append(hexDigits[Int((r.prio >> UInt16(shift)) & 0xf)])
                }
            } else {
                // fio: whether the I/O was real-time.
                out.append(UInt8(ascii: r.prio >> 13 == 1 ? "1" : "0"))
            }
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// `msec, ddir, bs, bin0, bin1, ...`: FioBins.count >> coarseness bins, each the sum of
    /// 2^coarseness neighbours.
    public static func renderHist(_ rows: [FioHistRow], coarseness: Int, into out: inout [UInt8]) {
        let stride = 1 << coarseness
        var dense = [UInt64](repeating: 0, count: FioBins.count / stride)
        for r in rows {
            for i in dense.indices { dense[i] = 0 }
            for b in r.bins { dense[Int(b.index) / stride] &+= b.count }
            decimal(r.msec, &out); comma(&out)
            decimal(UInt64(r.ddir), &out); comma(&out)
            decimal(r.bs, &out)
            for v in dense { comma(&out); decimal(v, &out) }
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// One log file's bytes for `kind` from one job thread's data, handed to `sink` in
    /// pieces of about 1 MiB (a per-I/O log of a long run is never all in memory as text).
    public static func write(_ kind: FioLogKind, _ data: IOLogData, to sink: ([UInt8]) throws -> Void) throws {
        let piece = 1 << 20
        var out: [UInt8] = []
        out.reserveCapacity(piece + 64 * 1024)
        if kind == .clatHist {
            for r in data.hist {
                renderHist([r], coarseness: data.config.histCoarseness, into: &out)
                if out.count >= piece { try sink(out); out.removeAll(keepingCapacity: true) }
            }
        } else if data.config.avgMsec > 0 || !data.config.wants(kind) {
            render(data.rows(kind), offset: data.config.offset, logPrio: data.config.prio, into: &out)
        } else {
            // Per I/O: rows straight from the samples, no intermediate array.
            var row = [FioLogRow(msec: 0, value: 0, ddir: 0, bs: 0, offset: 0)]
            for s in data.samples {
                let value: UInt64
                switch kind {
                case .iops: value = 1
                case .bw: value = s.clat == 0 ? 0 : UInt64(s.bytes) &* 1_000_000 / s.clat
                case .clat: value = s.clat
                case .slat: value = s.slat
                default: value = s.lat
                }
                row[0] = FioLogRow(msec: s.relNs / NS.perMillisecond, value: value, ddir: s.ddir, bs: UInt64(s.bytes), offset: s.offset, prio: s.prio)
                render(row, offset: data.config.offset, logPrio: data.config.prio, into: &out)
                if out.count >= piece { try sink(out); out.removeAll(keepingCapacity: true) }
            }
        }
        if !out.isEmpty { try sink(out) }
    }

    /// One log file's bytes (small logs and tests).
    public static func text(_ kind: FioLogKind, _ data: IOLogData) -> [UInt8] {
        var all: [UInt8] = []
        try? write(kind, data) { all += $0 }
        return all
    }

    @inline(__always)
    static func comma(_ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: " "))
    }

    @inline(__always)
    static func decimal(_ v: UInt64, _ out: inout [UInt8]) {
        if v < 10 { out.append(UInt8(ascii: "0") + UInt8(v)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = v, len = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while n > 0 { buf[len] = UInt8(ascii: "0") + UInt8(n % 10); n /= 10; len += 1 }
            for i in stride(from: len - 1, through: 0, by: -1) { out.append(buf[i]) }
        }
    }
}
