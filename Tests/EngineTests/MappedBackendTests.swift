import BlockLabCore
import Foundation
import Glibc
import JobSpec
import Testing
@testable import Engine

/// A mapped target of the test's own: 4 KiB chunks over a data file. Logical chunk c lives
/// at physical chunk c + 32 once written; chunk 3 starts shared with physical chunk 3 (its
/// first write must copy it); unwritten chunks read as zeros, chunk 0 with a first-touch delay.
final class FakeMappedTarget: MappedTarget {
    let dataPath: String
    let sizeBytes: UInt64 = 64 << 10
    let isReadOnly = false
    let chunkSize = 4096
    let label = "fake:test"
    var owned: [UInt64: UInt64] = [:]
    var shared: [UInt64: UInt64] = [3: 3]
    var commits = 0

    init(dataPath: String) { self.dataPath = dataPath }

    func mapRead(offset: UInt64, length: Int) -> MappedSegment {
        let c = offset / 4096, within = Int(offset % 4096), n = min(length, 4096 - within)
        if let p = owned[c] ?? shared[c] { return MappedSegment(kind: .data, physicalOffset: p * 4096 + UInt64(within), length: n, penaltyNs: 0) }
        return MappedSegment(kind: .zero, physicalOffset: 0, length: n, penaltyNs: c == 0 ? 2_000_000 : 0)
    }

    /// A chunk the target cannot allocate (its pool is full).
    var refuse: UInt64?
    struct Full: Error {}

    func mapWrite(offset: UInt64, length: Int) throws -> MappedSegment {
        let c = offset / 4096, within = Int(offset % 4096), n = min(length, 4096 - within)
        if c == refuse { throw Full() }
        if let p = owned[c] { return MappedSegment(kind: .data, physicalOffset: p * 4096 + UInt64(within), length: n, penaltyNs: 0) }
        owned[c] = c + 32
        if let old = shared.removeValue(forKey: c) {
            return MappedSegment(kind: .data, physicalOffset: (c + 32) * 4096 + UInt64(within), length: n, penaltyNs: 0,
                                 copyFrom: old * 4096, copyTo: (c + 32) * 4096, copyLength: 4096)
        }
        return MappedSegment(kind: .data, physicalOffset: (c + 32) * 4096 + UInt64(within), length: n, penaltyNs: 0)
    }

    func commit() throws { commits += 1 }
    var abandoned = 0
    func abandonPending() { abandoned += 1 }
    func summary() -> JSONValue { .object([("commits", .int(Int64(commits)))]) }
}

