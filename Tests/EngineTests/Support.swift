import BlockLabCore
import Foundation
import Glibc
import JobSpec
@testable import Engine

/// A fresh directory on a real filesystem for one test, removed afterwards.
final class Scratch {
    let path: String
    init() {
        var template = Array((FileManager.default.temporaryDirectory.path + "/blocklab-test.XXXXXX").utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { "\(path)/\(name)" }
}

func job(_ name: String, file: String, rw: RWMode, bs: UInt32, size: UInt64?, depth: Int = 4) -> JobSpec {
    var spec = JobSpec(name: name, origin: "test")
    spec.filename = file
    spec.rw = rw
    spec.blockSize = [.fixed(bs), .fixed(bs), .fixed(bs)]
    spec.size = size
    spec.iodepth = depth
    return spec
}

func quietOptions() -> RunOptions {
    var o = RunOptions()
    o.onNotice = { _ in }
    return o
}

/// Runs a shell command; returns its exit status and output.
@discardableResult
func shell(_ command: String) -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try? p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

let isRoot = getuid() == 0

/// A loop device over a fresh sparse file, detached at deinit.
final class LoopDevice {
    let device: String
    let backing: String
    init?(scratch: Scratch, size: UInt64) {
        backing = scratch.file("loop.img")
        guard shell("truncate -s \(size) \(backing)").0 == 0 else { return nil }
        let (rc, out) = shell("losetup --find --show \(backing)")
        guard rc == 0 else { return nil }
        device = out.trimmingWhitespace()
        settle()
    }

    /// Waits (up to 2 s) until an exclusive open succeeds, as a writing job's will need to:
    /// a device just attached, or just closed after writes, can be claimed for a moment by
    /// the kernel's own probe of it.
    func settle() {
        for _ in 0..<100 {
            let fd = open(device, O_RDONLY | O_EXCL | O_CLOEXEC)
            if fd >= 0 { close(fd); return }
            usleep(20_000)
        }
    }
    deinit { shell("losetup -d \(device)") }
}
