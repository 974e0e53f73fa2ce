import ArgumentParser
import BlockLabCore
import SnapStore

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Create a volume from a snapshot (constant time; loads lazily unless --fast-restore).")
    @Argument(help: "POOL/SNAPSHOT") var source: String
    @Option(help: "Name of the new volume.") var to: String
    @Flag(name: .customLong("fast-restore"), help: "Fully loaded from the start (EBS fast snapshot restore).") var fastRestore = false
    @Option(help: "Background initialization rate in MiB/s (AWS offers 100-300).") var rate: UInt64 = 200

    func run() throws {
        let (path, snap) = try PoolAddress.split(source, what: "restore")
        guard (100...300).contains(rate) else { throw BlockLabError.usage("--rate \(rate): AWS offers 100 to 300 MiB/s") }
        try Pool(path: path).restore(snapshot: snap, to: to, fastRestore: fastRestore, rateBytesPerSec: rate * Units.MiB)
        print("restored \(snap) to volume \(to)\(fastRestore ? " (fast restore: fully loaded)" : " (loading lazily at \(rate)MiB/s)")")
    }
}
