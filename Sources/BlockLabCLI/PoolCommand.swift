import ArgumentParser
import BlockLabCore
import SnapStore
import SnapStoreHarness
import Foundation

struct PoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Copy-on-write snapshot pools: create and check.",
        subcommands: [PoolCreate.self, PoolCheck.self, PoolCrashTest.self, PoolCrashChild.self, PoolBench.self]
    )
}

struct PoolCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a pool (a directory holding data and metadata).")
    @Argument(help: "Pool directory (created; must be empty if it exists).") var path: String
    @Option(name: .customLong("chunk-size"), help: "Allocation and copy-on-write unit: a power of two from 4k to 1m.") var chunkSize = "64k"

    func run() throws {
        let cs = try Units.parseSize(chunkSize, what: "--chunk-size")
        guard cs <= UInt64(Int32.max) else { throw BlockLabError.usage("--chunk-size \(chunkSize): too large") }
        // Never on a kernel filesystem (mkdir in cgroup or configfs creates kernel objects)
        // nor inside another pool.
        _ = try PathSafety.check(path, what: "pool create")
        try Pool.create(path: path, chunkSize: Int(cs))
        print("created pool \(path) (chunk size \(Units.formatBytes(cs)))")
    }
}

struct PoolCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Verify every checksum, mapping and reference count; --repair reclaims leaks.")
    @Argument(help: "Pool directory.") var path: String
    @Flag(help: "Drop a torn, never-acknowledged last commit and reclaim leaked chunks, reporting what was done.") var repair = false
    @Flag(help: "Print the report as JSON.") var json = false
    @Flag(help: "If another process holds the pool, wait for it to finish instead of failing (exit 2).") var wait = false

    func run() throws {
        let r = try Pool.check(path: path, repair: repair, wait: wait)
        if json {
            print(r.json.serialized())
        } else {
            print("pool \(path): \(r.ok ? "OK" : "CORRUPT") (\(r.volumes) volume(s), \(r.snapshots) snapshot(s), \(r.mappedChunks) mapped chunk(s), \(r.journalFrames) journal frame(s), \(r.checksumsVerified) chunk checksum(s) verified)")
            for e in r.errors { print("error: \(e)") }
            for w in r.warnings { print("warning: \(w)") }
            for x in r.repairs { print("repaired: \(x)") }
        }
        if !r.ok { throw ExitCode(1) }
    }
}

/// `make crash-test`: SIGKILL a child writer at random moments and verify every snapshot.
struct PoolCrashTest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crash-test", abstract: "Kill a snapshotting writer repeatedly and verify the pool after each crash.")
    @Argument(help: "A directory to create the test pool in (must not exist or be empty).") var path: String
    @Option(help: "Number of kills (at least 1).") var kills = 200
    @Option(help: "Seed for the writer's data and the kill times.") var seed: UInt64 = 1
    @Option(name: .customLong("max-delay-ms"), help: "Longest time a child runs before it is killed.") var maxDelayMs: UInt32 = 250

    func run() throws {
        guard kills > 0 else { throw BlockLabError.usage("--kills \(kills): must be a positive number of kills") }
        guard maxDelayMs <= 3_600_000 else { throw BlockLabError.usage("--max-delay-ms \(maxDelayMs): at most 3600000 (an hour)") }
        _ = try PathSafety.check(path, what: "pool crash-test")
        let exe = "/proc/self/exe"
        let spawn = CrashTest.execSpawner(executable: exe, arguments: ["pool", "crash-child"])
        let r = try CrashTest.run(path: path, kills: kills, seed: seed, maxDelayMs: maxDelayMs, spawn: spawn) { print($0) }
        print("crash test passed: \(r.kills) kills, \(r.snapshotsReported) snapshots reported complete, \(r.snapshotsVerified) snapshot reads verified, \(r.restoredVerified) restored volumes verified, \(r.importsVerified) imported volumes verified, \(r.importsInterrupted) imports interrupted (no volume left), \(r.importRetriesCompleted) retried imports completed, \(r.volumeDeletesReported) volume deletes")
    }
}

struct PoolCrashChild: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crash-child", abstract: "Crash-test writer (internal).", shouldDisplay: false)
    @Argument var path: String
    @Option(name: .customLong("run")) var runNumber: Int
    @Option var seed: UInt64

    func run() throws {
        do {
            try CrashTest.child(path: path, run: runNumber, seed: seed, outFD: 1)
        } catch {
            print("error \(error)")
            throw ExitCode(3)
        }
    }
}

/// The snapshot-store benchmarks (SnapStoreBench) from the command line.
struct PoolBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Snapshot-store benchmarks (internal).", shouldDisplay: false)
    @Option(help: "Directory for temporary pools.") var dir = "/tmp"

    func run() throws {
        for line in SnapStoreBench.all(in: dir) { print(line) }
    }
}
