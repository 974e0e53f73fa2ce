import BlockLabCore
#if canImport(Glibc)
import Glibc
#endif

/// What a steady-state check judges, as fio's `steadystate=` gives it.
public struct SteadyStateCriterion: Equatable, Sendable {
    /// Judge IOPS (else bandwidth in bytes/s).
    public var iops: Bool
    /// A least-squares slope (else the largest deviation from the mean).
    public var slope: Bool
    public var limit: Double
    /// `limit` is a percentage of the window's mean.
    public var percent: Bool
    /// Samples in the window: one a second.
    public var seconds: Int

    public init(iops: Bool, slope: Bool, limit: Double, percent: Bool, seconds: Int) {
        self.iops = iops
        self.slope = slope
        self.limit = limit
        self.percent = percent
        self.seconds = seconds
    }
}

/// fio's steady-state detection (steadystate.c) for one job, or one reporting group under
/// group_reporting: a ring of the last `seconds` one-second IOPS and bandwidth samples and,
/// once it is full, the criterion over it at every new sample. The arithmetic is fio's,
/// integer sums and their wrap-free update included, so the same series gives the same
/// verdict and figures.
public struct SteadyStateDetector: Sendable {
    public let criterion: SteadyStateCriterion
    var head = 0
    var tail = 0
    var iopsData: [UInt64]
    var bwData: [UInt64]
    var bufferFull = false
    var sumY: UInt64 = 0
    var sumXY: UInt64 = 0
    var oldestY: UInt64 = 0
    let sumX: UInt64
    let sumXSq: UInt64
    public private(set) var slope: Double = 0
    public private(set) var deviation: Double = 0
    /// The figure compared with the limit (the slope or deviation, in percent of the mean
    /// when the limit is a percentage).
    public private(set) var value: Double = 0
    public private(set) var attained = false

    public init(_ criterion: SteadyStateCriterion) {
        self.criterion = criterion
        let n = UInt64(max(criterion.seconds, 1))
        iopsData = Array(repeating: 0, count: Int(n))
        bwData = Array(repeating: 0, count: Int(n))
        sumX = n * (n - 1) / 2
        sumXSq = (n - 1) * n * (2 * n - 1) / 6
    }

    var dur: Int { iopsData.count }

    /// Adds one second's IOPS and bandwidth (bytes/s); true when the job is now steady
    /// (fio's steadystate_slope / steadystate_deviation).
    @discardableResult
    public mutating func add(iops: UInt64, bw: UInt64) -> Bool {
        guard !attained else { return true }
        iopsData[tail] = iops
        bwData[tail] = bw
        let data = criterion.iops ? iopsData : bwData
        if bufferFull || tail - head == dur - 1 {
            if !bufferFull {
                sumY = 0
                for i in 0..<dur {
                    sumY &+= data[i]
                    if criterion.slope { sumXY &+= UInt64(i) &* data[(head + i) % dur] }
                }
                bufferFull = true
            } else {
                let newValue = data[tail]
                sumY = sumY &- oldestY &+ newValue
                if criterion.slope { sumXY = sumXY &- sumY &+ UInt64(dur) &* newValue }
            }
            oldestY = data[head]
            if criterion.slope {
                let n = Double(dur)
                slope = (Double(sumXY) - Double(sumX) * Double(sumY) / n) / (Double(sumXSq) - Double(sumX) * Double(sumX) / n)
                // fio divides by the mean in integer arithmetic.
                value = criterion.percent ? 100 * slope / Double(sumY / UInt64(dur)) : slope
                if abs(value) < criterion.limit { attained = true; return true }
            } else {
                let mean = Double(sumY) / Double(dur)
                deviation = 0
                for i in 0..<dur { deviation = max(deviation, abs(Double(data[i]) - mean)) }
                value = criterion.percent ? 100 * deviation / mean : deviation
                if value < criterion.limit { attained = true; return true }
            }
        }
        tail = (tail + 1) % dur
        if tail <= head { head = (head + 1) % dur }
        return false
    }

    /// fio's JSON `steadystate` object and normal-output line for this detector.
    public var section: SteadyStateSection {
        // Oldest first: after a verdict, or before the ring filled, head is the oldest
        // sample; otherwise it has moved past it (fio's show_thread_status_json).
        let start = attained || !bufferFull ? head : (head == 0 ? dur - 1 : head - 1)
        let order = (0..<dur).map { (start + $0) % dur }
        let c = criterion
        return SteadyStateSection(
            criterion: (c.iops ? "iops" : "bw") + (c.slope ? "_slope" : ""), limit: c.limit, percent: c.percent,
            iopsCriterion: c.iops, slopeCriterion: c.slope, duration: dur, attained: attained, value: value,
            maxDeviation: deviation, slope: slope,
            iops: order.map { iopsData[$0] }, bw: order.map { bwData[$0] })
    }
}

