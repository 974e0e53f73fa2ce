import Foundation
import Glibc
import Testing

/// BlockLab's verify blocks against fio 3.33's own (Debian's fio, installed by the Makefile
/// and CI): each checks what the other wrote, and verify_dump names and fills its files alike.
@Suite(.serialized) struct VerifyInteropTests {
    static let fio = "/usr/bin/fio"

    struct Tool {
        var status: Int32
        var output: String
    }

    static func fio(_ args: [String], cwd: String) throws -> Tool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: fio)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Tool(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func blocklab(_ args: [String], cwd: String, scratch: String) throws -> Tool {
        let r = try Harness.run(["run", "--quiet", "--output-format=json", "--output=" + scratch + "/bl.json"] + args,
                                cwd: cwd, scratch: scratch, timeout: 60)
        return Tool(status: r.status, output: r.stderr)
    }

    static let cases: [[String]] = [
        ["--verify=crc32c"],
        ["--verify=crc32c-intel", "--verify_interval=512"],
        ["--verify=md5", "--verify_pattern=0xaa555aa5"],
        ["--verify=sha256", "--verify_interval=1k"],
        ["--verify=meta", "--verify_pattern=0x1234", "--verify_interval=1k"],
        // (fio's own meta + pattern + verify_offset blocks fail its own check: it does not
        // refill the pattern over a reused buffer's swapped header.)
        ["--verify=crc32c", "--verify_interval=1k", "--verify_offset=200"],
        ["--verify=meta"],
        ["--verify_pattern=0x0badf00d", "--verify_interval=512"],
        ["--verify=pattern", "--verify_pattern=0x0badf00d"],
    ]

    @Test(arguments: cases) func eachChecksWhatTheOtherWrote(_ verify: [String]) throws {
        guard access(Self.fio, X_OK) == 0 else { Issue.record("\(Self.fio) is missing (the Makefile installs fio)"); return }
        let dir = try Harness.makeTempDir("verify-interop")
        defer { Harness.removeTree(dir) }
        let common = ["--size=256k", "--bs=4k"] + verify
        // BlockLab writes (random order, checking its own writes), fio checks.
        let ours = try Self.blocklab(["--name=w", "--filename=" + dir + "/bl.dat", "--rw=randwrite"] + common, cwd: dir, scratch: dir)
        #expect(ours.status == 0, "\(verify): \(ours.output)")
        let theirs = try Self.fio(["--name=v", "--filename=" + dir + "/bl.dat", "--rw=write", "--verify_only", "--output-format=json"] + common, cwd: dir)
        #expect(theirs.status == 0 && theirs.output.contains("\"error\" : 0"), "\(verify): fio: \(theirs.output.prefix(600))")
        // fio writes, BlockLab checks.
        let w = try Self.fio(["--name=w", "--filename=" + dir + "/fio.dat", "--rw=randwrite", "--do_verify=0", "--output=/dev/null"] + common, cwd: dir)
        #expect(w.status == 0, "\(w.output)")
        let check = try Self.blocklab(["--name=v", "--filename=" + dir + "/fio.dat", "--rw=write", "--verify_only"] + common, cwd: dir, scratch: dir)
        #expect(check.status == 0, "\(verify): \(check.output)")
        let json = try String(contentsOfFile: dir + "/bl.json", encoding: .utf8)
        #expect(json.contains("\"verified_blocks\" : 64"), "\(verify)")

        // A flipped data byte in fio's file is found (meta without a pattern checks headers only, as fio).
        guard verify != ["--verify=meta"] else { return }
        let fd = open(dir + "/fio.dat", O_RDWR)
        var b: UInt8 = 0
        pread(fd, &b, 1, 8192 + 3000)
        b ^= 0x40
        pwrite(fd, &b, 1, 8192 + 3000)
        close(fd)
        let bad = try Self.blocklab(["--name=v", "--filename=" + dir + "/fio.dat", "--rw=write", "--verify_only"] + common, cwd: dir, scratch: dir)
        let interval = verify.first { $0.hasPrefix("--verify_interval=") }.map { $0.hasSuffix("1k") ? 1024 : 512 } ?? 4096
        let start = (8192 + 3000) / interval * interval
        #expect(bad.status == 1 && bad.output.contains("verify failed") && bad.output.contains("offset \(start)"), "\(verify): \(bad.output)")
    }

    /// fio and BlockLab, each in its own working directory, check the same damaged file
    /// with verify_dump=1: the same files by name, the same bytes received, and the same
    /// expected data after the header (the pattern; the header's time is the reader's own).
    @Test func verifyDumpMatchesFio() throws {
        guard access(Self.fio, X_OK) == 0 else { Issue.record("\(Self.fio) is missing (the Makefile installs fio)"); return }
        let dir = try Harness.makeTempDir("verify-dump")
        defer { Harness.removeTree(dir) }
        let common = ["--size=64k", "--bs=8k", "--verify=crc32c", "--verify_interval=2k", "--verify_pattern=0x5aa5"]
        let w = try Self.fio(["--name=w", "--filename=" + dir + "/data", "--rw=write", "--do_verify=0", "--output=/dev/null"] + common, cwd: dir)
        #expect(w.status == 0, "\(w.output)")
        let fd = open(dir + "/data", O_RDWR)
        var b: UInt8 = 0
        pread(fd, &b, 1, 16384 + 2048 + 700)
        b ^= 0xFF
        pwrite(fd, &b, 1, 16384 + 2048 + 700)
        close(fd)
        let fioDir = dir + "/fio", ourDir = dir + "/ours"
        mkdir(fioDir, 0o755)
        mkdir(ourDir, 0o755)
        let args = ["--name=v", "--filename=" + dir + "/data", "--rw=read", "--verify_dump=1"] + common
        let f = try Self.fio(args + ["--output=/dev/null"], cwd: fioDir)
        #expect(f.output.contains("verify failed at file") && f.output.contains("offset 18432"), "\(f.output.prefix(400))")
        let o = try Self.blocklab(args, cwd: ourDir, scratch: dir)
        #expect(o.status == 1, "\(o.output)")
        let fioNames = try FileManager.default.contentsOfDirectory(atPath: fioDir).sorted()
        let ourNames = try FileManager.default.contentsOfDirectory(atPath: ourDir).filter { !$0.hasPrefix("results") }.sorted()
        #expect(fioNames == ["data.18432.expected", "data.18432.received"], "fio wrote \(fioNames)")
        #expect(ourNames == fioNames)
        for name in fioNames {
            let theirs = try #require(FileManager.default.contents(atPath: fioDir + "/" + name))
            let mine = try #require(FileManager.default.contents(atPath: ourDir + "/" + name))
            #expect(theirs.count == 2048 && mine.count == 2048)
            if name.hasSuffix("received") {
                #expect(theirs == mine)
            } else {
                // After the 40-byte header and the 4-byte crc32c.
                #expect(theirs.dropFirst(44) == mine.dropFirst(44))
            }
        }
    }
}
