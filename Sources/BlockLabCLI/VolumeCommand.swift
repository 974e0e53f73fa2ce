import ArgumentParser
import BlockLabCore
import Glibc
import SnapStore

struct VolumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume",
        abstract: "Thin volumes in a snapshot pool.",
        subcommands: [VolumeCreate.self, VolumeList.self, VolumeRemove.self, VolumeInitialize.self, VolumeExport.self, VolumeImport.self]
    )
}

struct VolumeCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a thin volume (reads as zeros; takes no space until written).")
    @Argument(help: "POOL/NAME") var target: String
    @Option(help: "Volume size, e.g. 1g.") var size: String

    func run() throws {
        let (path, name) = try PoolAddress.split(target, what: "volume")
        let bytes = try Units.parseSize(size, what: "--size")
        let pool = try Pool(path: path)
        try pool.createVolume(name: name, size: bytes)
        print("created volume \(name) (\(Units.formatBytes(bytes)))")
    }
}

struct VolumeList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes.")
    @Argument(help: "Pool directory.") var path: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let pool = try Pool(path: path, readOnly: true)
        let vols = pool.volumes()
        if json {
            print(JSONValue.array(vols.map { v in
                .object([
                    ("name", .string(v.name)), ("size_bytes", .uint(v.sizeBytes)), ("mapped_bytes", .uint(v.mappedBytes)),
                    ("snapshots", .int(Int64(v.snapshotCount))), ("restored_from", v.restoredFrom.map { .string($0) } ?? .null),
                    ("fully_loaded", .bool(v.fullyLoaded)),
                ])
            }).serialized())
            return
        }
        print("NAME\tSIZE\tMAPPED\tSNAPSHOTS\tRESTORED_FROM\tLOADED")
        for v in vols {
            print("\(v.name)\t\(Units.formatBytes(v.sizeBytes))\t\(Units.formatBytes(v.mappedBytes))\t\(v.snapshotCount)\t\(v.restoredFrom ?? "-")\t\(v.fullyLoaded ? "yes" : "no")")
        }
    }
}

struct VolumeRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a volume (its snapshots stay).")
    @Argument(help: "POOL/NAME") var target: String

    func run() throws {
        let (path, name) = try PoolAddress.split(target, what: "volume")
        try Pool(path: path).deleteVolume(name: name)
        print("deleted volume \(name)")
    }
}

struct VolumeInitialize: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "initialize", abstract: "Read every block of a restored volume once so it is fully loaded.")
    @Argument(help: "POOL/NAME") var target: String

    func run() throws {
        let (path, name) = try PoolAddress.split(target, what: "volume")
        let pool = try Pool(path: path)
        let (chunks, ns) = try pool.initializeVolume(name)
        print("initialized \(name): \(chunks) chunk(s) fetched from the snapshot store (simulated fetch time \(Units.formatDuration(ns)))")
    }
}

struct VolumeExport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a volume or snapshot as a raw image (zeros where nothing was written).")
    @Argument(help: "POOL/VOLUME or POOL/SNAPSHOT") var source: String
    @Argument(help: "Image file to write (replaced atomically).") var file: String

    func run() throws {
        let (path, name) = try PoolAddress.split(source, what: "volume export")
        // Checked before the pool is opened: never onto the pool's own files, a kernel
        // filesystem or a device; a pipe or /dev/null is written in place.
        let out = try OutputFile.check(file, what: "volume export")
        let pool = try Pool(path: path)
        if out.kind == .file {
            let n = try pool.exportImage(name, to: out.path)
            print("exported \(name) to \(file) (\(Units.formatBytes(n)) of data)")
        } else {
            let stream = try out.openStream()
            defer { if stream.close { close(stream.fd) } }
            let n = try pool.exportImage(name, toStream: stream.fd, label: file)
            // The image itself may be on stdout: the note goes to stderr.
            printError("exported \(name) to \(file) (\(Units.formatBytes(n)))")
        }
    }
}

struct VolumeImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Create a volume from a raw image file (zero chunks stay unallocated; atomic: the volume appears only once complete).")
    @Argument(help: "Image file.") var file: String
    @Argument(help: "POOL/NAME of the new volume.") var target: String

    func run() throws {
        let (path, name) = try PoolAddress.split(target, what: "volume import")
        // A pool's own files are never an image: reading its data file into itself would
        // grow it while it is read.
        if let real = PathSafety.realPath(file) { try PathSafety.refusePoolFiles(real, given: file, what: "volume import") }
        let pool = try Pool(path: path)
        let n = try pool.importImage(from: file, to: name)
        print("imported \(file) as \(name) (\(Units.formatBytes(n)) of data)")
    }
}
