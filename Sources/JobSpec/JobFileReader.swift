import BlockLabCore
#if canImport(Glibc)
import Glibc
#endif

/// One `key[=value]` as written, with where it was written (for messages).
struct RawOption {
    var key: String
    /// nil for a bare `key` (a boolean standing alone).
    var value: String?
    /// `file:line`, or `command line`.
    var origin: String
    var fromCommandLine: Bool
    /// Which section (or command-line job) it was written in: a later scope overrides an earlier one.
    var scope: Int

    /// How messages name this option: `jobs/a.fio:3: option bs` or `command line: option --bs`.
    /// "file:line: option NAME" for messages; an overlong name is shortened so the
    /// message's point still shows.
    var label: String {
        let name = key.count > 80 ? String(key.prefix(40)) + "…(\(key.count) characters)" : key
        return fromCommandLine ? "command line: option --\(name)" : "\(origin): option \(name)"
    }
}

/// The lines of a job file, flattened over `include`s: section headers and options in order.
enum JobFileItem {
    case section(name: String, origin: String)
    case option(RawOption)
    /// A malformed section header: the options after it belong to no job (they are still checked).
    case brokenSection
}

/// Reads INI job files: sections, comments, `include`, `${VAR}` expansion. It knows nothing of
/// what options mean; `JobBuilder` does that.
struct JobFileReader {
    let environment: [String: String]
    private var includeStack: [String] = []
    private var nextScope: Int
    /// The section lines belong to; kept across `include` since inclusion is textual (an
    /// included file may add options to the including file's section, and vice versa).
    private var scope: Int?
    /// Problems found so far; reading goes on past a bad line (it is skipped).
    var diagnostics = Diagnostics()

    init(environment: [String: String], firstScope: Int) {
        self.environment = environment
        self.nextScope = firstScope
    }

    /// The scope number the next section will get (so callers can continue numbering).
    var scopeCounter: Int { nextScope }

    mutating func readFile(at path: String) throws -> [JobFileItem] {
        let text = try Self.load(path)
        return try read(text: text, path: path)
    }

