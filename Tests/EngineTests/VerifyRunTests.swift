import BlockLabCore
import Foundation
import Glibc
import JobSpec
@testable import Engine
import Metrics
import Testing

/// A psync backend that misbehaves as a faulty device would: it flips a byte of the data
/// of one write, sends one write to another offset, or drops one write (reporting success).
final class FaultyBackend: IOBackend {
    static var performsInSubmit: Bool { true }
    let inner: PsyncBackend
    /// Writes seen so far (their order: the job's numberio).
    var writes = 0
    var corruptWrite: Int?
    var misdirect: (write: Int, to: UInt64)?
    var dropWrite: Int?
    /// The offset of each write as the job asked for it.
    var writeOffsets: [UInt64] = []
    private let scratch = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 4096)

    init(fd: Int32) { inner = PsyncBackend(fd: fd, sqesPerIO: 1) }
    deinit { scratch.deallocate() }

    func prepare(tag: Int32, direction: IODirection, offset: UInt64, length: UInt32, buffer: UnsafeMutableRawPointer) {
        guard direction == .write else {
            inner.prepare(tag: tag, direction: direction, offset: offset, length: length, buffer: buffer)
            return
        }
        let n = writes
        writes += 1
        writeOffsets.append(offset)
        if n == corruptWrite {
            // Past the header and checksum: the data itself is damaged.
            let b = buffer.load(fromByteOffset: 1000, as: UInt8.self)
            buffer.storeBytes(of: ~b, toByteOffset: 1000, as: UInt8.self)
        }
        if let m = misdirect, m.write == n {
            inner.prepare(tag: tag, direction: .write, offset: m.to, length: length, buffer: buffer)
        } else if n == dropWrite {
            // Lost: read the block instead (into scratch), so the old data stays.
            inner.prepare(tag: tag, direction: .read, offset: offset, length: length, buffer: scratch)
        } else {
            inner.prepare(tag: tag, direction: direction, offset: offset, length: length, buffer: buffer)
        }
    }

    func prepareCopy(tag: Int32, from: UInt64, to: UInt64, length: UInt32, scratch: UnsafeMutableRawPointer) {
        inner.prepareCopy(tag: tag, from: from, to: to, length: length, scratch: scratch)
    }
    func prepareSync(datasync: Bool) { inner.prepareSync(datasync: datasync) }
    func submitAndReap(submit: Bool, minComplete: Int, deadline: UInt64, now: UInt64,
                       out: UnsafeMutablePointer<Completion>, max: Int) throws -> Int {
        try inner.submitAndReap(submit: submit, minComplete: minComplete, deadline: deadline, now: now, out: out, max: max)
    }
    var enterCalls: UInt64 { inner.enterCalls }
    var submitOnly: (ios: UInt64, inline: UInt64) { inner.submitOnly }
    var features: [(String, JSONValue)] { [] }
}

/// Runs one job's single clone on a `FaultyBackend` (the file must already exist).
func runFaulty(_ spec: JobSpec, options: RunOptions = quietOptions(), _ setUp: (FaultyBackend) -> Void)
    throws -> (result: JobResult, error: String?, backend: FaultyBackend, writes: UInt64, verified: UInt64) {
    let (clones, _) = try ClonePlanner.resolve([spec], allowDestructive: false, notice: { _ in })
    let plan = clones[0]
    let parts = try Runner.loopParts(plan, options: options)
    let fd = open(plan.target.path, O_RDWR)
    guard fd >= 0 else { throw SystemError("open", errno: errno, path: plan.target.path) }
    defer { close(fd) }
    let backend = FaultyBackend(fd: fd)
    setUp(backend)
    let loop = JobLoop(name: spec.name, backend: backend, arena: parts.arena, config: parts.config, clock: SystemClock.shared,
                       shaper: nil, codec: parts.codec, progress: JobProgress(name: spec.name, plannedBytes: 0))
    loop.filler = parts.filler
    let (result, _, error, _, _) = try Runner.drive(loop, plan: plan, fd: fd)
    return (result, error, backend, loop.writtenBytes / UInt64(spec.blockSize[1].maximum), loop.verifiedBlocks)
}

func makeFile(_ path: String, bytes: Int) {
    let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
    ftruncate(fd, off_t(bytes))
    close(fd)
}

func readBytes(_ path: String, at offset: Int, count: Int) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    var b = [UInt8](repeating: 0, count: count)
    _ = b.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, off_t(offset)) }
    return b
}

