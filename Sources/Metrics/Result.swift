import BlockLabCore

/// One job's (or one reporting group's) result, in fio's terms.
public struct JobResult: Sendable {
    public var name: String
    public var groupID: Int = 0
    public var error: Int32 = 0
    public var options: [(key: String, value: String)] = []
    public var interrupted = false
    /// BlockLab's additions for this job (engine figures, volume model summary...), under
    /// the `blocklab` key of the job in JSON.
    public var extras: [(String, JSONValue)] = []

    public init(name: String) { self.name = name }

    /// Merges several jobs' results into one (group_reporting).
    public static func merge(_ results: [JobResult], name: String) -> JobResult {
        JobResult(name: name)
    }
}

/// A whole run: every job's result plus metadata.
public struct RunResult: Sendable {
    public var jobs: [JobResult]
    public var timestampMs: UInt64
    public var globalOptions: [(key: String, value: String)] = []
    /// Run-level additions under the top-level `blocklab` key.
    public var extras: [(String, JSONValue)] = []

    public init(jobs: [JobResult], timestampMs: UInt64) {
        self.jobs = jobs
        self.timestampMs = timestampMs
    }
}

/// fio-compatible JSON (`--output-format=json`): fio's field names and units.
public enum FioJSON {
    public static func document(_ run: RunResult) -> JSONValue { .object([]) }
}

/// The readable summary (`--output-format=normal`).
public enum NormalReport {
    public static func render(_ run: RunResult) -> String { "" }
}
