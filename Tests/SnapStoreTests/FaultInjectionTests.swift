import Foundation
import Glibc
import Testing
import BlockLabCore
@testable import SnapStore

/// Fails the Nth write-type call (pwrite or fdatasync) of a pool: EIO, ENOSPC, or a short
/// write. In `crash` mode the disk is dead from then on (every later call fails, as if the
/// process died there); otherwise the fault is transient. fdatasync is not passed on: no
/// power is cut here, and skipping it keeps hundreds of runs fast.
final class Faults: @unchecked Sendable {
    enum Kind: CaseIterable { case eio, enospc, short }
    let failAt: Int
    let kind: Kind
    let crash: Bool
    private(set) var calls = 0
    private(set) var fired = false
    private var dead = false

    init(failAt: Int = 0, kind: Kind = .eio, crash: Bool = false) {
        self.failAt = failAt; self.kind = kind; self.crash = crash
    }

    private func hit() -> Bool {
        calls += 1
        if calls == failAt {
            fired = true
            if crash { dead = true }
            return true
        }
        return false
    }

    var io: PoolIO {
        PoolIO(pwrite: { [self] fd, buf, n, off in
            if dead { errno = EIO; return -1 }
            guard hit() else { return Glibc.pwrite(fd, buf, n, off) }
            switch kind {
            case .eio: errno = EIO; return -1
            case .enospc: errno = ENOSPC; return -1
            case .short:
                if n < 2 { errno = EIO; return -1 }
                return Glibc.pwrite(fd, buf, n / 2, off)
            }
        }, fdatasync: { [self] _ in
            if dead { errno = EIO; return -1 }
            guard hit() else { return 0 }
            errno = kind == .enospc ? ENOSPC : EIO
            return -1
        }, ftruncate: { [self] fd, len in
            if dead { errno = EIO; return -1 }
            return Glibc.ftruncate(fd, len)
        })
    }
}

/// A directory on tmpfs when there is one (hundreds of pools are created).
func fastTempDir() -> String {
    var template = Array((access("/dev/shm", W_OK) == 0 ? "/dev/shm/blocklab-fault-XXXXXX" : "/tmp/blocklab-fault-XXXXXX").utf8CString)
    return String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
}

/// Like dm-thin's and qcow2's crash tests: a scripted workload is run once for every
/// write-type call it makes, failing that call (EIO, ENOSPC, short write), either as a
/// dying disk (crash) or a transient error. After each, the pool opens, `check` passes, and
/// every acknowledged volume and snapshot reads back exactly; the operation that failed is
/// either wholly there or wholly absent (a failed write: each byte old or new).
@Suite struct FaultInjectionTests {
    static let size = 256 * 1024

    enum Step {
        case create(String), write(String, Int, [UInt8]), snapshot(String, String), deleteSnapshot(String)
        case restore(String, String), hydrate(String), importImage(String), deleteVolume(String)
    }

    struct Model: Equatable {
        var volumes: [String: [UInt8]] = [:]
        var snapshots: [String: [UInt8]] = [:]

        mutating func apply(_ step: Step, image: [UInt8]) {
            switch step {
            case .create(let v): volumes[v] = [UInt8](repeating: 0, count: FaultInjectionTests.size)
            case let .write(v, off, bytes): volumes[v]!.replaceSubrange(off..<off + bytes.count, with: bytes)
            case let .snapshot(v, s): snapshots[s] = volumes[v]
            case .deleteSnapshot(let s): snapshots[s] = nil
            case let .restore(s, v): volumes[v] = snapshots[s]
            case .hydrate: break
            case .importImage(let v): volumes[v] = image
            case .deleteVolume(let v): volumes[v] = nil
            }
        }
    }

    let image: [UInt8] = {
        var rng = Rng(s: 77)
        var b = rng.bytes(128 * 1024)
        for i in 16_384..<32_768 { b[i] = 0 } // a zero chunk stays unallocated
        return b
    }()

    var script: [Step] {
        var rng = Rng(s: 3)
        return [
            .create("v"),
            .write("v", 0, rng.bytes(40_000)),
            .write("v", 100_000, rng.bytes(20_000)),
            .snapshot("v", "s1"),
            .write("v", 30_000, rng.bytes(50_000)),   // copy-on-write of shared chunks
            .snapshot("v", "s2"),
            .write("v", 200_000, rng.bytes(10_000)),
            .write("v", 204_800, rng.bytes(16_384)),  // in place, then a whole fresh chunk
            .deleteSnapshot("s1"),
            .restore("s2", "r"),
            .write("r", 1_000, rng.bytes(5_000)),     // copy from the restored base
            .hydrate("r"),
            .importImage("imp"),
            .deleteSnapshot("s2"),                    // pinned by r: hidden
            .deleteVolume("v"),
        ]
    }

