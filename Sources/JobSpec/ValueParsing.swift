import BlockLabCore

/// Typed readers for option values. Each takes the option (for its `file:line: option x`
/// label) and throws `BlockLabError.usage` naming it.
enum Value {
    /// Input-derived text in the message is escaped (control characters as `\u{1b}`).
    static func fail(_ opt: RawOption, _ message: String) -> BlockLabError {
        BlockLabError.usage(Text.escaped("\(opt.label): \(message)"))
    }

    /// The option's value; options other than booleans cannot stand alone.
    static func required(_ opt: RawOption) throws -> String {
        guard let v = opt.value else {
            throw fail(opt, opt.fromCommandLine ? "needs a value (--\(opt.key)=VALUE)" : "needs a value (\(opt.key)=VALUE)")
        }
        guard !v.isEmpty else { throw fail(opt, "empty value") }
        return v
    }

    /// A bare option is true; otherwise 1/0, true/false, yes/no, on/off.
    static func bool(_ opt: RawOption) throws -> Bool {
        guard let v = opt.value else { return true }
        switch v.lowercased() {
        case "1", "true", "yes", "on", "": return true
        case "0", "false", "no", "off": return false
        default: throw fail(opt, "expected a boolean (1/0, true/false), got '\(v)'")
        }
    }

