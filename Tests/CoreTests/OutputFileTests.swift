import BlockLabCore
import Foundation
import Glibc
import Testing

/// Outputs replace only regular files, follow symlinks, write devices and FIFOs in place,
/// and refuse what no output may touch, all before any work is done.
@Suite struct OutputFileTests {
    let dir: String = {
        var template = Array((FileManager.default.temporaryDirectory.path + "/blocklab-out.XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }()

    func refused(_ path: String, _ fragment: String) {
        do {
            _ = try OutputFile.check(path, what: "--output")
            Issue.record("expected \(path) to be refused")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2, "\(e)")
            #expect(e.description.contains("--output") && e.description.contains(fragment), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aRegularFileIsReplacedAtomicallyAndASymlinkIsFollowed() throws {
        let real = dir + "/real.json"
        try "old".write(toFile: real, atomically: false, encoding: .utf8)
        symlink(real, dir + "/link.json")
        let out = try OutputFile.check(dir + "/link.json", what: "--output")
        #expect(out.kind == .file && out.path == real)
        try out.write("new")
        var st = stat()
        #expect(lstat(dir + "/link.json", &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
        #expect(try String(contentsOfFile: real, encoding: .utf8) == "new")
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["link.json", "real.json"])
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func devNullAndAFIFOAreWrittenInPlace() throws {
        let null = try OutputFile.check("/dev/null", what: "--output")
        #expect(null.kind == .inPlace)
        try null.write("discarded")
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        #expect(try OutputFile.check("/dev/stdout", what: "--output").kind == .descriptor(1))

        let fifo = dir + "/pipe"
        #expect(mkfifo(fifo, 0o644) == 0)
        let out = try OutputFile.check(fifo, what: "--output")
        #expect(out.kind == .inPlace)
        final class Box: @unchecked Sendable { var text = "" }
        let got = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            let fd = open(fifo, O_RDONLY)
            var buf = [UInt8](repeating: 0, count: 64)
            let n = read(fd, &buf, 64)
            got.text = String(decoding: buf[0..<max(0, n)], as: UTF8.self)
            close(fd)
            done.signal()
        }.start()
        try out.write("through the pipe")
        done.wait()
        #expect(got.text == "through the pipe")
        #expect(stat(fifo, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func whatNoOutputMayTouchIsRefusedUpFront() throws {
        refused(dir + "/missing/out.json", "does not exist")
        FileManager.default.createFile(atPath: dir + "/log.txt", contents: Data())
        refused(dir + "/log.txt/out.json", "is not a directory")
        let readOnly = open("/dev/null", O_RDONLY)
        refused("/dev/fd/\(readOnly)", "reading only")
        close(readOnly)
        refused(dir, "is a directory")
        refused("/proc/self/comm", "kernel filesystem")
        refused("//sys/kernel/new.json", "kernel filesystem")
        refused(dir + "/" + String(repeating: "x", count: 250), "too long")
        symlink("/proc/self/environ", dir + "/env")
        refused(dir + "/env", "kernel filesystem")
        symlink(dir + "/nowhere", dir + "/dangling")
        refused(dir + "/dangling", "dangling")
        if getuid() == 0 { // device nodes of our own making: /dev/mem's numbers and a loop device's
            #expect(mknod(dir + "/mem", S_IFCHR | 0o600, makedev(1, 1)) == 0)
            refused(dir + "/mem", "special file")
            #expect(mknod(dir + "/blk", S_IFBLK | 0o600, makedev(7, 200)) == 0)
            refused(dir + "/blk", "block device")
        }
        mkdir(dir + "/pool", 0o755)
        _ = FileManager.default.createFile(atPath: dir + "/pool/journal", contents: Data(PathSafety.poolJournalMagic))
        _ = FileManager.default.createFile(atPath: dir + "/pool/data", contents: Data())
        refused(dir + "/pool/data", "snapshot pool")
        refused(dir + "/pool/journal", "snapshot pool")
        refused(dir + "/pool/out.json", "snapshot pool")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/pool/journal")) == Data(PathSafety.poolJournalMagic))
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func writeNewNeverReplaces() throws {
        let path = dir + "/r.json"
        #expect(try AtomicFile.writeNew("first", to: path))
        #expect(try !AtomicFile.writeNew("second", to: path))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.json"])
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test func controlCharactersAreEscaped() {
        #expect(Text.escaped("a\u{1b}[31mb\u{0}") == "a\\u{1b}[31mb\\u{0}")
        #expect(Text.escaped("plain ü") == "plain ü")
    }
}

private func makedev(_ major: UInt32, _ minor: UInt32) -> dev_t {
    dev_t((UInt64(major & 0xfff) << 8) | UInt64(minor & 0xff) | (UInt64(minor & ~0xff) << 12) | (UInt64(major & ~0xfff) << 32))
}