extension EngineRunTests {
    func mappedScratch() throws -> (Scratch, String) {
        let s = Scratch()
        let data = s.file("data")
        try Data((0..<(256 << 10)).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: data))
        return (s, data)
    }

    @Test(arguments: [EngineCatalog.ioUring, EngineCatalog.psync])
    func aPartialFirstWriteToASharedChunkCopiesItFirst(engine: EngineTraits) throws {
        let (s, data) = try mappedScratch()
        let target = FakeMappedTarget(dataPath: data)
        var options = quietOptions()
        options.mappedTarget = target
        var spec = job("w", file: "unused", rw: .write, bs: 2048, size: 2048, depth: 1)
        spec.offset = 3 * 4096
        spec.ioengine = engine
        let out = try Runner.run([spec], options: options)
        #expect(out.errors.isEmpty, "\(out.errors)")
        #expect(out.result.jobs[0].mapped?.cowCopies == 1)
        #expect(target.commits == 1)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: data)))
        // The half the write did not touch was copied from the shared chunk.
        #expect(Array(bytes[(35 * 4096 + 2048)..<(36 * 4096)]) == Array(bytes[(3 * 4096 + 2048)..<(4 * 4096)]))
        #expect(Array(bytes[(35 * 4096)..<(35 * 4096 + 2048)]) != Array(bytes[(3 * 4096)..<(3 * 4096 + 2048)]))
        _ = s
    }

    @Test func unwrittenChunksReadAsZerosAfterTheirDelay() throws {
        let (s, data) = try mappedScratch()
        var options = quietOptions()
        options.mappedTarget = FakeMappedTarget(dataPath: data)
        let out = try Runner.run([job("r", file: "unused", rw: .read, bs: 4096, size: 8192, depth: 2)], options: options)
        #expect(out.errors.isEmpty)
        let read = out.result.jobs[0].read
        #expect(read.ios == 2)
        #expect(read.lat.max >= 2_000_000, "the first touch of chunk 0 is delayed: \(read.lat.max) ns")
        _ = s
    }

    /// I/Os spanning two chunks, several in flight, a copy in flight that others must wait
    /// for, then every block read back and checked.
    @Test func writesAcrossChunksVerifyThroughTheMapping() throws {
        let (s, data) = try mappedScratch()
        let target = FakeMappedTarget(dataPath: data)
        var options = quietOptions()
        options.mappedTarget = target
        var spec = job("v", file: "unused", rw: .randwrite, bs: 8192, size: 64 << 10, depth: 4)
        spec.offset = 0
        spec.verify = .crc32c
        spec.fsync = 2
        let out = try Runner.run([spec], options: options)
        #expect(out.errors.isEmpty, "\(out.errors)")
        #expect(out.result.jobs[0].engine?.verifiedBlocks == 8)
        #expect(target.commits >= 4, "fsync=2 over 8 writes commits at least 4 times: \(target.commits)")
        #expect(out.result.jobs[0].mapped?.cowCopies == 1)
        _ = s
    }
}

extension EngineRunTests {
    /// A write the target cannot map fails the job, abandons what was mapped since the last
    /// commit and commits nothing more.
    @Test func aFailedWriteAbandonsTheUncommittedMappings() throws {
        let (s, data) = try mappedScratch()
        let target = FakeMappedTarget(dataPath: data)
        target.refuse = 9
        var options = quietOptions()
        options.mappedTarget = target
        var spec = job("f", file: "unused", rw: .write, bs: 4096, size: 64 << 10, depth: 4)
        spec.offset = 0
        let out = try Runner.run([spec], options: options)
        #expect(out.errors.count == 1 && out.errors[0].contains("Full"), "\(out.errors)")
        #expect(target.abandoned >= 1 && target.commits == 0)
        _ = s
    }
}

/// The engine table: every engine in JobSpec's catalog has a driver, fio's aliases run on
/// their engine, and the depth an engine keeps is the depth a job runs at.
@Suite struct EngineTableTests {
    @Test func everyCatalogEngineHasADriverAndAliasesResolve() throws {
        for traits in EngineCatalog.all { #expect(try Engines.driver(for: traits).traits == traits) }
        #expect(EngineCatalog.find("LIBAIO") == EngineCatalog.ioUring)
        #expect(EngineCatalog.find("sync") == EngineCatalog.psync && EngineCatalog.find("pvsync") == EngineCatalog.psync)
        #expect(EngineCatalog.find("rdma") == nil)
    }

    @Test func theEnginesDepthIsTheDepthAJobRunsAt() throws {
        let s = Scratch()
        var spec = job("p", file: s.file("p.dat"), rw: .randread, bs: 4096, size: 1 << 20, depth: 32)
        spec.ioengine = EngineCatalog.psync
        spec.ioengineRequested = "sync"
        #expect(spec.effectiveDepth == 1)
        var notes: [String] = []
        var options = quietOptions()
        options.onNotice = { notes.append($0) }
        let out = try Runner.run([spec], options: options)
        let r = try #require(out.result.jobs.first)
        #expect(r.iodepth == 1 && r.engine?.engine == "psync" && r.engine?.requested == "sync")
        #expect(notes.contains { $0.contains("ioengine=sync runs on psync") } && notes.contains { $0.contains("queue depth 1") })
    }
}
