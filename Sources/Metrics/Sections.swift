import BlockLabCore

/// BlockLab's additions to a job's result, typed, each contributed by the module that knows
/// it: the engine (how the I/O was issued, on what), the volume model (the emulated
/// volume's story) and a mapped target such as a pool volume (copy-on-write). `FioJSON` writes them under the job's
/// `blocklab` key, in one place; `NormalReport` prints them.

/// What the engine did: which engine, the queue policy it chose, the target it ran on.
public struct EngineSection: Sendable {
    public struct Target: Sendable {
        public var path: String
        /// `file`, `block-device` or `mapped-volume` (a pool volume).
        public var kind: String
        public var size: UInt64
        public var logicalBlockSize: UInt64
        public var regionOffset: UInt64
        public var regionBytes: UInt64

        public init(path: String, kind: String, size: UInt64, logicalBlockSize: UInt64, regionOffset: UInt64, regionBytes: UInt64) {
            self.path = path; self.kind = kind; self.size = size
            self.logicalBlockSize = logicalBlockSize; self.regionOffset = regionOffset; self.regionBytes = regionBytes
        }
    }

    public var engine: String
    /// The engine the job asked for when another one ran it (libaio runs on io_uring).
    public var requested: String?
    public var enterCalls: UInt64
    /// The submit policy: a fixed batch, or the adaptive choice described.
    public var submitBatch: JSONValue
    public var target: Target?
    /// The backend's features in use (fixed buffers, registered file, ...).
    public var features: [(String, JSONValue)] = []
    public var verifiedBlocks: UInt64?
    public var syncs: UInt64?
    /// Where the job thread ran, and why there.
    public var cpu: JSONValue?
    public var cpuChoice: String?
    public var errorMessage: String?

    public init(engine: String, enterCalls: UInt64 = 0, submitBatch: JSONValue = .null) {
        self.engine = engine
        self.enterCalls = enterCalls
        self.submitBatch = submitBatch
    }

    var json: [(String, JSONValue)] {
        var out: [(String, JSONValue)] = [("engine", .string(engine))]
        if let requested { out.append(("ioengine_requested", .string(requested))) }
        out.append(("enter_calls", .uint(enterCalls)))
        out.append(("submit_batch", submitBatch))
        if let t = target {
            out.append(("target", .object([("path", .string(t.path)), ("kind", .string(t.kind)), ("size", .uint(t.size)),
                                           ("logical_block_size", .uint(t.logicalBlockSize)),
                                           ("region_offset", .uint(t.regionOffset)), ("region_bytes", .uint(t.regionBytes))])))
        }
        out += features
        if let verifiedBlocks { out.append(("verified_blocks", .uint(verifiedBlocks))) }
        if let syncs { out.append(("syncs", .uint(syncs))) }
        if let errorMessage { out.append(("error_message", .string(errorMessage))) }
        if let cpu { out.append(("cpu", cpu)) }
        if let cpuChoice { out.append(("cpu_choice", .string(cpuChoice))) }
        return out
    }
}

/// The emulated volume's story: its model, what it allowed, how long it held I/O back, and
/// its credit buckets (balance at start and end, when each ran empty). The document is the
/// volume model's own (`blocklab.volume`); the typed reads are what reports need, and work
/// the same on a result read back from a file.
public struct VolumeSection: Sendable {
    public var json: JSONValue

    public init(json: JSONValue) { self.json = json }

    public struct Credits: Sendable {
        public var name: String
        public var startPercent: Double?
        public var endPercent: Double?
        /// Times (ns from the volume's start) the bucket ran empty.
        public var emptyAtNs: [UInt64]
    }

    var model: JSONValue? { json["model"] }
    public var type: String? { model?["type"]?.stringValue }
    public var sizeGiB: UInt64? { model?["size_gib"]?.uintValue }
    public var baselineIOPS: UInt64? { model?["baseline_iops"]?.uintValue }
    public var peakIOPS: UInt64? { model?["peak_iops"]?.uintValue }
    public var baselineBytesPerSec: UInt64? { model?["baseline_bytes_per_sec"]?.uintValue }
    public var peakBytesPerSec: UInt64? { model?["peak_bytes_per_sec"]?.uintValue }
    public var instanceType: String? { json["instance"]?["type"]?.stringValue }
    public var throttledNs: UInt64 { json["throttled_ns"]?.uintValue ?? 0 }
    public var ebsOps: UInt64 { json["ebs_ops"]?.uintValue ?? 0 }
    public var credits: [Credits] {
        guard case .array(let buckets)? = json["credit_buckets"] else { return [] }
        return buckets.map { b in
            var empties: [UInt64] = []
            if case .array(let eps)? = b["episodes"] { empties = eps.compactMap { $0["empty_ns"]?.uintValue } }
            return Credits(name: b["name"]?.stringValue ?? "?", startPercent: b["burst_balance_start_pct"]?.doubleValue,
                           endPercent: b["burst_balance_pct"]?.doubleValue, emptyAtNs: empties)
        }
    }
}

/// A run on a mapped target (a pool volume): copy-on-write copies and what they cost in
/// extra writes.
public struct MappedSection: Sendable {
    public var target: String
    public var cowCopies: UInt64
    /// Bytes the store wrote per byte the workload wrote.
    public var writeAmplification: Double
    public var commits: UInt64
    /// The store's own figures (chunk size, mapped and shared chunks, ...).
    public var store: JSONValue

    public init(target: String, cowCopies: UInt64, writeAmplification: Double, commits: UInt64, store: JSONValue) {
        self.target = target; self.cowCopies = cowCopies; self.writeAmplification = writeAmplification
        self.commits = commits; self.store = store
    }

    var json: JSONValue {
        .object([("target", .string(target)), ("cow_copies", .uint(cowCopies)), ("write_amplification", .double(writeAmplification)),
                 ("commits", .uint(commits)), ("store", store)])
    }
}

extension JSONValue {
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var uintValue: UInt64? {
        switch self {
        case .uint(let v): return v
        case .int(let v): return v >= 0 ? UInt64(v) : nil
        case .double(let v): return v >= 0 && v < 1.8e19 ? UInt64(v) : nil
        default: return nil
        }
    }
}
