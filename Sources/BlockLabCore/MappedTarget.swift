/// One piece of a mapped I/O, inside a single chunk of the target.
public struct MappedSegment: Sendable {
    public enum Kind: UInt8, Sendable { case data, zero }
    public var kind: Kind
    /// Where the piece lives in the data file.
    public var physicalOffset: UInt64
    public var length: Int
    /// Emulated extra latency (a restored volume's first touch of a chunk).
    public var penaltyNs: UInt64
    /// For writes: copy `copyLength` bytes from `copyFrom` to `copyTo` first (copy-on-write
    /// of a chunk shared with a snapshot); 0 = nothing to copy.
    public var copyFrom: UInt64 = 0
    public var copyTo: UInt64 = 0
    public var copyLength: Int = 0

    public init(kind: Kind, physicalOffset: UInt64, length: Int, penaltyNs: UInt64,
                copyFrom: UInt64 = 0, copyTo: UInt64 = 0, copyLength: Int = 0) {
        self.kind = kind
        self.physicalOffset = physicalOffset
        self.length = length
        self.penaltyNs = penaltyNs
        self.copyFrom = copyFrom
        self.copyTo = copyTo
        self.copyLength = copyLength
    }
}

/// The mapped-target port: a target whose logical offsets map to places in a data file
/// (a thin volume in a snapshot pool implements it). The engine still issues every byte of
/// I/O itself (io_uring, linked read-old/write-new for copy-on-write); the mapper only says
/// where. Used by one job thread at a time, so implementations need not be thread-safe.
public protocol MappedTarget: AnyObject {
    /// Logical size in bytes.
    var sizeBytes: UInt64 { get }
    /// The file that physical offsets refer to (opened by the engine, with O_DIRECT if asked).
    var dataPath: String { get }
    var isReadOnly: Bool { get }
    /// Mapping granularity in bytes: one segment never crosses a chunk boundary.
    var chunkSize: Int { get }
    /// A description for messages and results, e.g. `pool:/var/tmp/pool/vol`.
    var label: String { get }
    /// The part of a read starting at `offset` that lies in one chunk.
    func mapRead(offset: UInt64, length: Int) -> MappedSegment
    /// The part of a write starting at `offset` that lies in one chunk (may allocate).
    func mapWrite(offset: UInt64, length: Int) throws -> MappedSegment
    /// Makes completed writes and their mappings durable (data first, then metadata).
    func commit() throws
    /// A write or copy failed: forget every mapping made since the last commit, so none of
    /// them is ever published (what was written since then is lost, as in a crash).
    func abandonPending()
    /// The target's section of the result.
    func summary() -> JSONValue
}