@Suite struct VerifyBacklogTests {
    @Test func backlogChecksWhileWritingAndEveryBlockIsVerifiedOnce() throws {
        let s = Scratch()
        let path = s.file("b.dat")
        makeFile(path, bytes: 1 << 20)
        var spec = job("bl", file: path, rw: .randwrite, bs: 4096, size: 1 << 20, depth: 1)
        spec.verify = .crc32c
        spec.verifyBacklog = 16
        let run = try runFaulty(spec) { _ in }
        #expect(run.error == nil, "\(run.error ?? "")")
        #expect(run.writes == 256 && run.verified == 256)
        // Reads happened during the write phase: 16 writes, then 16 reads, and so on. The
        // result's read count equals the writes, with no separate replay afterwards.
        #expect(run.result.read.ios == 256 && run.result.write.ios == 256)
    }

    @Test(arguments: [(8, 0), (8, 2), (1, 0)]) func backlogOnTheJobsOwnEngineAtDepthVerifiesEveryWrite(backlog: Int, batch: Int) throws {
        let s = Scratch()
        var spec = job("bq", file: s.file("q.dat"), rw: .randwrite, bs: 4096, size: 2 << 20, depth: 8)
        spec.verify = .crc32c
        spec.verifyBacklog = UInt64(backlog)
        spec.verifyBacklogBatch = UInt64(batch)
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        let r = out.result.jobs[0]
        // Read back during the write phase and the rest after it: each write once.
        #expect(r.write.ios == 512 && r.read.ios == 512)
        #expect(r.engine?.verifiedBlocks == 512)
    }

