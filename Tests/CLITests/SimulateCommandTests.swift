import BlockLabCore
import Testing
@testable import BlockLabCLI

/// `blocklab simulate` flags: bad values are usage errors (exit 2) before any simulation.
@Suite struct SimulateCommandTests {
    @Test(arguments: [
        (["--output-format=xml"], "--output-format"),
        (["--interval=5 parsecs"], "--interval"),
        (["--volume", "gp3:size=1g,iops=99999999"], "iops"),
        (["--volume", "nope:size=1g"], "nope"),
    ])
    func badFlagsAreUsageErrors(extra: [String], fragment: String) throws {
        var command = try BlockLabCommand.parseAsRoot(["simulate", "--name=s", "--rw=randread", "--runtime=1m"]
            + (extra.contains("--volume") ? [] : ["--volume", "gp3:size=100g"]) + extra)
        do {
            try command.run()
            Issue.record("expected \(extra) to fail")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
            #expect(e.description.contains(fragment), "\(e)")
        }
    }
}
