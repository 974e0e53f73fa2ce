/// What BlockLab knows of an I/O engine before running one (fio keeps the same facts as
/// flags beside each engine's ops table): its name, the fio names that run on it, how deep a
/// queue it keeps, and the options that are its own. The engine module drives each by name
/// (Engine/Engines.swift); adding an engine is an entry here and a driver there.
public struct EngineTraits: Sendable, Equatable {
    public let name: String
    /// fio engine names that run on this one.
    public let aliases: [String]
    /// The engine keeps at most this many I/Os in flight (a larger iodepth runs at this
    /// depth, with a note); nil: whatever iodepth asks, up to the kernel's limits.
    public let maxDepth: Int?
    /// Options only this engine reads.
    public let options: [String]
    /// What it is, for `--dry-run` and notes.
    public let summary: String
}

public enum EngineCatalog {
    public static let ioUring = EngineTraits(
        name: "io_uring", aliases: ["libaio"], maxDepth: nil, options: ["fixedbufs", "registerfiles", "sqthread_poll", "hipri"],
        summary: "io_uring (fixed buffers and a registered file where the kernel allows)")
    public static let psync = EngineTraits(
        name: "psync", aliases: ["sync", "pvsync"], maxDepth: 1, options: [],
        summary: "pread/pwrite, one I/O at a time (for machines where io_uring is blocked)")

    public static let all = [ioUring, psync]

    /// fio 3.33's engines that talk to a network, RDMA or remote storage service (engines/):
    /// they cannot mean anything for a local block-storage lab, and their error says so.
    static let fioNetworkEngines: Set<String> = [
        "net", "netsplice", "rdma", "librpma_apm_client", "librpma_apm_server", "librpma_gpspm_client",
        "librpma_gpspm_server", "http", "nbd", "libiscsi", "nfs", "rados", "rbd", "gfapi", "gfapi_async",
        "dfs", "libhdfs",
    ]

    /// The engine `name` (a fio engine name, any case) runs on, or nil.
    public static func find(_ name: String) -> EngineTraits? {
        let n = name.lowercased()
        return all.first { $0.name == n || $0.aliases.contains(n) }
    }

    /// Every name a job may give, for messages.
    public static var names: String {
        all.map { e in e.aliases.isEmpty ? e.name : "\(e.name) (also \(e.aliases.joined(separator: ", ")))" }.joined(separator: ", ")
    }
}
