import BlockLabCore
import Foundation
import Glibc
import JobSpec
import Metrics
import Testing
@testable import Engine

/// fio's scramble_buffers mark: a 512-byte block holds its own file offset at the start of
/// one of its eight 64-byte lines.
func carriesItsOffset(_ block: Data, _ offset: UInt64) -> Bool {
    (0..<8).contains { line in
        block.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: line * 64, as: UInt64.self) } == offset.littleEndian
    }
}

/// Serialized: the interrupt test raises SIGINT, which every run in the process would see.
@Suite(.serialized) struct EngineRunTests {
    @Test func sizeBoundedWriteDoesExactlyTheExpectedIOs() throws {
        let s = Scratch()
        let spec = job("w", file: s.file("w.dat"), rw: .write, bs: 128 << 10, size: 64 << 20, depth: 8)
        let out = try Runner.run([spec], options: quietOptions())
        let w = out.result.jobs[0].write
        #expect(out.errors.isEmpty)
        #expect(w.ios == 512)
        #expect(w.bytes == 64 << 20)
        #expect(out.result.jobs[0].read.ios == 0)
    }

    @Test func fsyncEveryNWritesIsTimedAsFiosSyncSection() throws {
        let s = Scratch()
        var spec = job("fs", file: s.file("fs.dat"), rw: .write, bs: 64 << 10, size: 4 << 20, depth: 4)
        spec.fsync = 8
        let out = try Runner.run([spec], options: quietOptions())
        let r = out.result.jobs[0]
        #expect(r.write.ios == 64)
        #expect(r.sync.count == 8)
        #expect(r.sync.min > 0)
        let text = FioJSON.document(out.result).serialized()
        let doc = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let job0 = (doc?["jobs"] as? [[String: Any]])?.first
        #expect((job0?["sync"] as? [String: Any])?["total_ios"] as? Int == 8)
    }