    static func int(_ opt: RawOption, min lower: Int, max upper: Int) throws -> Int {
        let v = try required(opt)
        guard let n = Int(v) else {
            if v.hasPrefix("-"), !v.dropFirst().isEmpty, v.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw fail(opt, "must be at least \(lower), got \(v)")
            }
            if !v.isEmpty, v.allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw fail(opt, "must be at most \(upper), got \(v)")
            }
            throw fail(opt, "expected a whole number, got '\(v)'")
        }
        guard n >= lower else { throw fail(opt, "must be at least \(lower), got \(n)") }
        guard n <= upper else { throw fail(opt, "must be at most \(upper), got \(n)") }
        return n
    }

    /// Decimal or `0x` hex.
    static func uint64(_ opt: RawOption) throws -> UInt64 {
        let v = try required(opt)
        let parsed = v.lowercased().hasPrefix("0x") ? UInt64(v.dropFirst(2), radix: 16) : UInt64(v)
        guard let n = parsed else {
            let hex = v.lowercased().hasPrefix("0x")
            let digits = v.dropFirst(hex ? 2 : 0)
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && (hex ? $0.isHexDigit : $0.isNumber) }) {
                throw fail(opt, "must be at most \(UInt64.max), got \(v)")
            }
            throw fail(opt, "expected a non-negative whole number, got '\(v)'")
        }
        return n
    }

    /// `N%` (0-100, decimals allowed) as a number, or nil when the value is not a percentage.
    static func percent(_ opt: RawOption) throws -> Double? {
        let v = try required(opt)
        guard v.hasSuffix("%") else { return nil }
        guard let p = Double(v.dropLast()), p.isFinite, p >= 0, p <= 100 else {
            throw fail(opt, "expected a percentage 0-100%, got '\(v)'")
        }
        return p
    }

    /// fio's NUMA node list: `0`, `0-1`, `0,2`.
    static func nodeList(_ text: String, _ opt: RawOption) throws -> [Int] {
        var nodes = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(ends.count), let lo = ends.first!, let hi = ends.last!, lo >= 0, lo <= hi, hi < 1024 else {
                throw fail(opt, "expected NUMA nodes like 0, 0-1 or 0,2, got '\(text)'")
            }
            nodes.formUnion(lo...hi)
        }
        return nodes.sorted()
    }

    static func size(_ text: String, _ opt: RawOption) throws -> UInt64 {
        if text.hasPrefix("-") { throw fail(opt, "must not be negative, got '\(text)'") }
        if text.hasSuffix("%") { throw fail(opt, "percentage sizes ('\(text)') are not supported; give a size such as 10g") }
        return try Units.parseSize(text, what: opt.label)
    }

    static func size(_ opt: RawOption) throws -> UInt64 { try size(try required(opt), opt) }

    /// A block size: 1 ... 4 GiB - 1, nonzero.
    static func blockSize(_ text: String, _ opt: RawOption) throws -> UInt32 {
        let v = try size(text, opt)
        guard v > 0 else { throw fail(opt, "block size must be greater than 0, got '\(text)'") }
        guard v <= UInt64(UInt32.max) else { throw fail(opt, "block size '\(text)' is too large") }
        return UInt32(v)
    }

    static func duration(_ opt: RawOption, defaultUnitNs: UInt64) throws -> UInt64 {
        let v = try required(opt)
        if v.hasPrefix("-") { throw fail(opt, "must not be negative, got '\(v)'") }
        return try Units.parseDuration(v, defaultUnitNs: defaultUnitNs, what: opt.label)
    }

    /// fio's `steadystate=CRITERION:LIMIT`: iops, iops_slope, bw or bw_slope, and a limit in
    /// percent of the mean (`10%`), or in IOPS, or bytes/s (`bw:10m`).
    static func steadyState(_ opt: RawOption, into ss: inout SteadyStateOptions) throws {
        let v = try required(opt)
        let parts = v.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let names = ["iops": (SteadyStateOptions.Metric.iops, false), "iops_slope": (.iops, true),
                     "bw": (.bw, false), "bw_slope": (.bw, true)]
        guard let (metric, slope) = names[parts[0].lowercased()] else {
            throw fail(opt, "expected iops, iops_slope, bw or bw_slope with a limit (e.g. iops:10%), got '\(v)'")
        }
        guard parts.count == 2, !parts[1].trimmingWhitespace().isEmpty else {
            throw fail(opt, "steadystate threshold must be specified in addition to criterion (e.g. \(parts[0]):10%)")
        }
        var limitText = parts[1].trimmingWhitespace()
        let percent = limitText.hasSuffix("%")
        var limit: Double
        if percent || metric == .iops {
            if percent { limitText = String(limitText.dropLast()).trimmingWhitespace() }
            guard let d = Double(limitText), d.isFinite, d >= 0, d <= 1e15 else {
                throw fail(opt, "could not parse the steadystate threshold '\(parts[1])' (a number\(percent ? " of percent" : " of IOPS"), 0 or more)")
            }
            limit = d
        } else {
            limit = Double(try size(limitText, opt))
        }
        (ss.metric, ss.slope, ss.limit, ss.percent) = (metric, slope, limit, percent)
    }

    /// One of an enumeration's raw values (case-insensitive); the error lists them all.
    static func choice<T: RawRepresentable & CaseIterable>(_ opt: RawOption, _ type: T.Type) throws -> T where T.RawValue == String {
        let v = try required(opt)
        guard let c = T(rawValue: v.lowercased()) else {
            throw fail(opt, "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(v)'")
        }
        return c
    }

    /// fio's CPU list: `0,5,8-15` (ascending ranges), sorted and without repeats.
    static func cpuList(_ opt: RawOption) throws -> [Int] {
        let v = try required(opt)
        var cpus = Set<Int>()
        for part in v.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(bounds.count), let lo = bounds.first!, let hi = bounds.last!, lo >= 0, lo <= hi, hi < 4096 else {
                throw fail(opt, "expected CPUs like 0,5,8-15 (numbered from 0, ranges ascending), got '\(v)'")
            }
            cpus.formUnion(lo...hi)
        }
        return cpus.sorted()
    }

    /// `a,b` per direction (read, write; an empty third part is accepted, a trim value is
    /// refused by the options that take this form).
    /// One value applies to both; an empty part leaves that direction unchanged (nil).
    static func perDirection(_ opt: RawOption) throws -> [String?] {
        let v = try required(opt)
        let parts = v.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        guard parts.count <= 3 else { throw fail(opt, "at most read,write,trim values, got '\(v)'") }
        if parts.count == 1 { return [parts[0], parts[0]] }
        return [parts[0].isEmpty ? nil : parts[0], parts[1].isEmpty ? nil : parts[1]]
    }

    /// Whether a read,write,trim value gives a trim part (`1m,1m,1m`, or one value for all).
    static func hasTrimPart(_ opt: RawOption) -> Bool {
        guard let v = opt.value else { return false }
        let parts = v.split(separator: ",", omittingEmptySubsequences: false)
        return parts.count == 3 && !String(parts[2]).trimmingWhitespace().isEmpty
    }

    /// `a,b,c` per direction (read, write, trim) as fio's bs family reads it: a value not
    /// followed by a comma applies to the directions after it too (`bs=8k,32k` writes and
    /// trims 32k; `bs=8k,32k,` leaves trim alone); an empty part leaves that direction as it was.
    static func perDirection3(_ opt: RawOption) throws -> [String?] {
        let v = try required(opt)
        let parts = v.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        guard parts.count <= 3 else { throw fail(opt, "at most read,write,trim values, got '\(v)'") }
        return (0..<3).map { i in
            let part = i < parts.count ? parts[i] : parts[parts.count - 1]
            return part.isEmpty ? nil : part
        }
    }

    /// `1k-4k`.
    static func blockRange(_ text: String, _ opt: RawOption) throws -> BlockSizeRule {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard ends.count == 2, !ends[0].isEmpty, !ends[1].isEmpty else {
            throw fail(opt, "expected a range such as 1k-4k, got '\(text)'")
        }
        let lo = try blockSize(ends[0], opt), hi = try blockSize(ends[1], opt)
        guard lo <= hi else { throw fail(opt, "range minimum \(ends[0]) is larger than maximum \(ends[1])") }
        return lo == hi ? .fixed(lo) : .range(min: lo, max: hi)
    }

    /// `4k/60:64k/40`; entries without a percent share what is left equally (as fio), the
    /// rounding remainder going to the last of them so the total is exactly 100.
    static func blockSplit(_ text: String, _ opt: RawOption) throws -> BlockSizeRule {
        var sizes: [UInt32] = []
        var percents: [Int?] = []
        for entry in text.split(separator: ":", omittingEmptySubsequences: false) {
            let fields = entry.split(separator: "/", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
            guard fields.count <= 2, !fields[0].isEmpty else {
                throw fail(opt, "expected size/percent entries such as 4k/60:64k/40, got '\(entry)'")
            }
            sizes.append(try blockSize(fields[0], opt))
            if fields.count == 2 && !fields[1].isEmpty {
                guard let p = Int(fields[1]), p >= 0, p <= 100 else {
                    throw fail(opt, "percent must be a whole number 0-100, got '\(fields[1])' in '\(entry)'")
                }
                percents.append(p)
            } else {
                percents.append(nil)
            }
        }
        let given = percents.compactMap { $0 }.reduce(0, +)
        let missing = percents.filter { $0 == nil }.count
        if missing > 0 {
            guard given <= 100 else { throw fail(opt, "percentages add up to \(given), more than 100") }
            let share = (100 - given) / missing
            var left = missing
            for i in percents.indices where percents[i] == nil {
                left -= 1
                percents[i] = left == 0 ? 100 - given - share * (missing - 1) : share
            }
        }
        let total = percents.compactMap { $0 }.reduce(0, +)
        guard total == 100 else { throw fail(opt, "percentages add up to \(total), not 100") }
        return .split(zip(sizes, percents).map { BlockSizeSplit(size: $0, percent: $1!) })
    }

    /// The mode and, for a sequential mode, fio's `:N` modifier (`read:-8k`, `write:112k`): the
    /// bytes to skip after each I/O (negative: go back).
    static func rwMode(_ opt: RawOption) throws -> (RWMode, Int64) {
        let full = try required(opt).lowercased()
        guard let colon = full.firstIndex(of: ":") else { return (try rwModeName(full, opt), 0) }
        let mode = try rwModeName(String(full[..<colon]), opt)
        let text = String(full[full.index(after: colon)...])
        guard !mode.isRandom else {
            throw fail(opt, "the ':N' suffix ('\(full)') is not supported for random modes (fio's new random offset every N I/Os); use rw=\(full[..<colon])")
        }
        let negative = text.hasPrefix("-")
        let magnitude = try Units.parseSize(negative ? String(text.dropFirst()) : text, what: opt.label)
        guard magnitude <= InputLimits.maxBytes else { throw fail(opt, "offset modifier '\(text)' is too large") }
        return (mode, negative ? -Int64(magnitude) : Int64(magnitude))
    }

    static func rwModeName(_ v: String, _ opt: RawOption) throws -> RWMode {
        switch v {
        case "read": return .read
        case "write": return .write
        case "randread": return .randread
        case "randwrite": return .randwrite
        case "rw", "readwrite": return .readwrite
        case "randrw": return .randrw
        case "trim": return .trim
        case "randtrim": return .randtrim
        case "trimwrite": return .trimwrite
        case "randtrimwrite": return .randtrimwrite
        default:
            throw fail(opt, "unknown mode '\(v)'; use read, write, randread, randwrite, rw (readwrite), randrw, trim, randtrim, trimwrite or randtrimwrite")
        }
    }

    /// fio's continue_on_error: a class name, or 0/1 (and fio's other boolean spellings).
    static func continueOnError(_ opt: RawOption) throws -> UInt8 {
        let v = try required(opt).lowercased()
        switch v {
        case "none", "0", "false", "no", "off": return 0
        case "read": return ErrorPolicy.read
        case "write": return ErrorPolicy.write
        case "io": return ErrorPolicy.read | ErrorPolicy.write
        case "verify": return ErrorPolicy.verify
        case "all", "1", "true", "yes", "on": return ErrorPolicy.read | ErrorPolicy.write | ErrorPolicy.verify
        default: throw fail(opt, "expected none, read, write, io, verify, all, 0 or 1, got '\(v)'")
        }
    }

    /// fio's ignore_error: `READ,WRITE,VERIFY` lists of errno names or numbers separated by
    /// ':' (fio also takes '|'); an empty part keeps fio's default (EIO, EILSEQ).
    static func ignoreErrors(_ opt: RawOption) throws -> [[Int32]?] {
        let v = try required(opt)
        let parts = v.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        guard parts.count <= 3 else { throw fail(opt, "at most read,write,verify lists, got '\(v)'") }
        var out: [[Int32]?] = [nil, nil, nil]
        for (i, part) in parts.enumerated() where !part.isEmpty {
            var codes: [Int32] = []
            for name in part.split(whereSeparator: { $0 == ":" || $0 == "|" }).map({ String($0).trimmingWhitespace() }) {
                if let n = Int32(name) {
                    guard n > 0, n < 4096 else { throw fail(opt, "error number \(n) is not an errno (1-4095)") }
                    codes.append(n)
                } else if let n = Errno.named(name.uppercased()) {
                    codes.append(n)
                } else {
                    throw fail(opt, "unknown error '\(name)'; give errno names (ENOSPC, EIO, ...) or numbers")
                }
            }
            guard !codes.isEmpty else { throw fail(opt, "empty error list in '\(v)'") }
            out[i] = codes
        }
        return out
    }

    static func engine(_ opt: RawOption) throws -> EngineTraits {
        let v = try required(opt)
        guard let e = EngineCatalog.find(v) else {
            if EngineCatalog.fioNetworkEngines.contains(v.lowercased()) {
                throw fail(opt, "ioengine '\(v)' is one of fio's network/RDMA/remote-storage engines: BlockLab measures local files and block devices only; it supports \(EngineCatalog.names)")
            }
            throw fail(opt, "unsupported ioengine '\(v)'; BlockLab supports \(EngineCatalog.names)")
        }
        return e
    }

    static func verify(_ opt: RawOption) throws -> VerifyKind? {
        let v = try required(opt).lowercased()
        switch v {
        case "0", "none": return nil
        case "null": return .null
        case "crc32c", "crc32c-intel": return .crc32c
        case "md5": return .md5
        case "sha256": return .sha256
        case "meta": return .meta
        case "pattern": return .pattern
        default: throw fail(opt, "unsupported verify '\(v)'; BlockLab supports crc32c, md5, sha256, meta, pattern, null (read back, not checked), or 0 for none")
        }
    }

    /// `0xdeadbeef` (bytes in the order written: de ad be ef), a decimal number (its bytes
    /// least significant first, as few as needed: 258 -> 02 01, as fio 3.33 writes), or a
    /// "quoted string".
    static func pattern(_ opt: RawOption) throws -> [UInt8] {
        let v = try required(opt)
        if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") {
            let body = Array(v.utf8.dropFirst().dropLast())
            guard !body.isEmpty else { throw fail(opt, "empty pattern string") }
            return body
        }
        if v.lowercased().hasPrefix("0x") {
            var hex = Array(v.dropFirst(2))
            guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit) else { throw fail(opt, "malformed hex pattern '\(v)'") }
            if hex.count % 2 == 1 { hex.insert("0", at: 0) }
            return stride(from: 0, to: hex.count, by: 2).map { UInt8(String(hex[$0...$0 + 1]), radix: 16)! }
        }
        guard let n = UInt64(v) else {
            throw fail(opt, "expected 0x hex bytes, a decimal number or a \"quoted string\", got '\(v)'")
        }
        var bytes: [UInt8] = []
        var rest = n
        repeat { bytes.append(UInt8(rest & 0xff)); rest >>= 8 } while rest != 0
        return bytes
    }
}