    @Test func doVerifyOffLogsNothing() throws {
        let s = Scratch()
        var spec = job("nv", file: s.file("n.dat"), rw: .write, bs: 4096, size: 1 << 20, depth: 4)
        spec.verify = .crc32c
        spec.verifyBacklog = 8
        spec.doVerify = false
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.isEmpty && out.result.jobs[0].read.ios == 0)
    }

    @Test func corruptedBlockIsCaughtDuringTheWritePhase() throws {
        let s = Scratch()
        let path = s.file("c.dat")
        makeFile(path, bytes: 4 << 20)
        var spec = job("bc", file: path, rw: .write, bs: 4096, size: 4 << 20, depth: 1)
        spec.verify = .crc32c
        spec.verifyBacklog = 8
        let run = try runFaulty(spec) { $0.corruptWrite = 3 }
        let error = try #require(run.error)
        #expect(error.contains("verify failed") && error.contains("offset \(3 * 4096)") && error.contains("crc32c mismatch"), "\(error)")
        // Found at the first backlog check (after 8 writes), long before the 1024 writes end.
        #expect(run.writes == 8, "writes before the failure: \(run.writes)")
        #expect(run.verified == 3)
        #expect(run.result.error == EILSEQ)
    }

    @Test func withoutBacklogTheSameCorruptionIsFoundOnlyAfterTheWrites() throws {
        let s = Scratch()
        let path = s.file("d.dat")
        makeFile(path, bytes: 1 << 20)
        var spec = job("nb", file: path, rw: .write, bs: 4096, size: 1 << 20, depth: 1)
        spec.verify = .crc32c
        let run = try runFaulty(spec) { $0.corruptWrite = 3 }
        #expect(run.error?.contains("offset \(3 * 4096)") == true)
        #expect(run.writes == 256)
    }

    @Test func metaCatchesABlockWrittenAtTheWrongOffset() throws {
        let s = Scratch()
        let path = s.file("m.dat")
        makeFile(path, bytes: 1 << 20)
        var spec = job("mo", file: path, rw: .write, bs: 4096, size: 1 << 20, depth: 1)
        spec.verify = .meta
        spec.verifyBacklog = 4
        // The 3rd write (for offset 8192) lands on offset 40960.
        let run = try runFaulty(spec) { $0.misdirect = (2, 40960) }
        let error = try #require(run.error)
        // Offset 8192 still holds what was there before (zeros): no header at all.
        #expect(error.contains("offset 8192") && error.contains("bad magic"), "\(error)")

        // Read back 40960 on its own: it holds the header of offset 8192.
        var read = job("mr", file: path, rw: .read, bs: 4096, size: 4096, depth: 1)
        read.offset = 40960
        read.verify = .meta
        let check = try Runner.run([read], options: quietOptions())
        #expect(check.errors.first?.contains("bad header offset 8192, wanted 40960") == true, "\(check.errors)")
    }

    @Test func numberioCatchesALostWriteThatLeftAnOlderGeneration() throws {
        let s = Scratch()
        let path = s.file("g.dat")
        makeFile(path, bytes: 256 << 10)
        // Generation 1: every block written in order (numberio = block number).
        var first = job("g1", file: path, rw: .write, bs: 4096, size: 256 << 10, depth: 1)
        first.verify = .meta
        first.verifyPattern = [0x5A]
        #expect(try Runner.run([first], options: quietOptions()).errors.isEmpty)
        // Generation 2, in another order; its first write is lost, so that block still holds
        // a whole, checksum-clean block of generation 1.
        var second = job("g2", file: path, rw: .randwrite, bs: 4096, size: 256 << 10, depth: 1)
        second.verify = .meta
        second.verifyPattern = [0x5A]
        second.verifyBacklog = 4
        let run = try runFaulty(second) { $0.dropWrite = 0 }
        let lost = run.backend.writeOffsets[0]
        let error = try #require(run.error)
        #expect(lost != 0, "the random order began at block 0; the stale block would look current")
        #expect(error.contains("offset \(lost)") && error.contains("bad header numberio \(lost / 4096), wanted 0"), "\(error)")
    }

    @Test func verifyDumpWritesTheReceivedAndExpectedIntervalAsFioNamesThem() throws {
        let s = Scratch()
        let path = s.file("dump.dat")
        var write = job("dw", file: path, rw: .write, bs: 8192, size: 64 << 10, depth: 2)
        write.verify = .md5
        write.verifyInterval = 2048
        #expect(try Runner.run([write], options: quietOptions()).errors.isEmpty)
        // Damage the data of the second interval of the block at 16 KiB.
        let at = 16384 + 2048 + 500
        let original = readBytes(path, at: 16384 + 2048, count: 2048)
        let fd = open(path, O_RDWR)
        var b = UInt8(0xFF) ^ original[500]
        pwrite(fd, &b, 1, off_t(at))
        close(fd)

        let dumps = s.file("dumps")
        mkdir(dumps, 0o755)
        var options = quietOptions()
        options.dumpDirectory = dumps
        var read = job("dr", file: path, rw: .read, bs: 8192, size: 64 << 10, depth: 2)
        read.verify = .md5
        read.verifyInterval = 2048
        read.verifyDump = true
        let out = try Runner.run([read], options: options)
        let error = try #require(out.errors.first)
        #expect(error.contains("md5 mismatch"))
        // fio's dump_buf: "<file's base name>.<offset of the interval>.received/.expected".
        let names = try FileManager.default.contentsOfDirectory(atPath: dumps).sorted()
        #expect(names == ["dump.dat.18432.expected", "dump.dat.18432.received"], "\(names)")
        let received = try #require(FileManager.default.contents(atPath: dumps + "/dump.dat.18432.received"))
        let expected = try #require(FileManager.default.contents(atPath: dumps + "/dump.dat.18432.expected"))
        #expect(received.count == 2048 && expected.count == 2048)
        #expect(Array(received)[500] == b)
        // The expected interval is the block as written, regenerated from its header.
        #expect(Array(expected) == original)
        #expect(error.contains(dumps + "/dump.dat.18432.received"))

        // A bad header is dumped alone, as fio's hdr_fail.
        let fd2 = open(path, O_RDWR)
        var zero = [UInt8](repeating: 0, count: 8)
        pwrite(fd2, &zero, 8, 0)
        close(fd2)
        let again = try Runner.run([read], options: options)
        #expect(again.errors.first?.contains("bad magic") == true)
        #expect(FileManager.default.fileExists(atPath: dumps + "/dump.dat.0.hdr_fail"))
    }

    @Test func verifyFatalStopsAtTheFirstBadIntervalOtherwiseAllAreReported() throws {
        let s = Scratch()
        let path = s.file("f.dat")
        var write = job("fw", file: path, rw: .write, bs: 4096, size: 4096, depth: 1)
        write.verify = .crc32c
        write.verifyInterval = 512
        #expect(try Runner.run([write], options: quietOptions()).errors.isEmpty)
        let fd = open(path, O_RDWR)
        for interval in [1, 3, 6] {
            var b: UInt8 = 0
            pread(fd, &b, 1, off_t(interval * 512 + 300))
            b ^= 0x01
            pwrite(fd, &b, 1, off_t(interval * 512 + 300))
        }
        close(fd)
        var read = job("fr", file: path, rw: .read, bs: 4096, size: 4096, depth: 1)
        read.verify = .crc32c
        read.verifyInterval = 512
        let all = try Runner.run([read], options: quietOptions())
        #expect(all.errors.first?.contains("offset 512 (512 bytes)") == true)
        #expect(all.errors.first?.contains("and 2 more bad intervals") == true, "\(all.errors)")
        read.verifyFatal = true
        let fatal = try Runner.run([read], options: quietOptions())
        #expect(fatal.errors.first?.contains("more bad") == false, "\(fatal.errors)")
    }
}