    /// A read job leaves the file's access time alone (O_NOATIME): relatime would have
    /// updated it here, as the plain read at the end shows, so the check can fail.
    @Test func readsLeaveTheAccessTimeAlone() throws {
        let s = Scratch()
        let path = s.file("atime.dat")
        _ = try Target.layOut(path: path, size: 1 << 20, what: "test")
        // Three days old and older than the change time: relatime updates it on the next read.
        let old = timespec(tv_sec: time(nil) - 3 * 86_400, tv_nsec: 0)
        var times = [old, old]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        for engine in ["io_uring", "psync"] {
            var spec = job("a", file: path, rw: .randread, bs: 4096, size: 1 << 20, depth: 4)
            spec.ioengine = EngineCatalog.find(engine)!
            spec.ioengineRequested = engine
            let out = try Runner.run([spec], options: quietOptions())
            #expect(out.errors.isEmpty && out.result.jobs[0].read.ios == 256)
            var st = stat()
            #expect(stat(path, &st) == 0 && st.st_atim.tv_sec == old.tv_sec, "\(engine) changed the access time")
        }
        let fd = open(path, O_RDONLY)
        var byte: UInt8 = 0
        #expect(fd >= 0 && read(fd, &byte, 1) == 1)
        close(fd)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_atim.tv_sec != old.tv_sec, "a plain read did not update the access time: the check above proves nothing here")
    }

    /// fio's scramble_buffers, on by default: every 512-byte block written carries its own
    /// file offset in one of its eight 64-byte lines, in BlockLab's file as in fio's, so no
    /// block is written twice with the same bytes; off, the job's few buffers repeat.
    @Test func writesAreScrambledAsFiosAre() throws {
        let s = Scratch()
        func blocks(_ path: String) throws -> [Data] {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return stride(from: 0, to: data.count, by: 512).map { data.subdata(in: $0..<min($0 + 512, data.count)) }
        }
        var spec = job("s", file: s.file("s.dat"), rw: .write, bs: 4096, size: 1 << 20, depth: 4)
        _ = try Runner.run([spec], options: quietOptions())
        let ours = try blocks(s.file("s.dat"))
        #expect(ours.count == 2048)
        #expect(ours.enumerated().allSatisfy { carriesItsOffset($1, UInt64($0) * 512) })
        #expect(Set(ours).count == ours.count)
        // fio 3.33 lays its blocks out the same way.
        let (rc, text) = shell("cd \(s.path) && fio --name=f --filename=fio.dat --size=1m --rw=write --bs=4k --ioengine=psync 2>&1")
        #expect(rc == 0, "\(text)")
        let theirs = try blocks(s.file("fio.dat"))
        #expect(theirs.count == 2048 && theirs.enumerated().allSatisfy { carriesItsOffset($1, UInt64($0) * 512) })
        // Off: the four buffers are written again and again.
        spec.scrambleBuffers = false
        spec.filename = s.file("plain.dat")
        _ = try Runner.run([spec], options: quietOptions())
        let plain = try blocks(s.file("plain.dat"))
        #expect(plain.count == 2048 && Set(stride(from: 0, to: plain.count, by: 8).map { plain[$0..<$0 + 8].reduce(Data(), +) }).count <= 4)
    }

    /// verify=null, as fio 3.33: every block written is read back (fio reports 256 reads
    /// for this job too), and nothing read is checked, so a read job on data no verify
    /// wrote passes where crc32c fails.
    @Test func verifyNullReadsBackAndChecksNothing() throws {
        let s = Scratch()
        let path = s.file("vn.dat")
        let write = try JobParser.parse(text: "[v]\nfilename=\(path)\nsize=1m\nbs=4k\nrw=write\nverify=null\n", path: "t.fio", environment: [:])
        let out = try Runner.run(write, options: quietOptions())
        #expect(out.errors.isEmpty)
        #expect(out.result.jobs[0].write.ios == 256 && out.result.jobs[0].read.ios == 256)
        let (rc, text) = shell("cd \(s.path) && fio --name=v --filename=fio.dat --size=1m --bs=4k --rw=write --verify=null --ioengine=psync "
            + "--output-format=json 2>/dev/null")
        #expect(rc == 0)
        guard let brace = text.firstIndex(of: "{"),
              let fio = try JSONSerialization.jsonObject(with: Data(text[brace...].utf8)) as? [String: Any] else {
            Issue.record("fio wrote no JSON: \(text.prefix(300))"); return
        }
        #expect((((fio["jobs"] as? [[String: Any]])?.first?["read"] as? [String: Any])?["total_ios"] as? Int) == 256)
        // What is written is what the buffer options say, as without verify: here the pattern.
        let patterned = s.file("pattern.dat")
        let withPattern = try JobParser.parse(text: "[p]\nfilename=\(patterned)\nsize=64k\nbs=4k\nrw=write\nverify=null\nbuffer_pattern=0x5a\n",
                                              path: "t.fio", environment: [:])
        let p = try Runner.run(withPattern, options: quietOptions())
        #expect(p.errors.isEmpty && p.result.jobs[0].read.ios == 16)
        #expect(try Data(contentsOf: URL(fileURLWithPath: patterned)).allSatisfy { $0 == 0x5a })
        // Reading back data no verify wrote: null passes, crc32c does not.
        _ = try Runner.run([job("plain", file: s.file("plain.dat"), rw: .write, bs: 4096, size: 256 << 10)], options: quietOptions())
        for (kind, clean) in [("null", true), ("crc32c", false)] {
            let read = try JobParser.parse(text: "[r]\nfilename=\(s.file("plain.dat"))\nsize=256k\nbs=4k\nrw=read\nverify=\(kind)\n",
                                           path: "t.fio", environment: [:])
            let r = try Runner.run(read, options: quietOptions())
            #expect(r.errors.isEmpty == clean, "verify=\(kind): \(r.errors)")
            if clean { #expect(r.result.jobs[0].read.ios == 64) }
        }
    }

    /// buffer_compress_percentage=100 is fio's zero_buffers: every block written is zeros.
    @Test func fullyCompressibleWritesAreZeros() throws {
        let s = Scratch()
        let path = s.file("z.dat")
        let spec = try JobParser.parse(text: "[z]\nfilename=\(path)\nsize=256k\nbs=4k\niodepth=4\nrw=randwrite\nbuffer_compress_percentage=100\n",
                                       path: "t.fio", environment: [:])
        let out = try Runner.run(spec, options: quietOptions())
        #expect(out.errors.isEmpty && out.result.jobs[0].write.ios == 64)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count == 256 << 10 && data.allSatisfy { $0 == 0 })
        // Zeros refilled are zeros, also where reads share the buffers (fio's fill_io_buffer).
        let mixed = s.file("zr.dat")
        _ = try Runner.run([job("w", file: mixed, rw: .write, bs: 4096, size: 256 << 10, depth: 4)], options: quietOptions())
        let refilled = try JobParser.parse(text: "[zr]\nfilename=\(mixed)\nsize=256k\nbs=4k\niodepth=4\nrw=randrw\nzero_buffers=1\nrefill_buffers=1\n",
                                           path: "t.fio", environment: [:])
        let r = try Runner.run(refilled, options: quietOptions())
        #expect(r.errors.isEmpty && r.result.jobs[0].write.ios > 0)
        let after = try Data(contentsOf: URL(fileURLWithPath: mixed))
        let zeroBlocks = stride(from: 0, to: after.count, by: 4096).filter { after[$0..<$0 + 4096].allSatisfy { $0 == 0 } }.count
        #expect(zeroBlocks == Int(r.result.jobs[0].write.ios), "\(zeroBlocks) zero blocks for \(r.result.jobs[0].write.ios) writes")
    }

    /// A mixed job with buffer_pattern writes the pattern every time (fio refills it): its
    /// reads land in the same buffers and must not leave their data in a later write. The
    /// file starts scrambled, so every 512-byte block not rewritten still carries its own
    /// offset; a write of read data would carry another block's.
    @Test func aMixedJobsPatternIsRefilledAfterReads() throws {
        let s = Scratch()
        let path = s.file("mix.dat")
        _ = try Runner.run([job("w", file: path, rw: .write, bs: 4096, size: 1 << 20, depth: 4)], options: quietOptions())
        let spec = try JobParser.parse(text: "[m]\nfilename=\(path)\nsize=1m\nbs=4k\niodepth=4\nrw=randrw\nbuffer_pattern=0xdeadbeef\n",
                                       path: "t.fio", environment: [:])
        let out = try Runner.run(spec, options: quietOptions())
        #expect(out.errors.isEmpty && out.result.jobs[0].read.ios > 0 && out.result.jobs[0].write.ios > 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let pattern = Data(repeating: 0, count: 512).enumerated().map { [0xde, 0xad, 0xbe, 0xef][$0.offset % 4] as UInt8 }
        var rewritten = 0
        for (i, start) in stride(from: 0, to: data.count, by: 512).enumerated() {
            let block = data.subdata(in: start..<start + 512)
            if [UInt8](block) == pattern { rewritten += 1; continue }
            let own = carriesItsOffset(block, UInt64(i * 512))
            #expect(own, "block at \(start) is neither the pattern nor its own data")
            if !own { break }
        }
        #expect(rewritten > 0 && rewritten <= Int(out.result.jobs[0].write.ios) * 8)
    }

    @Test func randomReadWithoutSizeUsesTheWholeExistingFile() throws {
        let s = Scratch()
        _ = try Target.layOut(path: s.file("r.dat"), size: 8 << 20, what: "test")
        let spec = job("r", file: s.file("r.dat"), rw: .randread, bs: 4096, size: nil, depth: 16)
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.result.jobs[0].read.ios == (8 << 20) / 4096)
        #expect(out.result.jobs[0].read.bytes == 8 << 20)
    }

    @Test func submitBatchesFollowWhereCompletionsComeFrom() throws {
        let s = Scratch()
        _ = try Target.layOut(path: s.file("a.dat"), size: 32 << 20, what: "test")
        func policy(_ spec: JobSpec) throws -> JSONValue? {
            try Runner.run([spec], options: quietOptions()).result.jobs[0].engine?.submitBatch
        }
        // Just laid out through the page cache: buffered reads complete inside the submit.
        var cached = job("c", file: s.file("a.dat"), rw: .randread, bs: 4096, size: 32 << 20, depth: 16)
        cached.invalidate = false
        #expect(try policy(cached) == .string("adaptive: inline completions, batches of 16"))  // the whole depth (at most 32)
        // O_DIRECT on a disk: it starts as for a device, one at a time. (Which mode a long
        // direct run ends in is not asserted: a fast disk completes some reads inside the
        // submit call, and then batching is the right answer; `completesInline` is tested below.)
        var direct = job("d", file: s.file("a.dat"), rw: .randread, bs: 4096, size: 128 << 10, depth: 16)
        direct.direct = true
        #expect(try policy(direct) == .string("adaptive: device completions, one at a time"))
        // A batch the job sets is kept as it is.
        cached.iodepthBatchSubmit = 8
        #expect(try policy(cached) == .int(8))
    }

    /// Without filename=, files are named as fio 3.33 names them: $jobname.$jobnum.$filenum
    /// with $jobnum the clone's number within its job.
    @Test func defaultFileNamesAreFios() throws {
        let s = Scratch()
        let jobs = try JobParser.parse(arguments: ["--directory=\(s.path)", "--size=64k", "--rw=write",
                                                   "--name=a", "--name=b", "--numjobs=2"], environment: [:])
        let plan = try Runner.prepare(jobs, options: quietOptions())
        #expect(plan.clones.map { ($0.target.path as NSString).lastPathComponent } == ["a.0.0", "b.0.0", "b.1.0"])
    }

    @Test func perIOLogSamplesShareAQuarterOfMemory() {
        let stride = MemoryLayout<IOLogSample>.stride
        #expect(ClonePlanner.logSampleBudget(memory: 24 << 30, perIOLoggers: 0) == .max)
        #expect(ClonePlanner.logSampleBudget(memory: 24 << 30, perIOLoggers: 1) == (6 << 30) / stride)
        #expect(ClonePlanner.logSampleBudget(memory: 24 << 30, perIOLoggers: 4) == (6 << 30) / stride / 4)
    }

    @Test func batchModeSwitchesWithHysteresis() {
        typealias L = JobLoop<UringBackend>
        // From one at a time: batches only when over 3/4 completed inside the call.
        #expect(L.completesInline(wasInline: false, ios: 64, done: 64))
        #expect(L.completesInline(wasInline: false, ios: 64, done: 49))
        #expect(!L.completesInline(wasInline: false, ios: 64, done: 48))
        #expect(!L.completesInline(wasInline: false, ios: 64, done: 0))
        // From batches: back to one at a time only under 1/4.
        #expect(L.completesInline(wasInline: true, ios: 64, done: 16))
        #expect(!L.completesInline(wasInline: true, ios: 64, done: 15))
        #expect(L.completesInline(wasInline: true, ios: 64, done: 40))
    }

    @Test func psyncEngineRunsTheSameWork() throws {
        let s = Scratch()
        var spec = job("p", file: s.file("p.dat"), rw: .randwrite, bs: 4096, size: 4 << 20, depth: 8)
        spec.ioengine = EngineCatalog.psync
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.result.jobs[0].write.ios == 1024)
        #expect(out.result.jobs[0].engine?.engine == "psync")
        // fio's FIO_SYNCIO split: the pwrite is clat, slat only the loop's own work before it.
        let w = out.result.jobs[0].write
        #expect(w.slat.mean * 2 < w.clat.mean, "psync slat \(w.slat.mean) ns, clat \(w.clat.mean) ns")
    }

    /// io_uring's slat ends when the submitting io_uring_enter returns (fio's issue time), so
    /// it holds at least one syscall; clat is what remains.
    @Test func uringSlatIncludesTheSubmittingCall() throws {
        let s = Scratch()
        var spec = job("u", file: s.file("u.dat"), rw: .randwrite, bs: 4096, size: 4 << 20, depth: 4)
        spec.direct = true
        let out = try Runner.run([spec], options: quietOptions())
        let w = out.result.jobs[0].write
        #expect(w.ios == 1024)
        #expect(w.slat.min >= 200, "slat min \(w.slat.min) ns is less than any syscall")
        #expect(abs(w.lat.mean - (w.slat.mean + w.clat.mean)) <= w.lat.mean * 0.01 + 1)
    }

    @Test func directIOWithMixedDirectionsCountsBoth() throws {
        let s = Scratch()
        var spec = job("m", file: s.file("m.dat"), rw: .randrw, bs: 4096, size: 16 << 20, depth: 8)
        spec.direct = true
        spec.rwmixread = 70
        let out = try Runner.run([spec], options: quietOptions())
        let r = out.result.jobs[0]
        #expect(r.read.ios + r.write.ios == 4096)
        #expect(r.read.ios > r.write.ios)
    }

    @Test func numjobsWithGroupReportingMergesClones() throws {
        let s = Scratch()
        var spec = job("g", file: s.file("g.dat"), rw: .randread, bs: 4096, size: 4 << 20, depth: 4)
        spec.numjobs = 3
        spec.groupReporting = true
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.result.jobs.count == 1)
        #expect(out.result.jobs[0].read.ios == 3 * 1024)
        var separate = spec
        separate.groupReporting = false
        let out2 = try Runner.run([separate], options: quietOptions())
        #expect(out2.result.jobs.count == 3)
    }

    @Test func rateIOPSHoldsTheRate() throws {
        let s = Scratch()
        var spec = job("rate", file: s.file("rate.dat"), rw: .randread, bs: 4096, size: 4 << 20, depth: 4)
        spec.rateIOPS = [400, nil]
        spec.timeBased = true
        spec.runtimeNs = 1 * NS.perSecond
        let out = try Runner.run([spec], options: quietOptions())
        let iops = out.result.jobs[0].read.iops
        #expect(iops > 300 && iops < 500, "rate_iops=400 gave \(iops)")
    }

    @Test func verifyWriteThenReadPassesAndAFlippedByteFailsWithItsOffset() throws {
        let s = Scratch()
        let path = s.file("v.dat")
        var write = job("vw", file: path, rw: .randwrite, bs: 4096, size: 1 << 20, depth: 8)
        write.verify = .crc32c
        let out = try Runner.run([write], options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        var read = job("vr", file: path, rw: .read, bs: 4096, size: 1 << 20, depth: 8)
        read.verify = .crc32c
        let good = try Runner.run([read], options: quietOptions())
        #expect(good.errors.isEmpty, "\(good.errors)")
        #expect(good.result.jobs[0].read.ios == 256)

        // Flip one byte in the block at 40 KiB.
        let fd = open(path, O_RDWR)
        var b: UInt8 = 0
        pread(fd, &b, 1, 40 * 1024 + 100)
        b ^= 0xFF
        pwrite(fd, &b, 1, 40 * 1024 + 100)
        close(fd)
        let bad = try Runner.run([read], options: quietOptions())
        #expect(bad.errors.count == 1)
        #expect(bad.errors.first?.contains("40960") == true, "\(bad.errors)")
        #expect(bad.result.jobs[0].error != 0)
    }

    @Test func interruptStopsCleanlyWithAValidResult() throws {
        let s = Scratch()
        var spec = job("int", file: s.file("i.dat"), rw: .randread, bs: 4096, size: 4 << 20, depth: 4)
        spec.timeBased = true
        spec.runtimeNs = 30 * NS.perSecond
        // A token, not a real SIGINT: other suites run in this process at the same time.
        let options = quietOptions()
        let stop = options.stop
        let killer = Thread { usleep(400_000); stop.stop() }
        killer.start()
        let start = SystemClock.shared.now()
        let out = try Runner.run([spec], options: options)
        #expect(out.interrupted)
        #expect(out.result.jobs[0].interrupted)
        #expect(out.result.jobs[0].read.ios > 0)
        #expect(SystemClock.shared.now() - start < 10 * NS.perSecond)
        let doc = FioJSON.document(out.result).serialized()
        #expect((try? JSONSerialization.jsonObject(with: Data(doc.utf8))) != nil)
    }
}

