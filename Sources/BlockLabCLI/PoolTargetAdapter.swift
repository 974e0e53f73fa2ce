import BlockLabCore
import Engine
import SnapStore

/// Presents a pool volume to the engine as a mapped target (the engine knows no pools).
final class PoolMappedTarget: MappedTarget {
    let io: PoolVolumeIO
    let label: String

    init(io: PoolVolumeIO, label: String) {
        self.io = io
        self.label = label
    }

    /// Opens `pool:PATH/VOLUME` (or a snapshot, read-only).
    static func open(_ spec: String) throws -> PoolMappedTarget {
        guard spec.hasPrefix("pool:") else {
            throw BlockLabError.usage("--target: '\(spec)' is not pool:PATH/VOLUME")
        }
        return PoolMappedTarget(io: try PoolTarget.open(String(spec.dropFirst(5))), label: spec)
    }

    var sizeBytes: UInt64 { io.sizeBytes }
    var dataPath: String { io.dataPath }
    var isReadOnly: Bool { io.isReadOnly }
    var chunkSize: Int { io.chunkSize }

    @inline(__always)
    func mapRead(offset: UInt64, length: Int) -> MappedSegment {
        let s = io.mapReadChunk(offset: offset, length: length)
        return MappedSegment(kind: s.kind == .zero ? .zero : .data, physicalOffset: s.physicalOffset, length: s.length, penaltyNs: s.penaltyNs)
    }

    @inline(__always)
    func mapWrite(offset: UInt64, length: Int) throws -> MappedSegment {
        let p = try io.prepareWriteChunk(offset: offset, length: length)
        return MappedSegment(kind: .data, physicalOffset: p.physicalOffset, length: p.length, penaltyNs: p.copyPenaltyNs,
                             copyFrom: p.copyFrom, copyTo: p.copyTo, copyLength: p.copyLength)
    }

    func commit() throws { try io.commit() }

    func summary() -> JSONValue {
        .object([("chunk_size", .int(Int64(io.chunkSize))), ("size", .uint(io.sizeBytes)),
                 ("first_touch_fetches", .uint(io.fetchCount)), ("fetch_penalty_ns", .uint(io.fetchPenaltyNs)),
                 ("unloaded_chunks", .int(Int64(io.unloadedChunks)))])
    }
}
