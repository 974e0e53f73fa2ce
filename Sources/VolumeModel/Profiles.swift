import BlockLabCore

/// Which AWS rule family a volume profile follows (several profiles may share one, e.g.
/// `gp3` and `gp3-2023`).
public enum VolumeRules: String, Sendable {
    case gp3, gp2, io1, io2, hdd, standard
    case instanceStore = "instance-store"
}

public enum VolumeMedia: String, Sendable {
    case ssd, hdd
    case instanceStore = "instance-store"
}

/// Latency of one I/O: floor + lognormal excess with the given median and p99 (µs).
public struct LatencySpec: Sendable, Equatable {
    public var floorUs: Double
    public var medianUs: Double
    public var p99Us: Double
    public var documented: String
    public var note: String
}

/// A volume type as described by `profiles/volumes/NAME.yaml`; numbers are checked on load.
public struct VolumeProfile: Sendable {
    public let name: String
    public let file: String
    public let rules: VolumeRules
    public let source: String
    public let media: VolumeMedia
    public let opSize: UInt64
    public let smallRandomCostsFullOp: Bool
    public let sizeGiB: ClosedRange<UInt64>
    public let latency: LatencySpec
    /// Rule parameters, `section.key` -> value (present for every key the rules need).
    public let params: [String: Double]
    /// gp2 throughput tiers: volumes up to `upToGiB` (nil: any size) get `mibps`.
    public let throughputTiers: [(upToGiB: UInt64?, mibps: Double)]
    public let notes: [String: String]

    /// The keys each rule family needs.
    static let requiredNumbers: [VolumeRules: [String]] = [
        .gp3: ["iops.included", "iops.min", "iops.max", "iops.max_per_gib", "throughput_mibps.included",
               "throughput_mibps.min", "throughput_mibps.max", "throughput_mibps.max_per_iops"],
        .gp2: ["iops.baseline_per_gib", "iops.baseline_min", "iops.baseline_max", "iops.burst", "iops.burst_below_gib",
               "credits.capacity", "credits.start_percent"],
        .io1: ["iops.min", "iops.max", "iops.max_per_gib", "throughput_mibps.max_low", "throughput_mibps.low_iops_limit",
               "throughput_mibps.kib_per_iops_above", "throughput_mibps.max"],
        .io2: ["iops.min", "iops.max", "iops.max_per_gib", "throughput_mibps.per_iops", "throughput_mibps.max"],
        .hdd: ["iops.max", "throughput_mibps.baseline_per_tib", "throughput_mibps.baseline_max",
               "throughput_mibps.burst_per_tib", "throughput_mibps.max", "credits.tib_per_tib", "credits.start_percent"],
        .standard: ["iops.baseline", "iops.burst", "throughput_mibps.max", "credits.capacity", "credits.start_percent"],
        .instanceStore: [],
    ]

    static let allowedKeys: Set<String> = [
        "name", "rules", "source", "media", "ebs_op_size_kib", "small_random_costs_full_op", "size_gib.min", "size_gib.max",
        "iops.*", "throughput_mibps.*", "throughput_tiers", "credits.*", "latency_us.*", "price.*", "consistency",
        "rules_text", "published_iops",
    ]

    init(document d: ProfileDocument) throws {
        try d.checkKeys(Self.allowedKeys)
        file = d.file
        name = try d.string("name")
        let r = try d.string("rules")
        guard let rules = VolumeRules(rawValue: r) else { throw BlockLabError.usage("\(d.file): rules: unknown rule family '\(r)'") }
        self.rules = rules
        source = try d.string("source")
        let m = try d.string("media")
        guard let media = VolumeMedia(rawValue: m) else { throw BlockLabError.usage("\(d.file): media: expected ssd, hdd or instance-store, got '\(m)'") }
        self.media = media
        opSize = try d.integer("ebs_op_size_kib", atMost: 1_048_576) * Units.KiB
        smallRandomCostsFullOp = d.optionalString("small_random_costs_full_op") == "true"
        let lo = try d.integer("size_gib.min", atMost: 1_073_741_824), hi = try d.integer("size_gib.max", atMost: 1_073_741_824)
        guard lo <= hi else { throw BlockLabError.usage("\(d.file): size_gib.min: \(lo) is above size_gib.max \(hi)") }
        sizeGiB = lo...hi
        let floor = try d.number("latency_us.floor", allowZero: true)
        let median = try d.number("latency_us.median"), p99 = try d.number("latency_us.p99")
        guard median > floor else { throw BlockLabError.usage("\(d.file): latency_us.median: must be above latency_us.floor") }
        guard p99 > median else { throw BlockLabError.usage("\(d.file): latency_us.p99: must be above latency_us.median") }
        latency = LatencySpec(floorUs: floor, medianUs: median, p99Us: p99,
                              documented: d.optionalString("latency_us.documented") ?? "",
                              note: d.optionalString("latency_us.note") ?? "")
        var p: [String: Double] = [:]
        for key in Self.requiredNumbers[rules]! { p[key] = try d.number(key) }
        if let pct = p["credits.start_percent"], pct > 100 {
            throw BlockLabError.usage("\(d.file): credits.start_percent: must be at most 100, got \(pct)")
        }
        params = p
        var tiers: [(UInt64?, Double)] = []
        if rules == .gp2 {
            guard let list = d.lists["throughput_tiers"], !list.isEmpty else {
                throw BlockLabError.usage("\(d.file): missing key 'throughput_tiers' (a list of {up_to_gib, mibps})")
            }
            for (i, t) in list.enumerated() {
                let mibps = (t["mibps"] as? Double) ?? (t["mibps"] as? Int).map(Double.init)
                guard let mibps, mibps.isFinite, mibps > 0, mibps <= ProfileDocument.maxNumber else {
                    throw BlockLabError.usage("\(d.file): throughput_tiers[\(i)].mibps: expected a positive number (at most 1e9)")
                }
                var upTo: UInt64?
                if let u = t["up_to_gib"] {
                    guard let n = u as? Int, n >= 0 else {
                        throw BlockLabError.usage("\(d.file): throughput_tiers[\(i)].up_to_gib: expected a whole number of at least 0")
                    }
                    upTo = UInt64(n)
                }
                tiers.append((upTo, mibps))
            }
        }
        throughputTiers = tiers
        var n: [String: String] = [:]
        for k in ["consistency", "rules_text"] { if let s = d.optionalString(k) { n[k] = s } }
        notes = n
    }
}