/// rate_process=poisson: exponential gaps with the rate's mean.
@Suite struct PoissonArrivalTests {
    @Test func gapsAreExponentialWithTheRatesMean() {
        var p = PoissonArrivals(seed: 42)
        let mean = 2_000_000.0   // 500 IOPS
        let gaps = (0..<20_000).map { _ in Double(p.gapNs(meanNs: mean)) }
        let m = gaps.reduce(0, +) / Double(gaps.count)
        let sd = (gaps.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(gaps.count - 1)).squareRoot()
        // An exponential's standard deviation equals its mean (even spacing would give 0).
        #expect(abs(m - mean) < mean * 0.03, "mean gap \(m)")
        #expect(abs(sd / m - 1) < 0.05, "coefficient of variation \(sd / m)")
        // About e^-1 of gaps exceed the mean.
        let over = Double(gaps.filter { $0 > mean }.count) / Double(gaps.count)
        #expect(abs(over - exp(-1)) < 0.02, "\(over) of gaps over the mean")
        // The same seed gives the same arrivals.
        var a = PoissonArrivals(seed: 7), b = PoissonArrivals(seed: 7)
        #expect((0..<100).allSatisfy { _ in a.gapNs(meanNs: mean) == b.gapNs(meanNs: mean) })
    }

    @Test func aPoissonRateKeepsItsMeanRate() throws {
        let s = Scratch()
        var spec = job("p", file: s.file("p.dat"), rw: .randread, bs: 4096, size: 4 << 20, depth: 8)
        spec.rateIOPS = [400, nil]
        spec.ratePoisson = true
        spec.timeBased = true
        spec.runtimeNs = 2 * NS.perSecond
        let r = try Runner.run([spec], options: quietOptions()).result.jobs[0].read
        // 800 arrivals expected in 2 s; a Poisson count's sd is sqrt(800) = 28.
        #expect(abs(r.iops - 400) < 60, "\(r.iops) IOPS under rate_iops=400, poisson")
    }
}
