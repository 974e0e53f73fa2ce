import BlockLabCore
import Foundation
import Glibc
import JobSpec
import Testing
@testable import Engine

extension EngineRunTests {
    @Test func missingFileWithoutSizeIsAUsageError() throws {
        let s = Scratch()
        let spec = job("r", file: s.file("nope.dat"), rw: .randread, bs: 4096, size: nil)
        #expect(throws: BlockLabError.usage("test: filename=\(s.file("nope.dat")) does not exist; give size= so BlockLab can create it")) {
            try Runner.run([spec], options: quietOptions())
        }
    }

    @Test func directIOWithUnalignedBlockSizeNamesBs() throws {
        let s = Scratch()
        var spec = job("d", file: s.file("d.dat"), rw: .randread, bs: 1000, size: 1 << 20)
        spec.direct = true
        do {
            _ = try Runner.run([spec], options: quietOptions())
            Issue.record("expected an error")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
            #expect(e.description.contains("bs=1000 is not a multiple of"))
        }
    }

    @Test func zeroDepthIsRejected() throws {
        let s = Scratch()
        let spec = job("z", file: s.file("z.dat"), rw: .read, bs: 4096, size: 1 << 20, depth: 0)
        #expect(throws: BlockLabError.usage("test: iodepth must be at least 1")) { try Runner.run([spec], options: quietOptions()) }
    }

    /// Kernel filesystems are refused by what a path resolves to, not by its text: a
    /// doubled slash or a symlink must not walk around the guard, and /proc is never written.
    @Test func kernelFilesystemsAreRefusedByWhatThePathResolvesTo() throws {
        let s = Scratch()
        symlink("/proc/self/comm", s.file("comm"))
        symlink("/sys/kernel/mm", s.file("mm"))
        let before = try String(contentsOfFile: "/proc/self/comm", encoding: .utf8)
        let cases: [(String, RWMode, UInt64?)] = [
            ("/proc/self/status", .read, nil), (s.file("comm"), .read, 4096), (s.file("comm"), .write, 4096),
            ("//sys/kernel/mm/transparent_hugepage/enabled", .read, nil), (s.file("mm") + "/transparent_hugepage/enabled", .read, 4096),
            ("/sys/kernel/new-file", .write, 4096), ("/proc/../proc/self/comm", .read, 4096),
        ]
        for (file, rw, size) in cases {
            do {
                _ = try Runner.run([job("p", file: file, rw: rw, bs: 4096, size: size)], options: quietOptions())
                Issue.record("expected \(file) to be refused")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2)
                #expect(e.description.contains("kernel filesystem"), "\(e)")
            }
        }
        #expect(try String(contentsOfFile: "/proc/self/comm", encoding: .utf8) == before)
    }

    /// A pool's files belong to the pool's commands: a job may not name them, even to read.
    @Test func aSnapshotPoolsFilesAreNotJobTargets() throws {
        let s = Scratch()
        mkdir(s.file("pool"), 0o755)
        FileManager.default.createFile(atPath: s.file("pool/journal"), contents: Data(PathSafety.poolJournalMagic + [0, 0, 0, 0]))
        FileManager.default.createFile(atPath: s.file("pool/data"), contents: Data(count: 1 << 20))
        symlink(s.file("pool/data"), s.file("alias"))
        for file in [s.file("pool/data"), s.file("alias"), s.file("pool/new.dat")] {
            do {
                _ = try Runner.run([job("p", file: file, rw: .read, bs: 4096, size: 4096)], options: quietOptions())
                Issue.record("expected \(file) to be refused")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2 && e.description.contains("snapshot pool"), "\(e)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: s.file("pool/new.dat")))
        // A directory with a `journal` that is not a pool's is ordinary storage.
        mkdir(s.file("notpool"), 0o755)
        FileManager.default.createFile(atPath: s.file("notpool/journal"), contents: Data("notes".utf8))
        _ = try Runner.run([job("p", file: s.file("notpool/x.dat"), rw: .read, bs: 4096, size: 65536)], options: quietOptions())
    }

    /// Every job is checked before any file is laid out, so a refused second job leaves no
    /// file of the first behind, and a read job never creates or writes what is big enough.
    @Test func aRefusalLeavesNothingBehind() throws {
        let s = Scratch()
        let jobs = [job("a", file: s.file("a.dat"), rw: .write, bs: 4096, size: 1 << 20),
                    job("b", file: s.file("fifo"), rw: .read, bs: 4096, size: 4096)]
        mkfifo(s.file("fifo"), 0o644)
        #expect(throws: BlockLabError.self) { try Runner.run(jobs, options: quietOptions()) }
        #expect(!FileManager.default.fileExists(atPath: s.file("a.dat")))
        let tooDeep = [job("a", file: s.file("a.dat"), rw: .write, bs: 4096, size: 1 << 20),
                       job("b", file: s.file("b.dat"), rw: .read, bs: 4096, size: 1 << 20, depth: 40000)]
        do {
            _ = try Runner.run(tooDeep, options: quietOptions())
            Issue.record("expected iodepth=40000 to be refused")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2 && e.description.contains("iodepth"), "\(e)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.file("a.dat")))
        let huge = [job("a", file: s.file("a.dat"), rw: .read, bs: 1 << 30, size: 1 << 30, depth: 4096)]
        do {
            _ = try Runner.run(huge, options: quietOptions())
            Issue.record("expected 4 TiB of buffers to be refused")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2 && e.description.contains("I/O buffers"), "\(e)")
        }
        let bigBlock = [job("a", file: s.file("a.dat"), rw: .read, bs: 1 << 30, size: 16 << 20)]
        #expect(throws: BlockLabError.self) { try Runner.run(bigBlock, options: quietOptions()) }
        #expect(!FileManager.default.fileExists(atPath: s.file("a.dat")))
    }

    /// A stop (Ctrl-C) during layout removes the files this run created and cuts back the
    /// ones it extended: exit 130, saying what was left.
    @Test func anInterruptedLayoutIsUndone() throws {
        let s = Scratch()
        FileManager.default.createFile(atPath: s.file("old.dat"), contents: Data(repeating: 7, count: 8192))
        var options = quietOptions()
        options.stop.stop()
        let jobs = [job("a", file: s.file("new.dat"), rw: .read, bs: 4096, size: 4 << 20),
                    job("b", file: s.file("old.dat"), rw: .read, bs: 4096, size: 4 << 20)]
        do {
            _ = try Runner.run(jobs, options: options)
            Issue.record("expected the layout to be interrupted")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 130 && e.description.contains("interrupted while laying out"), "\(e)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.file("new.dat")))
        let old = try Data(contentsOf: URL(fileURLWithPath: s.file("old.dat")))
        #expect(old == Data(repeating: 7, count: 8192))
    }

    /// A ring the kernel refuses is an error, and nothing is freed twice.
    @Test func aRingTheKernelRefusesIsAnErrorNotACrash() throws {
        for _ in 0..<3 {
            #expect(throws: EngineSetupError.self) { _ = try Ring(entries: 1 << 20, sqPoll: false, ioPoll: false) }
        }
        #expect(EngineSetupError.ring(errno: EMFILE).description.contains("ulimit -n"))
        #expect(EngineSetupError.ring(errno: EPERM).description.contains("--ioengine=psync"))
    }

    @Test func sizeBeyondFreeSpaceIsRefusedBeforeWriting() throws {
        let s = Scratch()
        let spec = job("big", file: s.file("big.dat"), rw: .write, bs: 1 << 20, size: 1 << 60)
        do {
            _ = try Runner.run([spec], options: quietOptions())
            Issue.record("expected an error")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
            #expect(e.description.contains("is free"))
        }
        #expect(!FileManager.default.fileExists(atPath: s.file("big.dat")))
    }

    @Test(.enabled(if: isRoot, "needs root for losetup"))
    func loopDeviceReportsItsRealSize() throws {
        let s = Scratch()
        guard let loop = LoopDevice(scratch: s, size: 24 << 20) else { Issue.record("losetup failed"); return }
        let info = try Target.inspect(loop.device)
        #expect(info?.kind == .blockDevice)
        #expect(info?.size == 24 << 20)
        let spec = job("dev", file: loop.device, rw: .read, bs: 1 << 20, size: nil)
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.result.jobs[0].read.bytes == 24 << 20)
    }

    @Test(.enabled(if: isRoot, "needs root for losetup and mkfs"))
    func destructiveGuardRefusesALoopDeviceHoldingExt4() throws {
        let s = Scratch()
        guard let loop = LoopDevice(scratch: s, size: 32 << 20) else { Issue.record("losetup failed"); return }
        let spec = job("dev", file: loop.device, rw: .write, bs: 1 << 20, size: 4 << 20)
        // Blank device: allowed.
        _ = try Runner.run([spec], options: quietOptions())
        // A write job claims the device exclusively; the kernel's release (and the probe it
        // triggers) can hold it for a moment after the run.
        #expect(shell("for i in $(seq 20); do mkfs.ext4 -q -F \(loop.device) 2>/dev/null && exit 0; sleep 0.1; done; exit 1").0 == 0)
        do {
            _ = try Runner.run([spec], options: quietOptions())
            Issue.record("expected the guard to refuse")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
            #expect(e.description.contains("ext2/ext3/ext4"))
            #expect(e.description.contains("--allow-destructive"))
        }
        var options = quietOptions()
        options.allowDestructive = true
        let out = try Runner.run([spec], options: options)
        #expect(out.result.jobs[0].write.bytes == 4 << 20)
    }
}

extension EngineRunTests {
    /// fio's ctx, majf/minf and iodepth_submit are measured, not left at zero.
    @Test func cpuFiguresAndSubmitBatchesAreRecorded() throws {
        let s = Scratch()
        let out = try Runner.run([job("c", file: s.file("c.dat"), rw: .randread, bs: 4096, size: 4 << 20, depth: 8)],
                                 options: quietOptions())
        let r = try #require(out.result.jobs.first)
        #expect(r.cpu.voluntaryContextSwitches + r.cpu.involuntaryContextSwitches + r.cpu.minorFaults > 0)
        #expect(r.cpu.userNs + r.cpu.systemNs > 0)
        // 1,024 reads went out in submit calls of 1 to 8 I/Os each: buckets "4" and "8".
        #expect(r.distributions.submit[0] == 0)
        #expect(r.distributions.submit[1] + r.distributions.submit[2] > 0)
        #expect(r.distributions.submit[3...].allSatisfy { $0 == 0 })
    }
}
