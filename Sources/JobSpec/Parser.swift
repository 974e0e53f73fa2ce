import BlockLabCore

/// Reads fio job files and fio-style command lines (the same language) into `JobSpec`s.
///
/// Errors are `BlockLabError.usage` (exit code 2) naming the place: `jobs/a.fio:12: option bs:
/// ...` for files, `command line: option --bs: ...` for arguments.
public enum JobParser {
    /// Parses a job file. `environment` expands `${VAR}` (unset: an error naming it) and
    /// `${VAR:-default}`.
    public static func parseFile(at path: String, environment: [String: String]) throws -> [JobSpec] {
        try escapingMessages { try parseFileUnescaped(at: path, environment: environment) }
    }

    static func parseFileUnescaped(at path: String, environment: [String: String]) throws -> [JobSpec] {
        var reader = JobFileReader(environment: environment, firstScope: 1)
        let jobs = try JobBuilder.build(items: try reader.readFile(at: path), base: [])
        guard !jobs.isEmpty else { throw BlockLabError.usage("\(path): no jobs defined (only [global] sections)") }
        return jobs
    }

    /// Parses job file text; `path` is used in messages and to resolve `include`.
    public static func parse(text: String, path: String, environment: [String: String]) throws -> [JobSpec] {
        try escapingMessages { try parseUnescaped(text: text, path: path, environment: environment) }
    }

    static func parseUnescaped(text: String, path: String, environment: [String: String]) throws -> [JobSpec] {
        var reader = JobFileReader(environment: environment, firstScope: 1)
        let jobs = try JobBuilder.build(items: try reader.read(text: text, path: path), base: [])
        guard !jobs.isEmpty else { throw BlockLabError.usage("\(path): no jobs defined (only [global] sections)") }
        return jobs
    }

    /// Parses fio-style arguments: `--name=a --rw=randread --bs=4k ...` (`--name` starts a
    /// job; options before the first `--name` are global). Non-option arguments are job files.
    ///
    /// As in fio, the command line's global options are also the starting defaults of the jobs
    /// in the job files; command-line jobs come first, then each file's jobs in the order given.
    ///
    /// `sizeRequired: false` lets a job have neither size= nor filename= (its size stays nil),
    /// for callers that supply the region themselves (simulate: the emulated volume).
    public static func parse(arguments: [String], environment: [String: String], sizeRequired: Bool = true) throws -> [JobSpec] {
        try escapingMessages { try parseUnescaped(arguments: arguments, environment: environment, sizeRequired: sizeRequired) }
    }

    /// Every message carries input-derived text (lines, values, file names): control
    /// characters in it are escaped here, at the one place all of them pass, so an ESC or NUL
    /// from a job file never reaches a terminal raw. Overlong messages are cut.
    static func escapingMessages<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch BlockLabError.usage(let m) {
            var text = Text.escaped(m)
            if text.count > 1000 { text = String(text.prefix(1000)) + "... (cut)" }
            throw BlockLabError.usage(text)
        }
    }

    static func parseUnescaped(arguments: [String], environment: [String: String], sizeRequired: Bool) throws -> [JobSpec] {
        var globals: [RawOption] = []
        var jobs: [(name: String, options: [RawOption])] = []
        var files: [String] = []
        var scope = 0
        for arg in arguments {
            guard arg.hasPrefix("--") else {
                guard !arg.hasPrefix("-") || arg == "-" else {
                    throw BlockLabError.usage("command line: unexpected argument '\(arg)' (options are written --option=value)")
                }
                files.append(arg)
                continue
            }
            let (key, value) = JobFileReader.splitOption(String(arg.dropFirst(2)))
            guard !key.isEmpty else { throw BlockLabError.usage("command line: missing option name in '\(arg)'") }
            let opt = RawOption(key: key, value: value, origin: "command line", fromCommandLine: true, scope: scope)
            if key == "name" {
                let name = try Value.required(opt)
                scope += 1
                jobs.append((name, [RawOption(key: key, value: name, origin: "command line", fromCommandLine: true, scope: scope)]))
            } else if jobs.isEmpty {
                globals.append(opt)
            } else {
                jobs[jobs.count - 1].options.append(opt)
            }
        }
        if jobs.isEmpty && files.isEmpty {
            throw BlockLabError.usage(globals.isEmpty
                ? "command line: no job given (give --name=NAME and its options, or a job file)"
                : "command line: no job defined: fio requires --name=NAME before a job's options (options before the first --name are global)")
        }
        try JobBuilder.checkGlobals(globals)
        var result: [JobSpec] = []
        for job in jobs {
            result.append(try JobBuilder.job(name: job.name, origin: "command line", globals: globals, own: job.options,
                                             sizeRequired: sizeRequired))
        }
        var reader = JobFileReader(environment: environment, firstScope: scope + 1)
        for file in files {
            let fileJobs = try JobBuilder.build(items: try reader.readFile(at: file), base: globals, sizeRequired: sizeRequired)
            guard !fileJobs.isEmpty else { throw BlockLabError.usage("\(file): no jobs defined (only [global] sections)") }
            result += fileJobs
        }
        return result
    }
}

