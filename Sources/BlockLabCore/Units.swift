/// Sizes and durations as fio writes them, parsed to exact integers.
///
/// Sizes: `k m g t p` (any case, optionally followed by `b`, `ib` or `iB`) are powers of
/// 1024: `4k` = `4KiB` = 4,096 bytes. fio's "compatibility mode" reads `4KiB` as 4,000;
/// BlockLab does not copy that quirk: here KiB is always 1,024. A bare number is bytes.
/// Durations: a bare number takes the option's default unit (seconds for `runtime`,
/// microseconds for `thinktime`, as in fio); suffixes `ns us ms s m h d`.
public enum Units {
    public static let KiB: UInt64 = 1 << 10
    public static let MiB: UInt64 = 1 << 20
    public static let GiB: UInt64 = 1 << 30
    public static let TiB: UInt64 = 1 << 40
    public static let PiB: UInt64 = 1 << 50

    /// Parses a size such as `4k`, `1M`, `10G`, `1.5g`, `512`, `0x1000`; at most
    /// `InputLimits.maxBytes` (2^60).
    /// `what` names the option (and file/line) for the error message.
    public static func parseSize(_ text: String, what: String) throws -> UInt64 {
        let s = text.trimmingWhitespace()
        guard !s.isEmpty else { throw BlockLabError.usage("\(what): empty size") }
        if s.hasPrefix("-") { throw BlockLabError.usage("\(what): a size must not be negative, got '\(Text.escaped(text))'") }
        // Digits are ASCII: `isNumber` below would also take other scripts' digits and fractions.
        guard s.unicodeScalars.allSatisfy(\.isASCII) else { throw BlockLabError.usage("\(what): malformed size '\(Text.escaped(text))'") }
        if s.lowercased().hasPrefix("0x") {
            guard let v = UInt64(s.dropFirst(2), radix: 16) else {
                if !s.dropFirst(2).isEmpty, s.dropFirst(2).allSatisfy(\.isHexDigit) { return try InputLimits.checkBytes(.max, text, what: what) }
                throw BlockLabError.usage("\(what): malformed size '\(Text.escaped(text))'")
            }
            return try InputLimits.checkBytes(v, text, what: what)
        }
        var numberEnd = s.startIndex
        while numberEnd < s.endIndex, s[numberEnd].isNumber || s[numberEnd] == "." { numberEnd = s.index(after: numberEnd) }
        let number = String(s[s.startIndex..<numberEnd])
        let suffix = s[numberEnd...].lowercased()
        let multiplier: UInt64
        switch suffix {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = KiB
        case "m", "mb", "mib": multiplier = MiB
        case "g", "gb", "gib": multiplier = GiB
        case "t", "tb", "tib": multiplier = TiB
        case "p", "pb", "pib": multiplier = PiB
        default: throw BlockLabError.usage("\(what): unknown size suffix in '\(Text.escaped(text))' (use k, m, g, t or p; powers of 1024)")
        }
        guard !number.isEmpty else { throw BlockLabError.usage("\(what): malformed size '\(Text.escaped(text))'") }
        if let whole = UInt64(number) {
            let (v, overflow) = whole.multipliedReportingOverflow(by: multiplier)
            return try InputLimits.checkBytes(overflow ? .max : v, text, what: what)
        }
        guard let d = Double(number), d.isFinite, d >= 0 else {
            throw BlockLabError.usage("\(what): malformed size '\(Text.escaped(text))'")
        }
        // Range-checked as a Double first: converting an out-of-range Double traps.
        guard let v = InputLimits.uint64((d * Double(multiplier)).rounded(.down), atMost: InputLimits.maxBytes) else {
            return try InputLimits.checkBytes(.max, text, what: what)
        }
        return v
    }

