import BlockLabCore

/// A pool volume (or snapshot) as the engine's mapped target: the engine issues the I/O,
/// the pool says where each chunk lives and what a first write must copy.
extension PoolVolumeIO: MappedTarget {
    public var label: String { "pool:\(pool.path)/\(name)" }

    @inline(__always)
    public func mapRead(offset: UInt64, length: Int) -> MappedSegment {
        let s = mapReadChunk(offset: offset, length: length)
        return MappedSegment(kind: s.kind == .zero ? .zero : .data, physicalOffset: s.physicalOffset, length: s.length, penaltyNs: s.penaltyNs)
    }

    @inline(__always)
    public func mapWrite(offset: UInt64, length: Int) throws -> MappedSegment {
        let p = try prepareWriteChunk(offset: offset, length: length)
        return MappedSegment(kind: .data, physicalOffset: p.physicalOffset, length: p.length, penaltyNs: p.copyPenaltyNs,
                             copyFrom: p.copyFrom, copyTo: p.copyTo, copyLength: p.copyLength)
    }

    /// The store's figures for the result.
    public func summary() -> JSONValue {
        .object([("chunk_size", .int(Int64(chunkSize))), ("size", .uint(sizeBytes)),
                 ("first_touch_fetches", .uint(fetchCount)), ("fetch_penalty_ns", .uint(fetchPenaltyNs)),
                 ("unloaded_chunks", .int(Int64(unloadedChunks)))])
    }
}