/// Turns the flat list of sections and options into jobs: `[global]` sections accumulate and
/// apply to the jobs after them; each job starts from the globals in force.
enum JobBuilder {
    static func build(items: [JobFileItem], base: [RawOption], sizeRequired: Bool = true) throws -> [JobSpec] {
        var globals = base
        var inGlobal = false
        var current: (name: String, origin: String, globals: [RawOption], own: [RawOption])?
        var jobs: [JobSpec] = []
        func finish() throws {
            if let c = current { jobs.append(try job(name: c.name, origin: c.origin, globals: c.globals, own: c.own, sizeRequired: sizeRequired)) }
            if inGlobal { try checkGlobals(globals) }
            current = nil
            inGlobal = false
        }
        for item in items {
            switch item {
            case .section(let name, let origin):
                try finish()
                if name.lowercased() == "global" { inGlobal = true } else { current = (name, origin, globals, []) }
            case .option(let opt):
                if inGlobal { globals.append(opt) } else { current?.own.append(opt) }
            }
        }
        try finish()
        return jobs
    }

    /// Applies the global options on their own so their errors surface (with their line) even
    /// when no job follows.
    static func checkGlobals(_ globals: [RawOption]) throws {
        var scratch = JobSpec(name: "global")
        var state = ApplyState()
        for opt in globals { try Options.apply(opt, to: &scratch, state: &state) }
    }

    static func job(name: String, origin: String, globals: [RawOption], own: [RawOption], sizeRequired: Bool = true) throws -> JobSpec {
        var spec = JobSpec(name: name, origin: origin)
        var state = ApplyState()
        for opt in globals { try Options.apply(opt, to: &spec, state: &state) }
        spec.name = name // the section's name beats a name= in [global]
        for opt in own { try Options.apply(opt, to: &spec, state: &state) }
        spec.globalOptions = merged(globals)
        spec.options = merged(globals + own)
        try validate(spec, sizeRequired: sizeRequired)
        return spec
    }

    /// As written, in order; a repeated option (under any alias) keeps its first position and
    /// takes its last value.
    static func merged(_ opts: [RawOption]) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        var index: [String: Int] = [:]
        for o in opts {
            let c = Options.canonical(o.key)
            if let i = index[c] { out[i] = (o.key, o.value ?? "") } else {
                index[c] = out.count
                out.append((o.key, o.value ?? ""))
            }
        }
        return out
    }

    /// Checks that need the whole job (options may come in any order).
    static func validate(_ s: JobSpec, sizeRequired: Bool = true) throws {
        let place = "\(s.origin): job '\(s.name)'"
        guard !s.name.isEmpty else { throw BlockLabError.usage("\(s.origin): a job needs a non-empty name") }
        if s.size == nil && s.filename == nil && sizeRequired {
            throw BlockLabError.usage("\(place): option size: you need to specify size= (or filename= of an existing file or device to use all of it)")
        }
        if let lo = s.iodepthBatchCompleteMin, let hi = s.iodepthBatchCompleteMax, hi > 0, lo > hi {
            throw BlockLabError.usage("\(place): option iodepth_batch_complete_min (\(lo)) is larger than iodepth_batch_complete_max (\(hi))")
        }
        if let a = s.blockAlign, a == 0 { throw BlockLabError.usage("\(place): option blockalign must be greater than 0") }
    }
}