/// An instance type's EBS limits, from `profiles/instances/NAME.yaml`.
public struct InstanceProfile: Sendable, Equatable {
    public static func == (a: Self, b: Self) -> Bool { a.name == b.name && a.source == b.source && a.baselineIOPS == b.baselineIOPS && a.maxIOPS == b.maxIOPS
        && a.baselineBytesPerSec == b.baselineBytesPerSec && a.maxBytesPerSec == b.maxBytesPerSec && a.burstMinutes == b.burstMinutes
        && a.instanceStore == b.instanceStore && a.price == b.price }
    public let name: String
    public let source: String
    public let baselineBytesPerSec: UInt64
    public let maxBytesPerSec: UInt64
    public let baselineIOPS: UInt64
    public let maxIOPS: UInt64
    /// Minutes per 24 h the instance may run at its maximum (0: the maximum is sustained).
    public let burstMinutes: UInt64
    /// The instance's local NVMe (or HDD) disks, nil when it has none.
    public let instanceStore: InstanceStore?
    /// On-demand price, nil when the profile gives none.
    public let price: InstancePrice?

    /// Instance store as AWS publishes it: volumes of `volumeGB` decimal GB each, and the
    /// aggregate 4 KiB random read and write IOPS at a saturated queue (none for HDD).
    public struct InstanceStore: Sendable, Equatable {
        public let volumes: UInt64
        public let volumeGB: UInt64
        public let media: VolumeMedia
        public let readIOPS: UInt64?
        public let writeIOPS: UInt64?
        public let source: String
        public var totalBytes: UInt64 { volumes * volumeGB * 1_000_000_000 }
    }

    /// Hourly on-demand price; instance store costs the difference to `withoutDisk`.
    public struct InstancePrice: Sendable, Equatable {
        public let region: String
        public let hourly: Double
        public let source: String
        public let withoutDisk: (type: String, hourly: Double, basis: String)?
        public static func == (a: Self, b: Self) -> Bool {
            a.region == b.region && a.hourly == b.hourly && a.source == b.source && a.withoutDisk?.type == b.withoutDisk?.type
                && a.withoutDisk?.hourly == b.withoutDisk?.hourly
        }
    }