    /// Parses a duration to nanoseconds, at most `InputLimits.maxDurationNs` (100 years).
    /// `defaultUnitNs` applies to a bare number.
    public static func parseDuration(_ text: String, defaultUnitNs: UInt64, what: String) throws -> UInt64 {
        let s = text.trimmingWhitespace().lowercased()
        guard !s.isEmpty else { throw BlockLabError.usage("\(what): empty duration") }
        guard s.unicodeScalars.allSatisfy(\.isASCII) else { throw BlockLabError.usage("\(what): malformed duration '\(Text.escaped(text))'") }
        var numberEnd = s.startIndex
        while numberEnd < s.endIndex, s[numberEnd].isNumber || s[numberEnd] == "." { numberEnd = s.index(after: numberEnd) }
        let number = String(s[s.startIndex..<numberEnd])
        let unit: UInt64
        switch s[numberEnd...] {
        case "": unit = defaultUnitNs
        case "ns": unit = 1
        case "us", "usec": unit = NS.perMicrosecond
        case "ms", "msec": unit = NS.perMillisecond
        case "s", "sec": unit = NS.perSecond
        case "m", "min": unit = 60 * NS.perSecond
        case "h": unit = 3600 * NS.perSecond
        case "d": unit = 86400 * NS.perSecond
        default: throw BlockLabError.usage("\(what): unknown time unit in '\(Text.escaped(text))' (use ns, us, ms, s, m, h or d)")
        }
        guard !number.isEmpty else { throw BlockLabError.usage("\(what): malformed duration '\(Text.escaped(text))'") }
        if let whole = UInt64(number) {
            let (v, overflow) = whole.multipliedReportingOverflow(by: unit)
            return try InputLimits.checkDuration(overflow ? .max : v, text, what: what)
        }
        guard let d = Double(number), d.isFinite, d >= 0 else {
            throw BlockLabError.usage("\(what): malformed duration '\(Text.escaped(text))'")
        }
        // Range-checked as a Double first: converting an out-of-range Double traps.
        guard let v = InputLimits.uint64((d * Double(unit)).rounded(), atMost: InputLimits.maxDurationNs) else {
            return try InputLimits.checkDuration(.max, text, what: what)
        }
        return v
    }

    /// `4096` -> `4KiB`, `1572864` -> `1.5MiB`; exact multiples print without decimals.
    public static func formatBytes(_ bytes: UInt64) -> String {
        let units: [(UInt64, String)] = [(PiB, "PiB"), (TiB, "TiB"), (GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")]
        for (size, name) in units where bytes >= size {
            if bytes % size == 0 { return "\(bytes / size)\(name)" }
            return "\(formatDecimal(Double(bytes) / Double(size), places: 2))\(name)"
        }
        return "\(bytes)B"
    }

    /// Bytes per second as `123MiB/s`.
    public static func formatRate(_ bytesPerSecond: Double) -> String {
        let units: [(Double, String)] = [(Double(GiB), "GiB/s"), (Double(MiB), "MiB/s"), (Double(KiB), "KiB/s")]
        for (size, name) in units where bytesPerSecond >= size {
            return "\(formatDecimal(bytesPerSecond / size, places: bytesPerSecond / size >= 100 ? 0 : 1))\(name)"
        }
        return "\(formatDecimal(bytesPerSecond, places: 0))B/s"
    }

    /// Nanoseconds as a short human duration: `850ns`, `12.3us`, `4.56ms`, `1.20s`.
    public static func formatDuration(_ ns: UInt64) -> String {
        if ns < 1_000 { return "\(ns)ns" }
        if ns < 1_000_000 { return "\(formatDecimal(Double(ns) / 1e3, places: 1))us" }
        if ns < 1_000_000_000 { return "\(formatDecimal(Double(ns) / 1e6, places: 2))ms" }
        return "\(formatDecimal(Double(ns) / 1e9, places: 2))s"
    }

    /// A fixed-point decimal without Foundation's locale-dependent formatters.
    public static func formatDecimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let negative = value < 0
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.2e18 else { return "\(value)" }
        let n = UInt64(scaled)
        let whole = n / UInt64(scale)
        var text = "\(negative && n != 0 ? "-" : "")\(whole)"
        if places > 0 {
            let frac = String(n % UInt64(scale))
            text += "." + String(repeating: "0", count: places - frac.count) + frac
        }
        return text
    }
}

extension String {
    /// Leading and trailing spaces and tabs removed (no Foundation needed).
    public func trimmingWhitespace() -> String {
        var sub = Substring(self)
        while let f = sub.first, f == " " || f == "\t" || f == "\r" || f == "\n" { sub = sub.dropFirst() }
        while let l = sub.last, l == " " || l == "\t" || l == "\r" || l == "\n" { sub = sub.dropLast() }
        return String(sub)
    }
}

/// a × b / c, exact in 128 bits (rate schedules: no drift over long runs), saturating at
/// UInt64.max instead of trapping when the quotient does not fit. c must be more than 0.
@inline(__always)
public func mulDiv(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
    let full = a.multipliedFullWidth(by: b)
    guard full.high < c else { return .max }
    return c.dividingFullWidth(full).quotient
}
