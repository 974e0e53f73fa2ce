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

    @Test func procAndSysAreRefused() throws {
        let spec = job("p", file: "/proc/self/status", rw: .read, bs: 4096, size: nil)
        do {
            _ = try Runner.run([spec], options: quietOptions())
            Issue.record("expected an error")
        } catch let e as BlockLabError {
            #expect(e.description.contains("/proc/ is not storage"))
        }
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
        #expect(shell("mkfs.ext4 -q -F \(loop.device)").0 == 0)
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