@Suite struct BufferContentTests {
    /// Fraction of `bs` blocks of the file equal to an earlier block.
    static func duplicateFraction(_ paths: [String], bs: Int) -> (Double, Int) {
        var seen = Set<Data>()
        var dups = 0, total = 0
        for path in paths {
            let data = FileManager.default.contents(atPath: path) ?? Data()
            var i = 0
            while i + bs <= data.count {
                if !seen.insert(data.subdata(in: i..<(i + bs))).inserted { dups += 1 }
                total += 1
                i += bs
            }
        }
        return (Double(dups) / Double(max(total, 1)), total)
    }

    @Test func dedupePercentageFiftyGivesAboutHalfDuplicateBlocks() throws {
        let s = Scratch()
        let path = s.file("d.dat")
        var spec = job("dd", file: path, rw: .write, bs: 4096, size: 16 << 20, depth: 4)
        spec.dedupePercentage = 50
        spec.refillBuffers = true
        spec.refillBuffersSet = true
        #expect(try Runner.run([spec], options: quietOptions()).errors.isEmpty)
        let (fraction, total) = Self.duplicateFraction([path], bs: 4096)
        #expect(total == 4096)
        #expect(abs(fraction - 0.5) < 0.04, "duplicate blocks: \(fraction)")
        // Off: no block repeats.
        spec.dedupePercentage = 0
        #expect(try Runner.run([spec], options: quietOptions()).errors.isEmpty)
        #expect(Self.duplicateFraction([path], bs: 4096).0 == 0)
    }

    @Test func workingSetDedupeRepeatsOnlyWorkingSetPages() throws {
        let s = Scratch()
        let path = s.file("w.dat")
        var spec = job("ws", file: path, rw: .write, bs: 4096, size: 16 << 20, depth: 4)
        spec.dedupePercentage = 30
        spec.dedupeMode = .workingSet
        spec.dedupeWorkingSetPercentage = 10
        spec.refillBuffers = true
        spec.refillBuffersSet = true
        #expect(try Runner.run([spec], options: quietOptions()).errors.isEmpty)
        let data = try #require(FileManager.default.contents(atPath: path))
        let blocks = (0..<4096).map { data.subdata(in: ($0 * 4096)..<($0 * 4096 + 4096)) }
        let (fraction, _) = Self.duplicateFraction([path], bs: 4096)
        #expect(abs(fraction - 0.3) < 0.04, "duplicate blocks: \(fraction)")
        // Every repeated block is one of the working set: the first 10 % of unique pages.
        let unique = blocks.reduce(into: [Data]()) { acc, b in if !acc.contains(b) && acc.count < 410 { acc.append(b) } }
        let set = Set(unique)
        var firstSeen = Set<Data>()
        var outside = 0
        for b in blocks where !firstSeen.insert(b).inserted && !set.contains(b) { outside += 1 }
        #expect(outside == 0)
    }

    @Test func dedupeGlobalSharesBlocksBetweenJobs() throws {
        func run(global: Bool) throws -> (cross: Int, s: Scratch) {
            let s = Scratch()
            var jobs: [JobSpec] = []
            for name in ["a", "b"] {
                var spec = job(name, file: s.file(name), rw: .write, bs: 4096, size: 4 << 20, depth: 4)
                spec.dedupePercentage = 50
                spec.dedupeMode = .workingSet
                spec.dedupeWorkingSetPercentage = 50
                spec.dedupeGlobal = global
                spec.compressPercentage = 50
                jobs.append(spec)
            }
            #expect(try Runner.run(jobs, options: quietOptions()).errors.isEmpty)
            let a = Set(Self.blocks(s.file("a"))), b = Set(Self.blocks(s.file("b")))
            return (a.intersection(b).count, s)
        }
        #expect(try run(global: false).cross == 0)
        #expect(try run(global: true).cross > 100)
    }

    static func blocks(_ path: String) -> [Data] {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        return stride(from: 0, to: data.count, by: 4096).map { data.subdata(in: $0..<min($0 + 4096, data.count)) }
    }

