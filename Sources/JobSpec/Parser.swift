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
        let items = try reader.readFile(at: path)
        return try finish(items: items, reader: reader, path: path)
    }

    /// Builds the jobs and throws every problem found (reading and building) at once.
    static func finish(items: [JobFileItem], reader: JobFileReader, path: String) throws -> [JobSpec] {
        var diagnostics = reader.diagnostics
        let jobs = JobBuilder.build(items: items, base: [], diagnostics: &diagnostics)
        if jobs.isEmpty && diagnostics.isEmpty { diagnostics.add("\(path): no jobs defined (only [global] sections)") }
        try diagnostics.throwIfAny()
        return jobs
    }

    /// Parses job file text; `path` is used in messages and to resolve `include`.
    public static func parse(text: String, path: String, environment: [String: String]) throws -> [JobSpec] {
        try escapingMessages { try parseUnescaped(text: text, path: path, environment: environment) }
    }

    static func parseUnescaped(text: String, path: String, environment: [String: String]) throws -> [JobSpec] {
        var reader = JobFileReader(environment: environment, firstScope: 1)
        let items = try reader.read(text: text, path: path)
        return try finish(items: items, reader: reader, path: path)
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
            // One problem per line (Diagnostics joins them): each escaped and cut on its own.
            let lines = m.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                var text = Text.escaped(String(line))
                if text.count > 1000 { text = String(text.prefix(1000)) + "... (cut)" }
                return text
            }
            throw BlockLabError.usage(lines.joined(separator: "\n"))
        }
    }

    static func parseUnescaped(arguments: [String], environment: [String: String], sizeRequired: Bool) throws -> [JobSpec] {
        var globals: [RawOption] = []
        var jobs: [(name: String, options: [RawOption])] = []
        var files: [String] = []
        var scope = 0
        var diagnostics = Diagnostics()
        for arg in arguments {
            guard arg.hasPrefix("--") else {
                guard !arg.hasPrefix("-") || arg == "-" else {
                    diagnostics.add("command line: unexpected argument '\(arg)' (options are written --option=value)")
                    continue
                }
                files.append(arg)
                continue
            }
            let (key, value) = JobFileReader.splitOption(String(arg.dropFirst(2)))
            guard !key.isEmpty else {
                diagnostics.add("command line: missing option name in '\(arg)'")
                continue
            }
            if let message = FioProgramOptions.message(for: key, value: value) {
                diagnostics.add("command line: --\(key): \(message)")
                continue
            }
            let opt = RawOption(key: key, value: value, origin: "command line", fromCommandLine: true, scope: scope)
            if key == "name" {
                guard let name = try? Value.required(opt) else {
                    diagnostics.record { _ = try Value.required(opt) }
                    continue
                }
                scope += 1
                jobs.append((name, [RawOption(key: key, value: name, origin: "command line", fromCommandLine: true, scope: scope)]))
            } else if jobs.isEmpty {
                globals.append(opt)
            } else {
                jobs[jobs.count - 1].options.append(opt)
            }
        }
        if jobs.isEmpty && files.isEmpty && diagnostics.isEmpty {
            throw BlockLabError.usage(globals.isEmpty
                ? "command line: no job given (give --name=NAME and its options, or a job file)"
                : "command line: no job defined: fio requires --name=NAME before a job's options (options before the first --name are global)")
        }
        JobBuilder.checkGlobals(globals, diagnostics: &diagnostics)
        var result: [JobSpec] = []
        for job in jobs {
            if let spec = JobBuilder.job(name: job.name, origin: "command line", globals: globals, own: job.options,
                                         sizeRequired: sizeRequired, diagnostics: &diagnostics) {
                result.append(spec)
            }
        }
        var reader = JobFileReader(environment: environment, firstScope: scope + 1)
        for file in files {
            // A file that cannot be read is one problem; the other files are still checked.
            var items: [JobFileItem] = []
            diagnostics.record { items = try reader.readFile(at: file) }
            for m in reader.diagnostics.messages { diagnostics.add(m) }
            reader.diagnostics = Diagnostics()
            let before = diagnostics.messages.count
            let fileJobs = JobBuilder.build(items: items, base: globals, sizeRequired: sizeRequired, diagnostics: &diagnostics)
            if fileJobs.isEmpty && diagnostics.messages.count == before {
                diagnostics.add("\(file): no jobs defined (only [global] sections)")
            }
            result += fileJobs
        }
        try diagnostics.throwIfAny()
        return result
    }
}

/// Turns the flat list of sections and options into jobs: `[global]` sections accumulate and
/// apply to the jobs after them; each job starts from the globals in force.
enum JobBuilder {
    /// The jobs built without problems; every problem (of any job or [global]) lands in
    /// `diagnostics`.
    static func build(items: [JobFileItem], base: [RawOption], sizeRequired: Bool = true,
                      diagnostics: inout Diagnostics) -> [JobSpec] {
        var globals = base
        var inGlobal = false
        var current: (name: String, origin: String, globals: [RawOption], own: [RawOption])?
        var jobs: [JobSpec] = []
        func finish() {
            if let c = current, let spec = job(name: c.name, origin: c.origin, globals: c.globals, own: c.own,
                                                sizeRequired: sizeRequired, diagnostics: &diagnostics) {
                jobs.append(spec)
            }
            if inGlobal { checkGlobals(globals, diagnostics: &diagnostics) }
            current = nil
            inGlobal = false
        }
        for item in items {
            switch item {
            case .section(let name, let origin):
                finish()
                if name.lowercased() == "global" { inGlobal = true } else { current = (name, origin, globals, []) }
            case .brokenSection:
                finish()
            case .option(let opt):
                if inGlobal { globals.append(opt) } else if current != nil { current!.own.append(opt) } else {
                    // Under a malformed header: belongs to no job, but its own problems still count.
                    var scratch = JobSpec(name: "scratch")
                    var state = ApplyState()
                    diagnostics.record { try Options.apply(opt, to: &scratch, state: &state) }
                }
            }
        }
        finish()
        return jobs
    }

