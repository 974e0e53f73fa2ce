#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore

// The engine-facing vocabulary of PoolVolumeIO, and how volumes and snapshots are opened.

/// What reading a chunk not yet loaded into a restored volume costs. AWS publishes no
/// figures, only "a significant increase in latency" on first access and a provisioned
/// initialization rate of 100-300 MiB/s (Amazon EBS User Guide, "Initialize Amazon EBS
/// volumes", 2025). The latency and per-fetch throughput below are BlockLab assumptions
/// (2026-11), chosen to be an order of magnitude slower than a loaded gp3 read; override them.
public struct FetchProfile: Sendable {
    public var latencyNs: UInt64 = 10 * NS.perMillisecond
    public var bytesPerSec: UInt64 = 64 * Units.MiB
    public static let defaultRateBytesPerSec: UInt64 = 200 * Units.MiB

    public init() {}
    public init(latencyNs: UInt64, bytesPerSec: UInt64) { self.latencyNs = latencyNs; self.bytesPerSec = bytesPerSec }

    @inline(__always) public func penalty(bytes: Int) -> UInt64 {
        latencyNs &+ UInt64(bytes) &* NS.perSecond / max(bytesPerSec, 1)
    }
}

/// One piece of a read, within a single chunk.
public struct ReadSegment: Equatable, Sendable {
    public enum Kind: UInt8, Sendable { case data, zero, fetch }
    public var kind: Kind
    /// Offset in the pool's data file (`PoolVolumeIO.dataFD`); unused for `.zero`.
    public var physicalOffset: UInt64
    public var length: Int
    /// For `.fetch`: the simulated snapshot-store penalty to add to the I/O's latency.
    public var penaltyNs: UInt64
}

/// One piece of a write, within a single chunk. When `copyLength` > 0 the engine must first
/// copy `copyLength` bytes from `copyFrom` to `copyTo` in the data file (copy-on-write of a
/// chunk shared with a snapshot; e.g. a linked io_uring read + write), then write the data.
public struct WritePlan: Equatable, Sendable {
    public var physicalOffset: UInt64
    public var length: Int
    public var copyFrom: UInt64
    public var copyTo: UInt64
    public var copyLength: Int
    public var copyPenaltyNs: UInt64
}

extension Pool {
    /// Opens a volume for reading and writing.
    public func openVolume(_ name: String) throws -> PoolVolumeIO {
        let lin = try lineage(ofVolume: name)
        let map: ChunkMap
        if let m = lin.map { map = m } else {
            map = ChunkMap(chunkCount: state.chunkCount(lin.sizeBytes))
            state.fill(map, lineage: lin.id, upTo: nil)
            lin.map = map
        }
        return PoolVolumeIO(pool: self, name: name, lineage: lin, map: map, sizeBytes: lin.sizeBytes)
    }

    /// Opens a snapshot for reading.
    public func openSnapshot(_ name: String) throws -> PoolVolumeIO {
        let s = try snapshot(named: name)
        let lin = state.lineages[s.lineage]!
        let map = ChunkMap(chunkCount: state.chunkCount(lin.sizeBytes))
        state.fill(map, lineage: lin.id, upTo: lin.snapshots.firstIndex { $0 === s }!)
        return PoolVolumeIO(pool: self, name: name, lineage: nil, map: map, sizeBytes: lin.sizeBytes)
    }

    /// Opens `name` as a volume if there is one, else as a snapshot.
    public func open(_ name: String) throws -> PoolVolumeIO {
        if hasVolume(name) { return try openVolume(name) }
        if hasSnapshot(name) { return try openSnapshot(name) }
        throw BlockLabError.usage("pool \(path): no volume or snapshot named '\(name)'")
    }
}

/// Opening `--target pool:PATH/VOLUME` for the engine.
public enum PoolTarget {
    /// Parses `PATH/VOLUME` (the part after `pool:`) and opens the volume (or snapshot) for I/O. The
    /// returned object keeps its pool open; call `commit()` at fsync points and at the end.
    public static func open(_ spec: String, clock: MonotonicClock = SystemClock.shared) throws -> PoolVolumeIO {
        let (path, name) = try PoolAddress.split(spec, what: "--target pool:")
        let pool = try Pool(path: path, clock: clock)
        return try pool.open(name) // a snapshot opens read-only
    }
}
