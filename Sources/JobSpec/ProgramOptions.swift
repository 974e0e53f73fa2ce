/// fio's program options (init.c's `l_opts` in fio 3.33): they steer the fio process, not a
/// job, so on BlockLab's command line they are recognised as such and never read as job
/// options. Those `blocklab run` implements itself (--output, --output-format, ...) are taken
/// by its argument parser before the job arguments reach here.
enum FioProgramOptions {
    /// Every long option of fio 3.33's command line.
    static let names: Set<String> = [
        "output", "latency-log", "bandwidth-log", "minimal", "output-format", "append-terse", "version",
        "help", "cmdhelp", "enghelp", "showcmd", "readonly", "eta", "eta-interval", "eta-newline", "debug",
        "parse-only", "section", "inflate-log", "alloc-size", "profile", "warnings-fatal", "max-jobs",
        "terse-version", "server", "server-internal", "daemonize", "client", "remote-config", "cpuclock-test",
        "crctest", "memcpytest", "idle-prof", "status-interval", "trigger-file", "trigger-timeout", "trigger",
        "trigger-remote", "aux-path", "merge-blktrace-only",
    ]

    /// What BlockLab does instead, for those with an answer.
    static let hints: [String: String] = [
        "minimal": "fio's terse (semicolon-separated) output, which BlockLab does not write; use --output-format=json (fio's JSON) or normal",
        "append-terse": "fio's terse (semicolon-separated) output, which BlockLab does not write; use --output-format=json (fio's JSON) or normal",
        "terse-version": "fio's terse (semicolon-separated) output, which BlockLab does not write; use --output-format=json (fio's JSON) or normal",
        "eta": "fio's progress display; BlockLab shows its own status line on a terminal only, and --quiet turns it off",
        "eta-newline": "fio's progress display; BlockLab shows its own status line on a terminal only, and --quiet turns it off",
        "eta-interval": "fio's progress display; BlockLab shows its own status line on a terminal only, and --quiet turns it off",
        "parse-only": "use --dry-run (parses, checks the targets and prints the resolved jobs without any I/O)",
        "showcmd": "use --dry-run to see the resolved jobs",
        "cmdhelp": "see README.md's list of supported options (man fio explains each)",
        "enghelp": "BlockLab's engines are io_uring (libaio runs on it) and psync (sync, pvsync)",
        "server": "BlockLab has no client/server mode; run it on the machine under test",
        "client": "BlockLab has no client/server mode; run it on the machine under test",
        "daemonize": "BlockLab has no client/server mode; run it on the machine under test",
        "remote-config": "BlockLab has no client/server mode; run it on the machine under test",
        "output-format": "BlockLab writes normal, json or table",
    ]

    /// The message for a program option on the job command line, or nil for a job option.
    static func message(for key: String, value: String?) -> String? {
        guard names.contains(key) else { return nil }
        let what = "is one of fio's program options (not a job option)"
        guard let hint = hints[key] else { return "\(what), which BlockLab does not support" }
        return "\(what): \(hint)"
    }
}