extension Value {
    /// `random`, `zipf:θ` (θ > 0, θ ≠ 1), `pareto:h` (0 < h < 1), `normal:dev` (0-100 % of the
    /// region), `zoned:p/r:p/r...` (access and size percents each summing to 100).
    /// An optional third field (`zipf:1.2:0.25`) is fio's centre, 0...1, for zipf, pareto and normal.
    static func distribution(_ opt: RawOption) throws -> (RandomDistribution, center: Double?) {
        let v = try required(opt).lowercased()
        let parts = v.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number(_ text: String) throws -> Double {
            guard let d = Double(text), d.isFinite else { throw fail(opt, "malformed number '\(text)' in '\(v)'") }
            return d
        }
        func single() throws -> Double {
            guard parts.count == 2 || parts.count == 3 else { throw fail(opt, "expected \(parts[0]):VALUE[:CENTER], got '\(v)'") }
            return try number(parts[1])
        }
        func center() throws -> Double? {
            guard parts.count == 3 else { return nil }
            let c = try number(parts[2])
            guard c >= 0, c <= 1 else { throw fail(opt, "the centre must be between 0 and 1, got \(parts[2])") }
            return c
        }
        switch parts[0] {
        case "random":
            guard parts.count == 1 else { throw fail(opt, "'random' takes no parameter, got '\(v)'") }
            return (.random, nil)
        case "zipf":
            let theta = try single()
            guard theta > 0, theta != 1 else { throw fail(opt, "zipf theta must be greater than 0 and not 1, got \(parts[1])") }
            return (.zipf(theta: theta), try center())
        case "pareto":
            let h = try single()
            guard h > 0, h < 1 else { throw fail(opt, "pareto h must be between 0 and 1 (exclusive), got \(parts[1])") }
            return (.pareto(h: h), try center())
        case "normal", "gauss":
            let dev = try single()
            guard dev >= 0, dev <= 100 else { throw fail(opt, "normal deviation is a percentage 0-100, got \(parts[1])") }
            return (.normal(deviation: dev), try center())
        case "zoned":
            guard parts.count >= 2 else { throw fail(opt, "expected zoned:ACCESS%/SIZE%:..., e.g. zoned:80/20:20/80") }
            var zones: [RandomDistribution.Zone] = []
            let last = parts.count - 1
            for (i, z) in parts.enumerated().dropFirst() {
                let f = z.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard f.count == 2 else { throw fail(opt, "zone '\(z)' must be ACCESS%/SIZE%, e.g. 80/20") }
                // As fio: the last zone's empty size is the rest of the region.
                let access = try number(f[0])
                let size = i == last && f[1].isEmpty
                    ? 100 - zones.reduce(0) { $0 + $1.sizePercent } : try number(f[1])
                guard access >= 0, size > 0, access <= 100, size <= 100 else {
                    throw fail(opt, "zone '\(z)': access must be 0-100 and size 1-100 percent")
                }
                zones.append(.init(accessPercent: access, sizePercent: size))
            }
            let a = zones.reduce(0) { $0 + $1.accessPercent }, s = zones.reduce(0) { $0 + $1.sizePercent }
            guard abs(a - 100) < 1e-9 else { throw fail(opt, "zone access percentages add up to \(Units.formatDecimal(a, places: 2)), not 100") }
            guard abs(s - 100) < 1e-9 else { throw fail(opt, "zone size percentages add up to \(Units.formatDecimal(s, places: 2)), not 100") }
            return (.zoned(zones), nil)
        case "zoned_abs":
            throw fail(opt, "zoned_abs is not supported; use zoned with percentages of the region")
        default:
            throw fail(opt, "unknown distribution '\(parts[0])'; use random, zipf:θ, pareto:h, normal:dev or zoned:p/r:...")
        }
    }
}
