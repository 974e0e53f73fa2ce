import BlockLabCore
import JobSpec
import Workload

/// "What is the next I/O?" for the simulator: anything that yields `PlannedIO`s.
public protocol SimIOSource {
    mutating func next() -> PlannedIO?
}

extension IOPlanner: SimIOSource {}

/// TEMPORARY adapter until Workload.IOPlanner is integrated (INTEGRATOR: replace uses of
/// `JobIOSource(spec:)` with `IOPlanner(spec:region:timeBased: true, seedSalt:)`, which
/// already conforms to `SimIOSource`). It does only what the simulator needs: fixed block
/// size (the rule's minimum for ranges/splits), sequential offsets that wrap around the
/// region, or uniform random aligned offsets from a seeded generator; rwmixread for mixed
/// modes. No random map, no distributions.
public struct JobIOSource: SimIOSource {
    let region: Range<UInt64>
    let rw: RWMode
    let readSize: UInt32, writeSize: UInt32
    let mixRead: UInt64
    var cursor: UInt64
    var rng: UInt64

    public init(spec: JobSpec, defaultSize: UInt64) throws {
        let size = spec.size ?? defaultSize
        guard size > 0 else { throw BlockLabError.usage("\(spec.origin): size must be more than 0") }
        region = spec.offset..<(spec.offset + size)
        rw = spec.rw
        readSize = spec.blockSize[0].minimum
        writeSize = spec.blockSize[1].minimum
        guard readSize > 0, writeSize > 0, UInt64(max(readSize, writeSize)) <= size else {
            throw BlockLabError.usage("\(spec.origin): block size must be between 1 and the region size")
        }
        mixRead = UInt64(spec.rwmixread)
        cursor = region.lowerBound
        rng = spec.randseed | 1
    }

    mutating func random() -> UInt64 {
        rng &+= 0x9E37_79B9_7F4A_7C15
        var z = rng
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> PlannedIO? {
        let read: Bool
        switch rw {
        case .read, .randread: read = true
        case .write, .randwrite: read = false
        case .readwrite, .randrw: read = random() % 100 < mixRead
        }
        let len = read ? readSize : writeSize
        let blocks = (region.upperBound - region.lowerBound) / UInt64(len)
        let offset: UInt64
        if rw.isRandom {
            offset = region.lowerBound + (random() % blocks) * UInt64(len)
        } else {
            if cursor + UInt64(len) > region.upperBound { cursor = region.lowerBound }
            offset = cursor
            cursor += UInt64(len)
        }
        return PlannedIO(direction: read ? .read : .write, offset: offset, length: len)
    }
}
