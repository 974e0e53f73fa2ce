import BlockLabCore
import Foundation
import Glibc

/// Runs a command to completion and returns its stdout and the CPU time the whole process
/// used (user + system, all threads, from wait4's rusage): the honest cost of a tool.
struct ProcessRun {
    var stdout: [UInt8]
    var status: Int32
    var cpuSeconds: Double
    /// The system (kernel) part of cpuSeconds.
    var sysSeconds: Double = 0
    var wallSeconds: Double
}

enum Subprocess {
    static func run(_ argv: [String]) throws -> ProcessRun {
        let outPath = NSTemporaryDirectory() + "blocklab-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        let start = Date()
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargs, environ)
        guard rc == 0 else { throw NSError(domain: "spawn \(argv[0])", code: Int(rc)) }
        var status: Int32 = 0
        var ru = rusage()
        _ = Syscall.retrying { wait4(pid, &status, 0, &ru) }
        let wall = Date().timeIntervalSince(start)
        let cpu = Double(ru.ru_utime.tv_sec) + Double(ru.ru_utime.tv_usec) / 1e6 + Double(ru.ru_stime.tv_sec) + Double(ru.ru_stime.tv_usec) / 1e6
        let out = (try? Data(contentsOf: URL(fileURLWithPath: outPath))).map { [UInt8]($0) } ?? []
        let sys = Double(ru.ru_stime.tv_sec) + Double(ru.ru_stime.tv_usec) / 1e6
        return ProcessRun(stdout: out, status: (status >> 8) & 0xff, cpuSeconds: cpu, sysSeconds: sys, wallSeconds: wall)
    }
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fmt(_ x: Double, _ places: Int = 2) -> String { String(format: "%.\(places)f", x) }
