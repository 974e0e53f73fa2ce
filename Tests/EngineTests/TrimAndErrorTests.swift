import BlockLabCore
import Foundation
import Glibc
import JobSpec
import Metrics
import Testing
@testable import Engine

/// Allocated 512-byte blocks of a file (st_blocks).
private func allocatedBlocks(_ path: String) -> Int64 {
    var st = stat()
    return stat(path, &st) == 0 ? Int64(st.st_blocks) : -1
}

/// Whether `length` bytes of `path` from `offset` are all zero.
private func allZero(_ path: String, offset: UInt64, length: Int) -> Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var buf = [UInt8](repeating: 1, count: length)
    let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(offset)) }
    return n == length && buf.allSatisfy { $0 == 0 }
}

/// A tmpfs of `size` (real ENOSPC) mounted in a scratch directory of its own, unmounted at
/// deinit before that directory goes (the scratch is held here, so it outlives the mount).
final class SmallFilesystem {
    let path: String
    private let scratch = Scratch()
    private var mounted = false
    init?(size: String) {
        path = scratch.file("fs")
        guard mkdir(path, 0o755) == 0, shell("mount -t tmpfs -o size=\(size) blocklab-test \(path)").0 == 0 else { return nil }
        mounted = true
    }
    deinit { if mounted { shell("umount \(path) || umount -l \(path)") } }
}

@Suite(.serialized) struct TrimTests {
    @Test(.enabled(if: isRoot, "needs root for losetup"))
    func trimOnALoopDeviceDiscardsTheRange() throws {
        let s = Scratch()
        guard let loop = LoopDevice(scratch: s, size: 16 << 20) else { Issue.record("losetup failed"); return }
        // Data first: the loop device's backing file is then allocated in full.
        _ = try Runner.run([job("fill", file: loop.device, rw: .write, bs: 1 << 20, size: nil)], options: quietOptions())
        #expect(shell("sync").0 == 0)
        loop.settle()
        let before = allocatedBlocks(loop.backing)
        #expect(before >= (16 << 20) / 512)
        #expect(!allZero(loop.device, offset: 0, length: 1 << 20))

        var spec = job("trim", file: loop.device, rw: .trim, bs: 1 << 20, size: 8 << 20)
        spec.ioengine = EngineCatalog.ioUring
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.isEmpty)
        let r = out.result.jobs[0]
        #expect(r.trim.ios == 8)
        #expect(r.trim.bytes == 8 << 20)
        #expect(r.trim.clat.count == 8)
        #expect(r.write.ios == 0 && r.read.ios == 0)
        // A loop device discards by punching its backing file: those blocks are gone and read
        // back as zeroes; the rest is untouched.
        let after = allocatedBlocks(loop.backing)
        #expect(before - after >= (8 << 20) / 512)
        for mib in 0..<8 { #expect(allZero(loop.device, offset: UInt64(mib) << 20, length: 1 << 20)) }
        #expect(!allZero(loop.device, offset: 8 << 20, length: 1 << 20))
        // fio's JSON carries it under "trim".
        let doc = try JSONSerialization.jsonObject(with: Data(FioJSON.document(out.result).serialized().utf8)) as? [String: Any]
        let trim = ((doc?["jobs"] as? [[String: Any]])?.first?["trim"]) as? [String: Any]
        #expect(trim?["io_bytes"] as? Int == 8 << 20)
        #expect(trim?["total_ios"] as? Int == 8)
    }

    @Test(.enabled(if: isRoot, "needs root for losetup and mkfs"))
    func trimOnADeviceHoldingAFilesystemNeedsTheSameConsentAsWriting() throws {
        let s = Scratch()
        guard let loop = LoopDevice(scratch: s, size: 32 << 20) else { Issue.record("losetup failed"); return }
        #expect(shell("mkfs.ext4 -q -F \(loop.device)").0 == 0)
        loop.settle()
        let spec = job("trim", file: loop.device, rw: .randtrim, bs: 1 << 20, size: 4 << 20)
        do {
            _ = try Runner.run([spec], options: quietOptions())
            Issue.record("expected the guard to refuse a discard")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
            #expect(e.description.contains("--allow-destructive"))
        }
        var options = quietOptions()
        options.allowDestructive = true
        let out = try Runner.run([spec], options: options)
        #expect(out.result.jobs[0].trim.bytes == 4 << 20)
    }

