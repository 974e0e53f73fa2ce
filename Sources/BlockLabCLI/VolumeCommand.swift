import ArgumentParser

struct VolumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "volume", abstract: "(not implemented yet)")
    func run() throws {}
}
