import BlockLabCore
import Foundation
import Testing
@testable import BlockLabCLI

/// `blocklab recommend` through the command line: bad input is exit 2 with a clear message,
/// before anything runs; `--validate` runs the workload on the emulated recommended volume.
@Suite struct RecommendCommandTests {
    func run(_ args: [String]) throws {
        var command = try BlockLabCommand.parseAsRoot(["recommend"] + args)
        try command.run()
    }

    func usage(_ args: [String]) -> String {
        do { try run(args) } catch let e as BlockLabError { return e.exitCode == 2 ? e.description : "exit \(e.exitCode): \(e)" } catch {
            return "other error: \(error)"
        }
        return ""
    }

    @Test func badInputIsExitTwoWithAClearMessage() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/rec-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "not a result\n".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        #expect(usage(["--from", dir + "/notes.txt", "--capacity", "100g"]).contains("notes.txt"))
        #expect(usage(["--from", dir + "/missing.json", "--capacity", "100g"]).contains("missing.json"))
        #expect(usage(["--iops", "1000", "--capacity", "100g", "--instance", "z9.mega"]).contains("unknown instance type 'z9.mega'"))
        #expect(usage(["--iops", "3000000", "--bs", "4k", "--capacity", "100g"]).contains("no candidate meets the needs"))
        #expect(usage(["--iops", "1000", "--capacity", "100g", "--format", "yaml"]).contains("--format"))
        #expect(usage(["--iops", "1000", "--capacity", "100g", "--emit", "cdk"]).contains("--emit"))
        #expect(usage(["--iops", "1000", "--capacity", "100g", "--current", "gp9:size=1g"]).contains("gp9"))
        #expect(usage(["--iops", "1000", "--capacity", "100g", "--region", "mars-1"]).contains("mars-1"))
        #expect(usage(["--iops", "1000", "--capacity", "100g", "--random", "--sequential"]).contains("--random and --sequential"))
    }

    @Test func validateRunsTheNeedsOnTheEmulatedVolume() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/rec-val-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 400 IOPS of 4 KiB on the recommended gp3 for 2 s: it must reach at least 95 % of them
        // (a failed verdict throws exit 1), and the scratch directory is removed.
        try run(["--iops", "400", "--bs", "4k", "--capacity", "10g", "--validate", "--validate-runtime", "2s", "--validate-dir", dir])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