    @Test(arguments: [EngineCatalog.ioUring, EngineCatalog.psync])
    func trimOnAFilePunchesHoles(_ engine: EngineTraits) throws {
        let s = Scratch()
        let path = s.file("t.dat")
        _ = try Target.layOut(path: path, size: 4 << 20, what: "test")
        #expect(shell("sync").0 == 0)
        let before = allocatedBlocks(path)
        #expect(before >= (4 << 20) / 512)
        var spec = job("t", file: path, rw: .randtrim, bs: 64 << 10, size: 2 << 20, depth: 8)
        spec.ioengine = engine
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.isEmpty)
        #expect(out.result.jobs[0].trim.ios == 32)
        #expect(out.result.jobs[0].trim.bytes == 2 << 20)
        // st_blocks shrinks by the region (the filesystem's extent blocks may move by a few
        // KiB); the size stays (KEEP_SIZE); the holes read as zeroes.
        let after = allocatedBlocks(path)
        #expect(before - after >= (2 << 20) / 512 - 64)
        #expect(after < (2 << 20) / 512 + 64)
        #expect(UInt64((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) == 4 << 20)
        #expect(allZero(path, offset: 0, length: 2 << 20))
        #expect(!allZero(path, offset: 2 << 20, length: 64 << 10))
    }

    @Test func trimwriteTrimsThenWritesEveryBlock() throws {
        let s = Scratch()
        let path = s.file("tw.dat")
        let spec = job("tw", file: path, rw: .trimwrite, bs: 64 << 10, size: 1 << 20, depth: 4)
        let out = try Runner.run([spec], options: quietOptions())
        let r = out.result.jobs[0]
        #expect(out.errors.isEmpty)
        #expect(r.trim.ios == 16 && r.trim.bytes == 1 << 20)
        #expect(r.write.ios == 16 && r.write.bytes == 1 << 20)
        // Written after its trim: every block holds data again.
        #expect(shell("sync").0 == 0)
        #expect(allocatedBlocks(path) >= (1 << 20) / 512)
        #expect(!allZero(path, offset: 15 * (64 << 10), length: 64 << 10))
    }
}

@Suite(.serialized) struct ContinueOnErrorTests {
    /// The job the tests run on a 4 MiB filesystem: 8 MiB of 64 KiB writes.
    static func enospcJob(_ fs: SmallFilesystem) -> JobSpec {
        var spec = job("e", file: fs.path + "/f", rw: .write, bs: 64 << 10, size: 8 << 20, depth: 1)
        spec.ioengine = EngineCatalog.psync
        spec.errors.continueOn = ErrorPolicy.write
        spec.errors.ignore = [nil, [ENOSPC], nil]
        return spec
    }

    @Test(.enabled(if: isRoot, "needs root to mount a small tmpfs"))
    func continuedENOSPCIsCountedAsFioCountsIt() throws {
        guard let fs = SmallFilesystem(size: "4m") else { Issue.record("mount failed"); return }
        let out = try Runner.run([Self.enospcJob(fs)], options: quietOptions())
        // Continued errors do not fail the run.
        #expect(out.errors.isEmpty)
        let r = out.result.jobs[0]
        #expect(r.continueOnError)
        #expect(r.error == ENOSPC)
        #expect(r.firstError == ENOSPC)
        #expect(r.write.bytes == 4 << 20)
        #expect(r.totalErrors == 64)
        // fio counts failed I/Os as issued (total_ios), with no latency.
        #expect(r.write.ios == 128)
        #expect(r.write.clat.count == 64)
        let text = NormalReport.render(out.result)
        #expect(text.contains("errors    : total=64, first_error=28/<No space left on device>"))
    }

