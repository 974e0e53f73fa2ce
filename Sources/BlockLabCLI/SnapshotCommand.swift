import ArgumentParser
import BlockLabCore
import SnapStore

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Incremental, point-in-time snapshots of pool volumes.",
        subcommands: [SnapshotCreate.self, SnapshotList.self, SnapshotRemove.self, SnapshotDiff.self, SnapshotPrune.self]
    )
}

struct SnapshotCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Snapshot a volume (constant time).")
    @Argument(help: "POOL/VOLUME") var target: String
    @Option(help: "Snapshot name (default VOLUME@ID).") var name: String?

    func run() throws {
        let (path, volume) = try PoolAddress.split(target, what: "snapshot create")
        let snap = try Pool(path: path).createSnapshot(volume: volume, name: name)
        print("created snapshot \(snap)")
    }
}

struct SnapshotList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List snapshots with their incremental, unique and shared bytes.")
    @Argument(help: "Pool directory.") var path: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let pool = try Pool(path: path, readOnly: true)
        let snaps = pool.snapshots()
        if json {
            print(JSONValue.array(snaps.map { s in
                .object([
                    ("name", .string(s.name)), ("volume", s.volume.map { .string($0) } ?? .null), ("lineage", .uint(UInt64(s.lineage))),
                    ("created_ms", .uint(s.createdMs)), ("mapped_bytes", .uint(s.mappedBytes)),
                    ("incremental_bytes", .uint(s.incrementalBytes)), ("unique_bytes", .uint(s.uniqueBytes)),
                    ("shared_bytes", .uint(s.sharedBytes)),
                ])
            }).serialized())
            return
        }
        print("NAME\tVOLUME\tMAPPED\tINCREMENTAL\tUNIQUE\tSHARED")
        for s in snaps {
            print("\(s.name)\t\(s.volume ?? "(deleted)")\t\(Units.formatBytes(s.mappedBytes))\t\(Units.formatBytes(s.incrementalBytes))\t\(Units.formatBytes(s.uniqueBytes))\t\(Units.formatBytes(s.sharedBytes))")
        }
    }
}

struct SnapshotRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a snapshot; space only it held is freed.")
    @Argument(help: "POOL/SNAPSHOT") var target: String

    func run() throws {
        let (path, name) = try PoolAddress.split(target, what: "snapshot rm")
        try Pool(path: path).deleteSnapshot(name: name)
        print("deleted snapshot \(name)")
    }
}

struct SnapshotDiff: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "List the 512 KiB blocks that changed between two snapshots (or a snapshot and its volume).")
    @Argument(help: "POOL/SNAPSHOT_A") var a: String
    @Argument(help: "POOL/SNAPSHOT_B or POOL/VOLUME") var b: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let (pa, na) = try PoolAddress.split(a, what: "snapshot diff")
        let (pb, nb) = try PoolAddress.split(b, what: "snapshot diff")
        guard pa == pb else { throw BlockLabError.usage("snapshot diff: \(a) and \(b) are in different pools") }
        let pool = try Pool(path: pa, readOnly: true)
        let blocks = try pool.diff(na, nb)
        if json {
            print(JSONValue.object([
                ("from", .string(na)), ("to", .string(nb)), ("block_size", .int(524_288)),
                ("changed_blocks", .array(blocks.map { .uint($0) })),
            ]).serialized())
            return
        }
        print("\(blocks.count) changed 512KiB block(s) between \(na) and \(nb)")
        for b in blocks { print(b) }
    }
}

struct SnapshotPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Retention like Data Lifecycle Manager: keep the newest N and/or those younger than an age.")
    @Argument(help: "POOL/VOLUME") var target: String
    @Option(help: "Keep the newest N snapshots.") var keep: Int?
    @Option(name: .customLong("max-age"), help: "Delete snapshots older than this (e.g. 7d, 12h).") var maxAge: String?

    func run() throws {
        let (path, volume) = try PoolAddress.split(target, what: "snapshot prune")
        let ageMs = try maxAge.map { try Units.parseDuration($0, defaultUnitNs: 86_400 * NS.perSecond, what: "--max-age") / NS.perMillisecond }
        let deleted = try Pool(path: path).prune(volume: volume, keep: keep, maxAgeMs: ageMs)
        print(deleted.isEmpty ? "nothing to prune" : "deleted \(deleted.count) snapshot(s): \(deleted.joined(separator: ", "))")
    }
}