    /// Applies the global options on their own so their errors surface (with their line) even
    /// when no job follows.
    static func checkGlobals(_ globals: [RawOption], diagnostics: inout Diagnostics) {
        var scratch = JobSpec(name: "global")
        var state = ApplyState()
        for opt in globals { diagnostics.record { try Options.apply(opt, to: &scratch, state: &state) } }
    }

    /// The job, or nil when any of its options (or the whole) has a problem (recorded).
    static func job(name: String, origin: String, globals: [RawOption], own: [RawOption], sizeRequired: Bool = true,
                    diagnostics: inout Diagnostics) -> JobSpec? {
        var spec = JobSpec(name: name, origin: origin)
        var state = ApplyState()
        var failed = false
        func apply(_ opt: RawOption) {
            do { try Options.apply(opt, to: &spec, state: &state) } catch BlockLabError.usage(let m) {
                diagnostics.add(m)
                failed = true
            } catch { diagnostics.add("\(opt.label): \(error)"); failed = true }
        }
        for opt in globals { apply(opt) }
        spec.name = name // the section's name beats a name= in [global]
        for opt in own { apply(opt) }
        spec.globalOptions = merged(globals)
        spec.options = merged(globals + own)
        if let file = spec.fileSize {
            // fio's size is the I/O over all of a job's files; filesize is each file's.
            if spec.ioSize == nil, let total = spec.size, total != file { spec.ioSize = total }
            (spec.size, spec.sizePercent) = (file, nil)
        }
        // Whole-job checks only when every option was understood (else they would
        // repeat or follow from the problems already listed).
        guard !failed else { return nil }
        var ok = true
        diagnostics.record {
            do { try validate(spec, sizeRequired: sizeRequired) } catch { ok = false; throw error }
        }
        return ok ? spec : nil
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
        if s.size == nil && s.filename == nil && sizeRequired && !s.fillDevice {
            if s.sizePercent != nil {
                throw BlockLabError.usage("\(place): option size: a percentage size needs filename= of an existing file or device (it is a share of that)")
            }
            throw BlockLabError.usage("\(place): option size: you need to specify size= (or filename= of an existing file or device to use all of it)")
        }
        for (d, dir) in ["read", "write"].enumerated() {
            // As fio ("minimum rate exceeds rate"): a floor above the cap can never be met.
            if let lo = s.rateMin[d], let hi = s.rate[d], lo > hi {
                throw BlockLabError.usage("\(place): option rate_min: the \(dir) minimum (\(lo) B/s) exceeds rate (\(hi) B/s)")
            }
            if let lo = s.rateIOPSMin[d], let hi = s.rateIOPS[d], lo > hi {
                throw BlockLabError.usage("\(place): option rate_iops_min: the \(dir) minimum (\(lo)) exceeds rate_iops (\(hi))")
            }
        }
        if s.rw.trims {
            // Trims are paced by nothing but the queue: a cap or floor would be silently
            // off for them (fio's third rate value); writes of trimwrite keep theirs.
            let trimOnly = !s.rw.writes
            if trimOnly && (s.rate.contains { $0 != nil } || s.rateIOPS.contains { $0 != nil }
                            || s.rateMin.contains { $0 != nil } || s.rateIOPSMin.contains { $0 != nil }) {
                throw BlockLabError.usage("\(place): option rw: rate limits on trims (rw=\(s.rw.rawValue)) are not supported")
            }
            if let key = s.trimRateOption {
                throw BlockLabError.usage("\(place): option \(key): a trim rate (its third value) is not supported: trims are not paced")
            }
            if trimOnly && (s.verify != nil || s.verifyPattern != nil) {
                throw BlockLabError.usage("\(place): option verify: rw=\(s.rw.rawValue) writes no data to verify")
            }
        }
        if s.fillDevice && !s.rw.writes {
            throw BlockLabError.usage("\(place): option fill_device: needs a job that writes (rw=\(s.rw.rawValue) does not)")
        }
        if s.strideZones != nil && s.rw.isRandom {
            throw BlockLabError.usage("\(place): option zonemode: strided zones with random I/O (rw=\(s.rw.rawValue)) are not supported; use a sequential mode")
        }
        if s.zoneMode == .strided && s.zoneSize == nil {
            throw BlockLabError.usage("\(place): option zonemode: strided zones need zonesize=")
        }
        if let w = s.waitFor, w == s.name {
            throw BlockLabError.usage("\(place): option wait_for: a job cannot wait for itself")
        }
        if let lo = s.iodepthBatchCompleteMin, let hi = s.iodepthBatchCompleteMax, hi > 0, lo > hi {
            throw BlockLabError.usage("\(place): option iodepth_batch_complete_min (\(lo)) is larger than iodepth_batch_complete_max (\(hi))")
        }
        if let a = s.blockAlign, a == 0 { throw BlockLabError.usage("\(place): option blockalign must be greater than 0") }
        try validatePriorities(s, place: place)
    }
}