/// The steady-state outcome of a job (or reporting group) for the reports.
public struct SteadyStateSection: Sendable, Equatable {
    /// fio's criterion name: iops, iops_slope, bw or bw_slope.
    public var criterion: String
    public var limit: Double
    public var percent: Bool
    public var iopsCriterion: Bool
    public var slopeCriterion: Bool
    /// Window length in seconds (samples).
    public var duration: Int
    public var attained: Bool
    /// The last figure compared with the limit.
    public var value: Double
    public var maxDeviation: Double
    public var slope: Double
    /// The window's samples, oldest first: IOPS and bytes/s.
    public var iops: [UInt64]
    public var bw: [UInt64]

    /// fio's integer means of the window.
    public var bwMean: UInt64 { bw.isEmpty ? 0 : bw.reduce(0, &+) / UInt64(bw.count) }
    public var iopsMean: UInt64 { iops.isEmpty ? 0 : iops.reduce(0, &+) / UInt64(iops.count) }

    /// fio's `steadystate` object (fio 3.33's keys and order; the limit printed through a
    /// float as fio does).
    public var json: JSONValue {
        let pct = percent ? "%" : ""
        return .object([
            ("ss", .string("\(criterion):\(Self.cFormat("%f", Double(Float(limit))))\(pct)")),
            ("duration", .int(Int64(duration))),
            ("attained", .int(attained ? 1 : 0)),
            ("criterion", .string(Self.cFormat("%f", Double(Float(value))) + pct)),
            ("max_deviation", .double(maxDeviation)),
            ("slope", .double(slope)),
            ("data", .object([
                ("bw_mean", .uint(bwMean)),
                ("iops_mean", .uint(iopsMean)),
                ("iops", .array(iops.map { .uint($0) })),
                ("bw", .array(bw.map { .uint($0) })),
            ])),
        ])
    }

    /// fio's normal-output line (show_ss_normal), figures as fio's num2str prints them:
    /// the bandwidth in KiB/s shown with binary prefixes, then the same KiB figure with
    /// decimal ones (fio's own way), and the IOPS.
    public var line: String {
        let kib = bwMean / 1024
        return "  steadystate  : attained=\(attained ? "yes" : "no"), bw=\(Self.num2str(kib, base: 1024, binary: true, units: "B/s")) "
            + "(\(Self.num2str(kib, base: 1024, binary: false, units: "B/s"))), iops=\(Self.num2str(iopsMean, base: 1, binary: false, units: "")), "
            + "\(iopsCriterion ? "iops" : "bw")\(slopeCriterion ? " slope" : " mean dev")=\(Self.cFormat("%.3f", value))\(percent ? "%" : "")\n"
    }

    /// fio's num2str with its default 4 significant figures: `num` is in units of `base`.
    static func num2str(_ value: UInt64, base: UInt64, binary: Bool, units: String) -> String {
        let prefixes = binary ? ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] : ["", "k", "M", "G", "T", "P", "E"]
        let thousand: UInt64 = binary ? 1024 : 1000
        let maxLength = 4
        var num = value, b = base, post = 0
        while b > 1 { b /= thousand; post += 1 }
        var modulo: UInt64?
        var carry = false
        while post < prefixes.count, String(num).count > maxLength {
            modulo = num % thousand
            num /= thousand
            carry = modulo! >= thousand / 2
            post += 1
        }
        if post >= prefixes.count { post = 0 }
        guard let modulo else { return "\(num)\(prefixes[post])\(units)" }
        let room = maxLength - String(num).count
        if room <= 1 { return "\(carry ? num + 1 : num)\(prefixes[post])\(units)" }
        let fraction = cFormat("%.\(room - 1)f", Double(modulo) / Double(thousand))
        if fraction.hasPrefix("1") { num += 1 }
        return "\(num).\(fraction.dropFirst(2))\(prefixes[post])\(units)"
    }

    /// printf's rendering (nan and inf as C prints them, which fio's figures can be).
    static func cFormat(_ format: String, _ v: Double) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([v]) { vsnprintf(&buf, buf.count, format, $0) }
        return String(cString: buf)
    }
}