    init(document d: ProfileDocument) throws {
        try d.checkKeys(["name", "source", "ebs.baseline_mbps", "ebs.max_mbps", "ebs.baseline_iops", "ebs.max_iops",
                         "ebs.burst_minutes_per_24h", "instance_store.volumes", "instance_store.volume_gb", "instance_store.media",
                         "instance_store.read_iops", "instance_store.write_iops", "instance_store.source",
                         "price.region", "price.hourly", "price.source", "price.without_local_disk.type",
                         "price.without_local_disk.hourly", "price.without_local_disk.basis"])
        name = try d.string("name")
        source = try d.string("source")
        if d.optionalString("instance_store.media") != nil || d.numbers["instance_store.volumes"] != nil {
            let m = try d.string("instance_store.media")
            guard m == "ssd" || m == "hdd" else { throw BlockLabError.usage("\(d.file): instance_store.media: expected ssd or hdd, got '\(m)'") }
            let r = try d.optionalNumber("instance_store.read_iops").map { _ in try d.integer("instance_store.read_iops") }
            let w = try d.optionalNumber("instance_store.write_iops").map { _ in try d.integer("instance_store.write_iops") }
            guard (r == nil) == (w == nil) else {
                throw BlockLabError.usage("\(d.file): instance_store: give both read_iops and write_iops, or neither")
            }
            guard m == "hdd" || r != nil else { throw BlockLabError.usage("\(d.file): instance_store: an SSD instance store needs read_iops and write_iops") }
            instanceStore = InstanceStore(volumes: try d.integer("instance_store.volumes", atMost: 64),
                                          volumeGB: try d.integer("instance_store.volume_gb", atMost: 1_000_000),
                                          media: m == "ssd" ? .ssd : .hdd, readIOPS: r, writeIOPS: w,
                                          source: try d.string("instance_store.source"))
        } else {
            instanceStore = nil
        }
        if d.numbers["price.hourly"] != nil || d.optionalString("price.region") != nil {
            var without: (String, Double, String)?
            if d.optionalString("price.without_local_disk.type") != nil {
                without = (try d.string("price.without_local_disk.type"), try d.number("price.without_local_disk.hourly", atMost: 1e4),
                           try d.string("price.without_local_disk.basis"))
            }
            price = InstancePrice(region: try d.string("price.region"), hourly: try d.number("price.hourly", atMost: 1e4),
                                  source: try d.string("price.source"), withoutDisk: without)
            if let w = without, w.1 > price!.hourly {
                throw BlockLabError.usage("\(d.file): price.without_local_disk.hourly: above price.hourly (the local disk would cost less than nothing)")
            }
        } else {
            price = nil
        }
        // AWS's instance table uses decimal MB/s.
        // At most 10^7 MB/s (10 TB/s) and 1,440 minutes a day: a full credit bucket (30 min x
        // the difference) stays far within 64 bits.
        baselineBytesPerSec = UInt64((try d.number("ebs.baseline_mbps", atMost: 1e7) * 1e6).rounded())
        maxBytesPerSec = UInt64((try d.number("ebs.max_mbps", atMost: 1e7) * 1e6).rounded())
        baselineIOPS = try d.integer("ebs.baseline_iops")
        maxIOPS = try d.integer("ebs.max_iops")
        guard maxBytesPerSec >= baselineBytesPerSec else { throw BlockLabError.usage("\(d.file): ebs.max_mbps: below ebs.baseline_mbps") }
        guard maxIOPS >= baselineIOPS else { throw BlockLabError.usage("\(d.file): ebs.max_iops: below ebs.baseline_iops") }
        burstMinutes = try d.optionalNumber("ebs.burst_minutes_per_24h", atMost: 1440).map { UInt64($0) } ?? 0
    }
}

/// The profiles in one directory (`volumes/`, `instances/`), loaded on demand.
public struct ProfileStore: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `profiles/` found next to the package (walking up from `start`) or in the cwd.
    public static func defaultDirectory(executablePath: String = CommandLine.arguments.first ?? ".", cwd: String) -> String {
        var dir = executablePath.hasPrefix("/") ? executablePath : cwd + "/" + executablePath
        for _ in 0..<8 {
            guard let slash = dir.lastIndex(of: "/") else { break }
            dir = String(dir[..<slash])
            if fileExists(dir + "/profiles/volumes") { return dir + "/profiles" }
            // An installed binary: PREFIX/bin/blocklab with PREFIX/share/blocklab/profiles.
            if fileExists(dir + "/share/blocklab/profiles/volumes") { return dir + "/share/blocklab/profiles" }
        }
        return cwd + "/profiles"
    }

    static func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// A usage error when the directory is missing (a mistyped `--profiles`), rather than an
    /// "unknown volume type" listing nothing.
    public func checkDirectory() throws {
        var st = stat()
        guard stat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw BlockLabError.usage("--profiles \(Text.escaped(directory)): profiles directory does not exist (or is not a directory)")
        }
    }

    public func volume(named name: String) throws -> VolumeProfile {
        try checkDirectory()
        let file = "\(directory)/volumes/\(name).yaml"
        guard !name.contains("/"), Self.fileExists(file) else {
            throw BlockLabError.usage("--volume: unknown volume type '\(Text.escaped(name))' (known: \(names("volumes").joined(separator: ", ")))")
        }
        let p = try VolumeProfile(document: ProfileDocument(file: file))
        guard p.name == name else { throw BlockLabError.usage("\(file): name: '\(p.name)' does not match the file name") }
        return p
    }

    public func instance(named name: String) throws -> InstanceProfile {
        try checkDirectory()
        let file = "\(directory)/instances/\(name).yaml"
        guard !name.contains("/"), Self.fileExists(file) else {
            throw BlockLabError.usage("--instance: unknown instance type '\(Text.escaped(name))' (known: \(names("instances").joined(separator: ", ")))")
        }
        return try InstanceProfile(document: ProfileDocument(file: file))
    }

    /// Profile names in a subdirectory, sorted.
    public func names(_ sub: String) -> [String] {
        guard let d = opendir("\(directory)/\(sub)") else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if n.hasSuffix(".yaml") { out.append(String(n.dropLast(5))) }
        }
        return out.sorted()
    }
}

#if canImport(Glibc)
import Glibc
#endif