    func run(_ step: Step, on pool: Pool, imagePath: String) throws {
        switch step {
        case .create(let v): try pool.createVolume(name: v, size: UInt64(FaultInjectionTests.size))
        case let .write(v, off, bytes):
            try pool.openVolume(v).write(offset: UInt64(off), bytes: bytes)
            try pool.commit()
        case let .snapshot(v, s): try pool.createSnapshot(volume: v, name: s)
        case .deleteSnapshot(let s): try pool.deleteSnapshot(name: s)
        case let .restore(s, v): try pool.restore(snapshot: s, to: v)
        case .hydrate(let v): _ = try pool.initializeVolume(v)
        case .importImage(let v): try pool.importImage(from: imagePath, to: v)
        case .deleteVolume(let v): try pool.deleteVolume(name: v)
        }
    }

    struct Outcome { var calls: Int; var failedStep: Int?; var error: String? }

    /// Runs the script on a fresh pool with `faults`, stops at the first error, then closes
    /// the pool as a crash (no commit) or normally, and verifies it. Returns what happened.
    @discardableResult
    func trial(_ faults: Faults, label: String) throws -> Outcome {
        let dir = fastTempDir()
        defer { cleanup(dir) }
        let path = "\(dir)/pool", imagePath = "\(dir)/image"
        writeFile(imagePath, image)
        try Pool.create(path: path, chunkSize: 16 * 1024)
        let pool = try Pool(path: path, clock: FakeClock(), io: faults.io)
        pool.wallClockMs = { 1 }
        var acked = Model()
        var attempted = Model()
        var outcome = Outcome(calls: 0)
        for (i, step) in script.enumerated() {
            attempted.apply(step, image: image)
            do {
                try run(step, on: pool, imagePath: imagePath)
                acked = attempted
            } catch {
                outcome.failedStep = i
                outcome.error = "\(error)"
                break
            }
        }
        if faults.crash { pool.closedWithoutCommitForTesting() } else { try pool.close() }
        outcome.calls = faults.calls
        let where_ = "\(label): step \(outcome.failedStep.map { "\($0) \(script[$0])" } ?? "none") failed (\(outcome.error ?? "-"))"

        let report = try Pool.check(path: path)
        #expect(report.ok, "\(where_): check: \(report.errors)")
        let again = try Pool(path: path)
        try verify(again, old: acked, new: attempted, where_)
        // An interrupted import leaves nothing behind; the same name can be imported again.
        if let f = outcome.failedStep, case .importImage(let v) = script[f], !again.hasVolume(v) {
            try again.importImage(from: imagePath, to: v)
            #expect(try { try readAll(again, v) == image }(), "\(where_): retried import")
        }
        try again.close()
        let after = try Pool.check(path: path)
        #expect(after.ok && after.warnings.isEmpty, "\(where_): after recovery: \(after.errors) \(after.warnings)")
        return outcome
    }

    /// Every name in the pool is in the model; acknowledged ones are there and read back
    /// exactly; the failed operation's is all or nothing (a write: each byte old or new).
    func verify(_ pool: Pool, old: Model, new: Model, _ where_: String) throws {
        func compare(_ present: Set<String>, _ o: [String: [UInt8]], _ n: [String: [UInt8]], _ what: String) throws {
            let known = Set(o.keys).union(n.keys)
            #expect(present.isSubset(of: known), "\(where_): unexpected \(what) \(present.subtracting(known))")
            for name in known.sorted() {
                let got = present.contains(name) ? try readAll(pool, name) : nil
                switch (o[name], n[name], got) {
                case (.some, .some, nil): Issue.record("\(where_): acknowledged \(what) \(name) is missing")
                case let (.some(a), .some(b), .some(g)) where g != a && g != b:
                    let bad = g.indices.first { g[$0] != a[$0] && g[$0] != b[$0] }
                    #expect(bad == nil, "\(where_): \(what) \(name) byte \(bad ?? -1) is neither the old nor the new content")
                case let (.some(a), nil, .some(g)):
                    let same = g == a
                    #expect(same, "\(where_): \(what) \(name) (being deleted) changed")
                case let (nil, .some(b), .some(g)):
                    let same = g == b
                    #expect(same, "\(where_): \(what) \(name) (being created) is partial")
                default: break
                }
            }
        }
        try compare(Set(pool.volumes().map(\.name)), old.volumes, new.volumes, "volume")
        try compare(Set(pool.snapshots().map(\.name)), old.snapshots, new.snapshots, "snapshot")
    }