    mutating func read(text: String, path: String) throws -> [JobFileItem] {
        let key = Self.canonicalPath(path)
        if includeStack.contains(key) {
            let chain = (includeStack + [key]).joined(separator: " -> ")
            throw BlockLabError.usage("\(path): include cycle: \(chain)")
        }
        includeStack.append(key)
        defer { includeStack.removeLast() }

        var items: [JobFileItem] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let origin = "\(Text.escaped(path)):\(lineNumber)"
            let stripped = Self.stripComment(String(rawLine)).trimmingWhitespace()
            if stripped.isEmpty { continue }
            // A bad line is recorded and skipped; the lines after it are still read.
            do {
                if let item = try readLine(stripped, origin: origin, path: path, into: &items) { items.append(item) }
            } catch BlockLabError.usage(let m) { diagnostics.add(m) }
        }
        return items
    }

    /// One non-empty, comment-free line: a section header, an include (its items appended to
    /// `items`) or an option.
    private mutating func readLine(_ text: String, origin: String, path: String, into items: inout [JobFileItem]) throws -> JobFileItem? {
        let line = try expandVariables(text, origin: origin)
        if line.hasPrefix("[") {
            guard line.hasSuffix("]") else {
                // Its options would land in the section before it: start a nameless one instead,
                // so they are checked but belong to no job.
                scope = nextScope
                nextScope += 1
                items.append(.brokenSection)
                throw BlockLabError.usage("\(origin): unterminated section header '\(line)'")
            }
            let name = String(line.dropFirst().dropLast()).trimmingWhitespace()
            guard !name.isEmpty else {
                scope = nextScope
                nextScope += 1
                items.append(.brokenSection)
                throw BlockLabError.usage("\(origin): empty section name '[]'")
            }
            scope = nextScope
            nextScope += 1
            return .section(name: name, origin: origin)
        }
        if line.hasPrefix("include ") || line.hasPrefix("include\t") {
            let target = String(line.dropFirst("include".count)).trimmingWhitespace()
            guard !target.isEmpty else { throw BlockLabError.usage("\(origin): include needs a file name") }
            let resolved = target.hasPrefix("/") ? target : Self.directory(of: path) + target
            let included: String
            do { included = try Self.load(resolved) } catch let e as BlockLabError {
                throw BlockLabError.usage("\(origin): include \(target): \(e.description)")
            }
            items += try read(text: included, path: resolved)
            return nil
        }
        guard let scope else {
            throw BlockLabError.usage("\(origin): option '\(line)' outside of a [section] (put it under [global] or a job)")
        }
        let (key, value) = Self.splitOption(line)
        guard !key.isEmpty else { throw BlockLabError.usage("\(origin): missing option name in '\(line)'") }
        return .option(RawOption(key: key, value: value, origin: origin, fromCommandLine: false, scope: scope))
    }

    /// `key = value` -> ("key", "value"); a bare `key` -> ("key", nil).
    static func splitOption(_ text: String) -> (String, String?) {
        guard let eq = text.firstIndex(of: "=") else { return (text.trimmingWhitespace().lowercased(), nil) }
        let key = String(text[..<eq]).trimmingWhitespace().lowercased()
        let value = String(text[text.index(after: eq)...]).trimmingWhitespace()
        return (key, value)
    }

    /// Drops `;`/`#` comments: a whole-line comment, or a trailing one preceded by a space or
    /// tab (so `verify_pattern="a#b"` and `filename=/x#1` survive), never inside double quotes.
    static func stripComment(_ line: String) -> String {
        let chars = Array(line)
        var inQuotes = false
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\"" { inQuotes.toggle() }
            if !inQuotes, c == ";" || c == "#" {
                let atLineStart = chars[..<i].allSatisfy { $0 == " " || $0 == "\t" }
                if atLineStart || chars[i - 1] == " " || chars[i - 1] == "\t" { return String(chars[..<i]) }
            }
            i += 1
        }
        return line
    }

    /// `${VAR}` -> its value from the environment; an unset variable is an error naming it
    /// (an empty value where a path was meant is a worse surprise). `${VAR:-default}` gives
    /// `default` when VAR is unset or empty, as in the shell.
    func expandVariables(_ line: String, origin: String) throws -> String {
        guard line.contains("${") else { return line }
        var out = ""
        var rest = Substring(line)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            let afterOpen = rest[start.upperBound...]
            guard let close = afterOpen.firstIndex(of: "}") else {
                throw BlockLabError.usage("\(origin): unterminated '${' in '\(line)'")
            }
            let body = String(afterOpen[..<close])
            var name = body
            var fallback: String?
            if let sep = Substring(body).range(of: ":-") {
                name = String(body[..<sep.lowerBound])
                fallback = String(body[sep.upperBound...])
            }
            guard !name.isEmpty else { throw BlockLabError.usage("\(origin): empty variable name '${\(body)}'") }
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !name.first!.isNumber else {
                throw BlockLabError.usage("\(origin): malformed variable name '${\(body)}' (letters, digits and _; ${NAME:-default} for a default)")
            }
            if let value = environment[name], !(fallback != nil && value.isEmpty) {
                out += value
            } else if let fallback {
                out += fallback
            } else {
                throw BlockLabError.usage("\(origin): environment variable \(name) is not set (used as ${\(name)}; write ${\(name):-DEFAULT} for a default)")
            }
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        return out + rest
    }

    /// A job file's text: a regular file (after symlinks) of at most 16 MiB.
    static func load(_ path: String) throws -> String {
        try InputFile.text(path, limit: InputLimits.maxJobFileBytes, what: "job file")
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    /// Resolves symlinks and `..` so the same file reached two ways is recognised as a cycle.
    static func canonicalPath(_ path: String) -> String {
        guard let p = realpath(path, nil) else { return path }
        defer { free(p) }
        return String(cString: p)
    }
}

extension Substring {
    fileprivate func range(of needle: String) -> Range<Substring.Index>? {
        let n = Array(needle)
        var i = startIndex
        while i < endIndex {
            var j = i
            var k = 0
            while k < n.count, j < endIndex, self[j] == n[k] { j = index(after: j); k += 1 }
            if k == n.count { return i..<j }
            i = index(after: i)
        }
        return nil
    }
}
