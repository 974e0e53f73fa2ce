import BlockLabCore
import Foundation
import Glibc
import SnapStore
import Testing
@testable import BlockLabCLI

/// Workloads on pool volumes through the real engine: copy-on-write correctness, read-only
/// snapshots, and a restored volume's first-touch latency before and after hydration.
@Suite(.serialized) struct PoolTargetTests {
    let dir: String = {
        var template = Array((FileManager.default.temporaryDirectory.path + "/blocklab-pooltgt.XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }()
    var pool: String { dir + "/pool" }

    func run(_ args: [String], target: String) throws -> (Int32, [String: Any]) {
        var s = RunSession(jobArguments: args)
        s.resultsDirectory = dir + "/results"
        s.quiet = true
        s.format = .json
        s.target = target
        var out = ""
        let code = try s.execute(stdout: { out += $0 }, stderr: { _ in })
        let doc = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        return (code, ((doc?["jobs"] as? [[String: Any]])?.first) ?? [:])
    }

    func withPool(_ body: (Pool) throws -> Void) throws {
        let p = try Pool(path: pool)
        defer { try? p.close() }
        try body(p)
    }

    func meanLatNs(_ job: [String: Any]) -> Double {
        ((job["read"] as? [String: Any])?["lat_ns"] as? [String: Any])?["mean"] as? Double ?? -1
    }

    @Test func writesSurviveSnapshotsAndCopyOnWriteKeepsTheSnapshotIntact() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Pool.create(path: pool, chunkSize: 64 * 1024)
        try withPool { try $0.createVolume(name: "vol", size: 8 << 20) }
        let write = ["--name=w", "--rw=randwrite", "--bs=4k", "--iodepth=16", "--size=8m", "--verify=crc32c"]
        let (c1, _) = try run(write, target: "pool:\(pool)/vol")
        #expect(c1 == 0)
        try withPool { _ = try $0.createSnapshot(volume: "vol", name: "s1") }
        // Overwrite half the volume with 16 KiB writes (partial chunks: copy-on-write).
        let (c2, j2) = try run(["--name=o", "--rw=randwrite", "--bs=16k", "--iodepth=8", "--size=4m", "--verify=crc32c"],
                               target: "pool:\(pool)/vol")
        #expect(c2 == 0)
        let copies = ((j2["blocklab"] as? [String: Any])?["pool_target"] as? [String: Any])?["cow_copies"] as? Int ?? 0
        #expect(copies > 0)
        // The snapshot still holds the first run's data, every block of it.
        let (c3, j3) = try run(["--name=r", "--rw=read", "--bs=4k", "--iodepth=8", "--size=8m", "--verify=crc32c"],
                               target: "pool:\(pool)/s1")
        #expect(c3 == 0)
        #expect((j3["read"] as? [String: Any])?["total_ios"] as? Int == 2048)
        let report = try Pool.check(path: pool)
        #expect(report.ok, "\(report.errors)")
    }

    @Test func writingToASnapshotIsRefused() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Pool.create(path: pool, chunkSize: 64 * 1024)
        try withPool { p in
            try p.createVolume(name: "vol", size: 1 << 20)
            _ = try p.createSnapshot(volume: "vol", name: "s1")
        }
        #expect(throws: BlockLabError.self) {
            _ = try run(["--name=w", "--rw=write", "--bs=4k", "--size=1m"], target: "pool:\(pool)/s1")
        }
        #expect(throws: BlockLabError.self) {
            _ = try run(["--name=w", "--rw=write", "--bs=4k", "--size=1m"], target: "pool:\(pool)/missing")
        }
    }

    @Test func restoredVolumePaysFirstTouchUntilInitialized() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Pool.create(path: pool, chunkSize: 64 * 1024)
        try withPool { try $0.createVolume(name: "vol", size: 2 << 20) }
        _ = try run(["--name=w", "--rw=write", "--bs=64k", "--size=2m"], target: "pool:\(pool)/vol")
        try withPool { p in
            _ = try p.createSnapshot(volume: "vol", name: "s1")
            try p.restore(snapshot: "s1", to: "lazy", rateBytesPerSec: 1)
        }
        let read = ["--name=r", "--rw=randread", "--bs=4k", "--iodepth=1", "--size=2m", "--number_ios=16"]
        let (_, cold) = try run(read, target: "pool:\(pool)/lazy")
        try withPool { _ = try $0.initializeVolume("lazy") }
        let (_, warm) = try run(read, target: "pool:\(pool)/lazy")
        // A first touch costs the fetch penalty (milliseconds); a hydrated read does not.
        #expect(meanLatNs(cold) > 1_000_000, "cold mean \(meanLatNs(cold))")
        #expect(meanLatNs(warm) < meanLatNs(cold) / 5, "warm \(meanLatNs(warm)) vs cold \(meanLatNs(cold))")
    }
}
