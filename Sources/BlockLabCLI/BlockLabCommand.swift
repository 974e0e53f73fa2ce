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
            PoolCommand.self,
            VolumeCommand.self,
            SnapshotCommand.self,
            RestoreCommand.self,
        ]
    )

    public init() {}

    /// Runs the command line, mapping BlockLab's errors to their exit codes (bad input: 2).
    public static func main(arguments: [String]? = nil) {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let error as BlockLabError {
            printError("blocklab: \(error.description)")
            Foundation.exit(error.exitCode)
        } catch let error as SystemError {
            printError("blocklab: \(error.description)")
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// Errors and warnings go to stderr only, so JSON on stdout stays one valid document.
public func printError(_ message: String) {
    var line = message
    if !line.hasSuffix("\n") { line += "\n" }
    FileHandle.standardError.write(line.data(using: .utf8)!)
}

import Foundation
