import Glibc
import BlockLabCore
@testable import SnapStore

/// A fresh temporary directory, removed by `cleanup`.
func tempDir(_ tag: String = "snap") -> String {
    var template = Array("/tmp/blocklab-\(tag)-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!
    return String(cString: p)
}

func cleanup(_ dir: String) {
    _ = system("rm -rf '\(dir)'")
}

/// A pool at DIR/pool with a fake wall clock.
func makePool(chunkSize: Int = 16 * 1024, clock: MonotonicClock = FakeClock()) throws -> (dir: String, pool: Pool) {
    let dir = tempDir()
    try Pool.create(path: "\(dir)/pool", chunkSize: chunkSize)
    let pool = try Pool(path: "\(dir)/pool", clock: clock)
    return (dir, pool)
}

struct Rng {
    var s: UInt64
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        out.withUnsafeMutableBytes { raw in
            for i in stride(from: 0, to: n, by: 8) {
                var v = next()
                withUnsafeBytes(of: &v) { raw.baseAddress!.advanced(by: i).copyMemory(from: $0.baseAddress!, byteCount: min(8, n - i)) }
            }
        }
        return out
    }
}

func readAll(_ pool: Pool, _ name: String) throws -> [UInt8] {
    let io = try pool.open(name)
    return try io.read(offset: 0, count: Int(io.sizeBytes))
}

/// 512 KiB blocks whose contents differ (brute force).
func bruteDiff(_ a: [UInt8], _ b: [UInt8]) -> [UInt64] {
    let block = 512 * 1024
    return stride(from: 0, to: a.count, by: block).compactMap { o in
        let e = min(o + block, a.count)
        let same = a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in memcmp(pa.baseAddress! + o, pb.baseAddress! + o, e - o) == 0 } }
        return same ? nil : UInt64(o / block)
    }
}