    @Test func everyWriteFailurePointLeavesAConsistentPool() throws {
        let clean = try trial(Faults(), label: "no fault")
        #expect(clean.failedStep == nil, "\(clean.error ?? "")")
        let total = clean.calls
        #expect(total > 60, "the script makes \(total) write calls")
        var failures = 0, survivedShort = 0
        for crash in [true, false] {
            for kind in Faults.Kind.allCases {
                for n in 1...total {
                    let faults = Faults(failAt: n, kind: kind, crash: crash)
                    let o = try trial(faults, label: "\(crash ? "crash" : "transient") \(kind) at call \(n)/\(total)")
                    #expect(faults.fired)
                    if o.failedStep != nil { failures += 1 } else if kind == .short { survivedShort += 1 }
                    // Only a transient short write may go unnoticed (the rest is written on retry).
                    #expect(o.failedStep != nil || (kind == .short && !crash), "call \(n) \(kind) crash=\(crash): no step failed")
                }
            }
        }
        #expect(failures >= 5 * total && survivedShort > 0)
    }

    /// A write whose new chunk cannot be written must not leave that chunk mapped: the rest
    /// of the chunk (outside the failed write) would read as zeros.
    @Test func failedCopyOnWriteDoesNotExposeZeros() throws {
        let dir = fastTempDir()
        defer { cleanup(dir) }
        try Pool.create(path: "\(dir)/pool", chunkSize: 16 * 1024)
        let setup = try Pool(path: "\(dir)/pool")
        try setup.createVolume(name: "v", size: 1 << 20)
        try setup.openVolume("v").write(offset: 0, bytes: [UInt8](repeating: 7, count: 16 * 1024))
        try setup.createSnapshot(volume: "v", name: "s")
        try setup.close()
        // Call 1 is the copy of the shared chunk into the new one.
        let faults = Faults(failAt: 1, kind: .eio)
        let pool = try Pool(path: "\(dir)/pool", io: faults.io)
        #expect(throws: (any Error).self) { try pool.openVolume("v").write(offset: 100, bytes: [1, 2, 3]) }
        try pool.close()
        let again = try Pool(path: "\(dir)/pool")
        #expect(try readAll(again, "v")[0..<16_384].allSatisfy { $0 == 7 })
        #expect(again.volumes()[0].mappedBytes == 16 * 1024)
    }
}

/// The engine writes through `prepareWriteChunk` and its own I/O; when that I/O fails,
/// `abandonPending` must leave the volume as at its last commit.
@Suite struct AbandonPendingTests {
    @Test func abandonedCopyOnWriteLeavesTheLastCommittedContent() throws {
        let dir = NSTemporaryDirectory() + "blocklab-abandon-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Pool.create(path: dir, chunkSize: 65536)
        let pool = try Pool(path: dir)
        try pool.createVolume(name: "v", size: 1 << 20)
        let io = try pool.openVolume("v")
        try io.write(offset: 0, bytes: [UInt8](repeating: 0xAA, count: 65536))
        _ = try pool.createSnapshot(volume: "v", name: "s")
        // The engine plans a partial overwrite of the shared chunk and a write to a new one,
        // then its I/O fails before anything is committed.
        _ = try io.prepareWriteChunk(offset: 4096, length: 4096)
        _ = try io.prepareWriteChunk(offset: 3 * 65536, length: 4096)
        io.abandonPending()
        try pool.commit()
        #expect(try io.read(offset: 0, count: 65536) == [UInt8](repeating: 0xAA, count: 65536))
        #expect(try io.read(offset: 3 * 65536, count: 16) == [UInt8](repeating: 0, count: 16))
        try pool.close()
        let report = try Pool.check(path: dir)
        #expect(report.ok, "\(report.errors)")
        let again = try Pool(path: dir, readOnly: true)
        #expect(try again.openVolume("v").read(offset: 0, count: 65536) == [UInt8](repeating: 0xAA, count: 65536))
        try again.close()
    }
}
