import ArgumentParser
import BlockLabCore

/// `blocklab`: the top-level command. Each subcommand lives in its own file and is thin
/// glue over the library modules.
public struct BlockLabCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "blocklab",
        abstract: "Block-storage performance lab: fio-compatible workloads on io_uring, EBS volume emulation, snapshots.",
        subcommands: [
            RunCommand.self,
            SimulateCommand.self,
            RecommendCommand.self,
            PoolCommand.self,
            VolumeCommand.self,
            SnapshotCommand.self,
            RestoreCommand.self,
            LabCommand.self,
            CompareCommand.self,
            ReportCommand.self,
        ]
    )

    public init() {}

    /// Runs the command line, mapping BlockLab's errors to their exit codes (bad input: 2,
    /// argument-parser usage errors included, which would otherwise exit 64).
    public static func main(arguments: [String]? = nil) {
        let args = joinNegativeValues(arguments ?? Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(args)
            try command.run()
        } catch let error as BlockLabError {
            // A job file's problems come one per line: each line escaped, the line breaks kept.
            printError("blocklab: " + error.description.split(separator: "\n", omittingEmptySubsequences: false)
                .map { Text.escaped(String($0)) }.joined(separator: "\n"))
            Foundation.exit(error.exitCode)
        } catch let error as SystemError {
            printError("blocklab: \(Text.escaped(error.description))")
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == 64 { // EX_USAGE: a flag the parser rejected is bad input like any other
                printError(fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false).map { Text.escaped(String($0)) }.joined(separator: "\n"))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    /// `--size -1` as `--size=-1`: no BlockLab flag is a dash followed by a digit, so such a
    /// token is a (negative) value, which then gets its own message ("must not be negative")
    /// instead of the parser's "missing value".
    static func joinNegativeValues(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a.hasPrefix("--"), !a.contains("="), a.count > 2, i + 1 < args.count, isNegativeNumber(args[i + 1]) {
                out.append(a + "=" + args[i + 1])
                i += 2
            } else {
                out.append(a)
                i += 1
            }
        }
        return out
    }

    static func isNegativeNumber(_ s: String) -> Bool {
        guard s.hasPrefix("-"), let c = s.dropFirst().first else { return false }
        return c.isNumber || c == "."
    }
}

/// Errors and warnings go to stderr only, so JSON on stdout stays one valid document.
public func printError(_ message: String) {
    var line = message
    if !line.hasSuffix("\n") { line += "\n" }
    FileHandle.standardError.write(line.data(using: .utf8)!)
}

import Foundation
