import ArgumentParser

struct PoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pool", abstract: "(not implemented yet)")
    func run() throws {}
}
