#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore
import Crypto

// Data checksums. Chunks owned by snapshots never change, so a digest recorded once stays
// valid until the chunk is freed or handed back to a volume. Recording is lazy (`seal`, run
// by `pool check --repair`) so snapshot creation stays constant-time; the engine writes
// volume data directly, so open-delta chunks are not checksummed.

extension Pool {
    static func digest(_ buf: UnsafeRawBufferPointer) -> UInt64 {
        var d: UInt64 = 0
        for (i, b) in SHA256.hash(data: buf).prefix(8).enumerated() { d |= UInt64(b) << (8 * UInt64(i)) }
        return d
    }

    func readChunk(_ p: UInt32, into buf: UnsafeMutableRawBufferPointer) throws {
        let n = Syscall.readFull(dataFD, buf.baseAddress!, count: chunkSize, offset: Int64(p) * Int64(chunkSize))
        if n < 0 { throw SystemError("pread", errno: Int32(-n), path: "\(path)/data") }
        if n < chunkSize { memset(buf.baseAddress! + n, 0, chunkSize - n) } // past the end: never written
    }

    /// Snapshot-owned chunks with their owner, in physical order.
    func snapshotChunks() -> [(p: UInt32, owner: String)] {
        var out: [(UInt32, String)] = []
        for lin in state.lineages.values { for s in lin.snapshots { for p in s.delta.values { out.append((p, s.name)) } } }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Records digests for snapshot chunks that have none. Returns how many were recorded.
    @discardableResult
    public func sealChecksums() throws -> Int {
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { buf.deallocate() }
        var ps: [UInt32] = [], ds: [UInt64] = []
        var total = 0
        for (p, _) in snapshotChunks() where state.checksums[p] == nil {
            try readChunk(p, into: buf)
            ps.append(p); ds.append(Pool.digest(UnsafeRawBufferPointer(buf)))
            if ps.count == 65_536 { try commit(extra: [.checksums(physical: ps, digests: ds)]); total += ps.count; ps = []; ds = [] }
        }
        if !ps.isEmpty { try commit(extra: [.checksums(physical: ps, digests: ds)]); total += ps.count }
        return total
    }

    /// Verifies every recorded digest against the data; returns error messages.
    func verifyChecksums() -> (errors: [String], verified: Int) {
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { buf.deallocate() }
        var errors: [String] = []
        var verified = 0
        let owned = Dictionary(snapshotChunks().map { ($0.p, $0.owner) }, uniquingKeysWith: { a, _ in a })
        for (p, d) in state.checksums.sorted(by: { $0.key < $1.key }) {
            guard let owner = owned[p] else { errors.append("checksum recorded for physical chunk \(p), which no snapshot owns"); continue }
            do { try readChunk(p, into: buf) } catch { errors.append("physical chunk \(p) (snapshot \(owner)): \(error)"); continue }
            if Pool.digest(UnsafeRawBufferPointer(buf)) != d {
                errors.append("data corruption: physical chunk \(p) of snapshot \(owner) does not match its checksum")
            }
            verified += 1
        }
        return (errors, verified)
    }
}