    @Test(.enabled(if: isRoot, "needs root to mount a small tmpfs"))
    func fioJSONKeysAndFiguresMatchFio() throws {
        guard let fs = SmallFilesystem(size: "4m") else { Issue.record("mount failed"); return }
        let out = try Runner.run([Self.enospcJob(fs)], options: quietOptions())
        let ours = try JSONSerialization.jsonObject(with: Data(FioJSON.document(out.result).serialized().utf8)) as? [String: Any]
        // The key order as written (JSONSerialization does not keep it).
        func keys(_ text: String) -> [String] {
            guard let start = text.range(of: "\"jobname\"") else { return [] }
            var depth = 0, out: [String] = []
            var i = start.lowerBound
            var key = ""
            var inString = false, escaped = false
            while i < text.endIndex {
                let c = text[i]
                if inString {
                    if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false } else { key.append(c) }
                } else if c == "\"" { inString = true; key = "" }
                else if c == ":" && depth == 0 { out.append(key) }
                else if c == "{" || c == "[" { depth += 1 }
                else if c == "}" || c == "]" { if depth == 0 { break }; depth -= 1 }
                i = text.index(after: i)
            }
            return out
        }
        let ourKeys = keys(FioJSON.document(out.result).serialized()).filter { $0 != "blocklab" }
        #expect(shell("rm -f \(fs.path)/f").0 == 0)
        let (rc, fioText) = shell("cd \(fs.path) && fio --name=e --filename=f --size=8m --rw=write --bs=64k --ioengine=psync "
            + "--continue_on_error=write --ignore_error=,ENOSPC --output-format=json 2>/dev/null")
        #expect(rc == 0)
        let fioKeys = keys(fioText).filter { $0 != "eta" }
        // fio's own keys, in fio's order, with total_err and first_error where fio puts them.
        #expect(fioKeys.contains("total_err"))
        #expect(ourKeys.filter { $0 != "eta" } == fioKeys)
        guard let json = fioText.firstIndex(of: "{"),
              let theirs = try JSONSerialization.jsonObject(with: Data(fioText[json...].utf8)) as? [String: Any] else {
            Issue.record("fio wrote no JSON: \(fioText.prefix(300))"); return
        }
        let a = (ours?["jobs"] as? [[String: Any]])?.first, b = (theirs["jobs"] as? [[String: Any]])?.first
        for key in ["error", "total_err", "first_error"] {
            #expect(a?[key] as? Int == b?[key] as? Int, "\(key)")
        }
        for key in ["io_bytes", "total_ios", "short_ios"] {
            #expect((a?["write"] as? [String: Any])?[key] as? Int == (b?["write"] as? [String: Any])?[key] as? Int, "write.\(key)")
        }
        #expect(((a?["write"] as? [String: Any])?["clat_ns"] as? [String: Any])?["N"] as? Int
                == ((b?["write"] as? [String: Any])?["clat_ns"] as? [String: Any])?["N"] as? Int)
    }

    @Test(.enabled(if: isRoot, "needs root to mount a small tmpfs"))
    func anErrorOfAClassNotContinuedStopsTheJob() throws {
        guard let fs = SmallFilesystem(size: "4m") else { Issue.record("mount failed"); return }
        // Reads are continued, not writes: the first ENOSPC stops the job, uncounted (fio).
        var spec = Self.enospcJob(fs)
        spec.errors.continueOn = ErrorPolicy.read
        spec.errors.ignore = [[ENOSPC], nil, nil]
        // Read errors continued only: not a job that expects ENOSPC, so it would be laid out
        // (and refused for space); an existing file of the region's size is written instead.
        #expect(shell("truncate -s 8m \(fs.path)/f").0 == 0)
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.count == 1)
        let r = out.result.jobs[0]
        #expect(r.error == ENOSPC)
        #expect(r.totalErrors == 0)
        #expect(r.write.bytes == 4 << 20)
        #expect(r.write.ios == 65)
    }

    @Test(.enabled(if: isRoot, "needs root to mount a small tmpfs"))
    func fillDeviceWritesUntilENOSPCAndStopsWithoutError() throws {
        guard let fs = SmallFilesystem(size: "4m") else { Issue.record("mount failed"); return }
        // More than fits: nothing is laid out (no free-space refusal); the job writes until
        // the filesystem is full and ends cleanly there.
        var spec = job("fill", file: fs.path + "/f", rw: .write, bs: 64 << 10, size: 8 << 20, depth: 4)
        spec.fillDevice = true
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.isEmpty)
        let r = out.result.jobs[0]
        #expect(r.error == 0)
        #expect(r.write.bytes == 4 << 20)
        var sv = statvfs()
        #expect(statvfs(fs.path, &sv) == 0 && sv.f_bavail == 0)
    }

    @Test(.enabled(if: isRoot, "needs root to mount a small tmpfs"))
    func fillDeviceWithoutSizeTakesTheFreeSpace() throws {
        guard let fs = SmallFilesystem(size: "4m") else { Issue.record("mount failed"); return }
        #expect(shell("head -c 1048576 /dev/zero > \(fs.path)/other").0 == 0)
        var spec = job("fill", file: fs.path + "/f", rw: .write, bs: 64 << 10, size: nil, depth: 4)
        spec.fillDevice = true
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.isEmpty)
        #expect(out.result.jobs[0].write.bytes == 3 << 20)
        #expect(out.result.jobs[0].error == 0)
    }

    /// fio's surface scan: fill the filesystem, then read back and verify all of it. The
    /// reader's file does not exist when the run is planned; its region is what the filler
    /// left, taken when its phase starts.
    @Test(.enabled(if: isRoot, "needs root to mount a small tmpfs"))
    func aFileAnEarlierPhaseFillsIsReadWhole() throws {
        guard let fs = SmallFilesystem(size: "4m") else { Issue.record("mount failed"); return }
        let f = fs.path + "/data"
        let jobs = try JobParser.parse(arguments: [
            "--name=w", "--filename=\(f)", "--rw=write", "--bs=64k", "--fill_device=1", "--verify=meta", "--do_verify=0",
            "--name=r", "--stonewall", "--filename=\(f)", "--rw=read", "--bs=64k", "--verify=meta",
        ], environment: [:])
        let out = try Runner.run(jobs, options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        let w = out.result.jobs[0], r = out.result.jobs[1]
        #expect(w.write.bytes == 4 << 20)
        #expect(r.read.bytes == 4 << 20 && r.error == 0)
        // Nothing there when its phase starts: a clear error, not a crash or an empty run.
        unlink(f)
        let reader = try JobParser.parse(arguments: ["--name=w", "--filename=\(f)", "--rw=write", "--bs=64k", "--fill_device=1", "--size=64k",
                                                     "--name=r", "--stonewall", "--filename=\(f)", "--rw=read", "--bs=128k"], environment: [:])
        #expect(throws: BlockLabError.self) { _ = try Runner.run(reader, options: quietOptions()) }
    }

    /// After fill_device stops at ENOSPC, the verify reads back only what was written (fio
    /// verifies the writes it logged), not the rest of the planned region.
    @Test(.enabled(if: isRoot, "needs root to mount a small tmpfs"))
    func verifyAfterFillDeviceChecksOnlyWhatWasWritten() throws {
        guard let fs = SmallFilesystem(size: "4m") else { Issue.record("mount failed"); return }
        let jobs = try JobParser.parse(arguments: [
            "--name=w", "--filename=\(fs.path)/f", "--rw=randwrite", "--bs=64k", "--size=8m", "--iodepth=4",
            "--fill_device=1", "--verify=crc32c",
        ], environment: [:])
        let out = try Runner.run(jobs, options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        let r = out.result.jobs[0]
        #expect(r.error == 0)
        #expect(r.write.bytes == 4 << 20)
        #expect(r.engine?.verifiedBlocks == r.write.bytes / (64 << 10))
    }

    /// A trim's size must fit one kernel call, and verify cannot follow trimwrite's writes.
    @Test func oversizedTrimsAndVerifiedTrimwritesAreRefusedBeforeAnyIO() throws {
        let s = Scratch()
        for (args, words) in [(["--rw=trim", "--bs=4k,4k,3g"], "larger than one call"),
                              (["--rw=randtrimwrite", "--bs=4k,4k,16", "--verify=crc32c"], "verify with rw=randtrimwrite")] {
            let jobs = try JobParser.parse(arguments: ["--name=t", "--filename=\(s.file("t.dat"))", "--size=8m"] + args, environment: [:])
            do {
                _ = try Runner.prepare(jobs, options: quietOptions())
                Issue.record("\(args) accepted")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2 && e.description.contains(words), "\(e.description)")
            }
            #expect(!FileManager.default.fileExists(atPath: s.file("t.dat")))
        }
    }
}
