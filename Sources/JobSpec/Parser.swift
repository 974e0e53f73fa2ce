import BlockLabCore

/// Reads fio job files and fio-style command lines (the same language) into `JobSpec`s.
public enum JobParser {
    /// Parses a job file. `environment` expands `${VAR}` (unset: empty string).
    public static func parseFile(at path: String, environment: [String: String]) throws -> [JobSpec] {
        throw BlockLabError.usage("\(path): job files are not implemented yet")
    }

    /// Parses job file text; `path` is used in messages and to resolve `include`.
    public static func parse(text: String, path: String, environment: [String: String]) throws -> [JobSpec] {
        throw BlockLabError.usage("\(path): job files are not implemented yet")
    }

    /// Parses fio-style arguments: `--name=a --rw=randread --bs=4k ...` (`--name` starts a
    /// job; options before the first `--name` are global). Non-option arguments are job files.
    public static func parse(arguments: [String], environment: [String: String]) throws -> [JobSpec] {
        throw BlockLabError.usage("command line jobs are not implemented yet")
    }
}
