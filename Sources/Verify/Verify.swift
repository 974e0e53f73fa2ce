import BlockLabCore

/// Fills write buffers with checkable data and checks what is read back (fio's verify=).
/// Each block carries a small header (magic, offset, length, seed, checksum kind) and a
/// checksum of the block, so a read of block X can tell "wrong data" from "data of block Y".
public struct VerifyCodec: Sendable {
    public init(kind: String?, pattern: [UInt8]?) throws {
        throw BlockLabError.usage("verify is not implemented yet")
    }

    /// Fills `buffer` (length bytes) with the data block `offset` should hold for `generation`.
    public func fill(_ buffer: UnsafeMutableRawPointer, length: Int, offset: UInt64, generation: UInt64) {}

    /// Checks a block read from `offset`; nil if good, otherwise a message naming the
    /// offset and what differed.
    public func check(_ buffer: UnsafeRawPointer, length: Int, offset: UInt64) -> String? { "not implemented" }
}
