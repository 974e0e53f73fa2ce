import ArgumentParser

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "(not implemented yet)")
    func run() throws {}
}
