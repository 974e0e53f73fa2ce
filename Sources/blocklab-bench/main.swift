// `make bench`: BlockLab vs fio side by side, plus microbenchmarks. Not a test: machines
// are noisy, so every figure is a ratio measured in the same run.
import Foundation
import SnapStore
import SnapStoreHarness

let args = CommandLine.arguments
let binDir = URL(fileURLWithPath: args[0]).deletingLastPathComponent().path
let blocklab = binDir + "/blocklab"
let only = args.dropFirst().first
let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 5
let seconds = Int(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 5
let dir = ProcessInfo.processInfo.environment["BENCH_DIR"] ?? FileManager.default.currentDirectoryPath + "/.bench-data"
try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

func section(_ name: String, _ body: () throws -> [String]) {
    guard only == nil || only == name else { return }
    do {
        for line in try body() { print(line) }
    } catch {
        print("  \(name): FAILED: \(error)")
    }
    print("")
}

section("fio") { try FioCompare(blocklab: blocklab, dir: dir, rounds: rounds, seconds: seconds).run() }
// The whole quick suite side by side (8 rounds of 3 s by default): part of `make bench`
// (BENCH_SUITE=0 leaves it out), or alone with `blocklab-bench suite`.
let env = ProcessInfo.processInfo.environment
if only == "suite" || (only == nil && env["BENCH_SUITE"] != "0") {
    section("suite") {
        try FioCompare(blocklab: blocklab, dir: dir, rounds: Int(env["BENCH_ROUNDS"] ?? "") ?? 8,
                       seconds: Int(env["BENCH_SECONDS"] ?? "") ?? 3).suite()
    }
}
// fio's latency split against BlockLab's alone (also the end of `suite`).
if only == "latency" {
    section("latency") {
        let c = FioCompare(blocklab: blocklab, dir: dir, rounds: Int(env["BENCH_ROUNDS"] ?? "") ?? 8,
                           seconds: Int(env["BENCH_SECONDS"] ?? "") ?? 3)
        return try c.latencySplit(direct: try c.files().direct)
    }
}
// What logging costs: `blocklab-bench logging`, or with BENCH_LOGGING=1 in `make bench`.
if only == "logging" || (only == nil && env["BENCH_LOGGING"] == "1") {
    section("logging") { try LogCost(blocklab: blocklab, dir: dir, rounds: rounds, seconds: seconds).run() }
}
section("volume") { try VolumeAccuracy(blocklab: blocklab, dir: dir, seconds: max(seconds, 10)).run() }
section("throttle") {
    // BENCH_THROTTLE_ROUNDS / _ITERATIONS shrink the run (e.g. to count instructions under valgrind).
    let env = ProcessInfo.processInfo.environment
    func positive(_ key: String) -> Int? { env[key].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
    let lines = throttleMicrobench(iterations: positive("BENCH_THROTTLE_ITERATIONS") ?? 300_000,
                                   rounds: positive("BENCH_THROTTLE_ROUNDS") ?? 25)
    return env["BENCH_THROTTLE_ONLY"] == nil ? lines + throttleContention() : lines
}
section("snapstore") { SnapStoreBench.all(in: dir) }
section("recommend") {
    // profiles/ next to the package (the binary lives in .build/<config>/).
    let profiles = URL(fileURLWithPath: binDir).deletingLastPathComponent().deletingLastPathComponent().path + "/profiles"
    return try recommendBench(profiles: profiles, rounds: rounds)
}
section("pool") { try PoolCompare(blocklab: blocklab, dir: dir, rounds: rounds, seconds: seconds).run() }