    @Test func compressPercentageFiftyCompressesToAboutHalf() throws {
        let s = Scratch()
        let path = s.file("z.dat")
        var spec = job("cz", file: path, rw: .write, bs: 65536, size: 8 << 20, depth: 4)
        spec.compressPercentage = 50
        spec.compressChunk = 4096
        #expect(try Runner.run([spec], options: quietOptions()).errors.isEmpty)
        // As fio fills it: each 4 KiB chunk is 2 KiB random, then 2 KiB of zeros.
        let data = try #require(FileManager.default.contents(atPath: path))
        var zeroTails = 0
        for c in stride(from: 0, to: data.count, by: 4096) where data[(c + 2048)..<(c + 4096)].allSatisfy({ $0 == 0 }) { zeroTails += 1 }
        #expect(zeroTails == data.count / 4096)
        // Measured by a real compressor.
        let (status, out) = shell("gzip -c '\(path)' | wc -c")
        #expect(status == 0)
        let ratio = Double(out.trimmingCharacters(in: .whitespacesAndNewlines))! / Double(data.count)
        #expect(ratio > 0.48 && ratio < 0.56, "gzip ratio \(ratio)")
        // refill_buffers follows compression (fio): no two chunks' random halves repeat.
        let halves = Set(stride(from: 0, to: data.count, by: 4096).map { data.subdata(in: $0..<($0 + 2048)) })
        #expect(halves.count == data.count / 4096)
    }

    @Test func fillerFollowsFiosPercentageSplit() {
        var spec = JobSpec(name: "x")
        spec.compressPercentage = 25
        spec.compressChunk = 1000
        var filler = ContentFiller(spec: spec, thread: 0, threads: 1, size: 1 << 20, minWrite: 4096)
        let p = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        defer { p.deallocate() }
        filler.fill(p, length: 4096)
        let b = UnsafeRawBufferPointer(start: p, count: 4096)
        // Chunks of 1000 bytes (the last 96): 750 random then 250 zeros; 72 random then 24 zeros.
        for c in stride(from: 0, to: 4096, by: 1000) {
            let n = min(1000, 4096 - c)
            let random = n * 75 / 100
            #expect(b[(c + random)..<(c + n)].allSatisfy { $0 == 0 })
            #expect(b[c..<(c + random)].filter { $0 == 0 }.count < random / 20)
        }
    }
}

@Suite struct VerifyInputTests {
    func refusal(_ edit: (inout JobSpec) -> Void) -> String? {
        let s = Scratch()
        var spec = job("u", file: s.file("u.dat"), rw: .write, bs: 4096, size: 1 << 20)
        edit(&spec)
        do {
            _ = try Runner.prepare([spec], options: quietOptions())
            return nil
        } catch let e as BlockLabError {
            guard case .usage(let m) = e else { return "not a usage error: \(e)" }
            return m
        } catch {
            return "\(error)"
        }
    }

    @Test func badVerifyAndDedupeValuesAreUsageErrorsBeforeAnyIO() {
        #expect(refusal { $0.verify = .meta; $0.verifyInterval = 32 }?.contains("verify_interval=32 is too small") == true)
        #expect(refusal { $0.verify = .crc32c; $0.verifyOffset = 20 }?.contains("overlaps the 44-byte verify header") == true)
        #expect(refusal { $0.verify = .crc32c; $0.verifyOffset = 4090 }?.contains("past the end") == true)
        #expect(refusal { $0.dedupePercentage = 60; $0.dedupeMode = .workingSet; $0.dedupeWorkingSetPercentage = 50 }?
            .contains("impossible to reach expected dedupe percentage 60") == true)
        #expect(refusal { $0.verify = .sha256; $0.verifyInterval = 512; $0.verifyOffset = 200; $0.verifyBacklog = 4 } == nil)
    }

    @Test func fiosVerifyIntervalRules() {
        var spec = JobSpec(name: "i")
        spec.rw = .write
        spec.blockSize = [.fixed(4096), .fixed(4096)]
        #expect(ClonePlanner.verifyInterval(spec) == 4096)
        spec.verifyInterval = 512
        #expect(ClonePlanner.verifyInterval(spec) == 512)
        spec.verifyInterval = 8192  // larger than the write: the write
        #expect(ClonePlanner.verifyInterval(spec) == 4096)
        spec.verifyInterval = 1536  // not a factor: the gcd of the smallest and largest write
        spec.blockSize[1] = .range(min: 4096, max: 12288)
        #expect(ClonePlanner.verifyInterval(spec) == 4096)
    }
}
