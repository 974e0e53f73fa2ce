import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The malformed-input corpus runs the real `blocklab` binary as a subprocess, one case at
/// a time, each in a fresh temporary directory: a crash (a signal, exit 134/139) or a hang
/// is then a failed case rather than a dead test runner.

/// What the exit status must be.
enum Expect: Sendable, CustomStringConvertible {
    case code(Int32)
    case oneOf([Int32])

    func accepts(_ status: Int32) -> Bool {
        switch self {
        case .code(let c): return status == c
        case .oneOf(let cs): return cs.contains(status)
        }
    }

    var description: String {
        switch self {
        case .code(let c): return "exit \(c)"
        case .oneOf(let cs): return "exit " + cs.map(String.init).joined(separator: " or ")
        }
    }
}

/// Made in the case's directory before it runs (and before the "nothing written" snapshot).
enum Setup: Sendable {
    case file(String, String)
    case bytes(String, [UInt8])
    /// A sparse file of this many bytes (reads as zeros).
    case sparse(String, Int64)
    /// Cuts (or extends) an existing file to this size.
    case truncate(String, Int64)
    case dir(String)
    case symlink(String, to: String)
    case fifo(String)
    /// A blocklab command that must succeed.
    case blocklab([String])
    /// A pool `p` (64 KiB chunks) with an empty 1 MiB volume `a`, a volume `b` imported from
    /// `img.bin` (1 MiB of non-zero data) and a snapshot `s1` of `b`.
    case pool
}

/// Checks beyond exit status, stderr and "nothing written".
enum Check: Sendable {
    /// `blocklab pool check PATH` still says OK afterwards.
    case poolOK(String)
    /// stdout is one JSON document.
    case stdoutJSON
    /// Neither stdout nor stderr contains this text.
    case outputExcludes(String)
    /// A file outside the temporary directory (read only) has the same content afterwards.
    case contentUnchanged(String)
    /// Run in a private mount namespace with its own /dev (so a case that writes to
    /// /dev/null or /dev/stdout cannot damage the machine's); afterwards the private
    /// /dev/null must still be a character device and /dev/stdout still a symlink.
    case privateDev
}

struct CorpusCase: Sendable, CustomTestStringConvertible {
    var name: String
    var args: [String]
    var setup: [Setup] = []
    var expect: Expect = .code(2)
    /// Each entry must appear in stderr (case-insensitive). `a|b` accepts either; a leading
    /// `@` asks for a whole word (no letter, digit or '_' on either side).
    var stderr: [String] = []
    /// fnmatch patterns of relative paths that may appear or change; `dir/` stands for the
    /// directory and everything in it.
    var allowed: [String] = []
    var checks: [Check] = []
    /// `ulimit -n` for the run (through /bin/sh).
    var openFiles: Int? = nil
    /// `ulimit -v` in KiB, for inputs that could otherwise eat the machine's memory.
    var memoryKiB: Int? = nil
    var timeout: Double = 15
    /// Run with no environment but BLOCKLAB_CORPUS_SECRET (so what /proc/self/environ
    /// holds is known).
    var cleanEnvironment = false
    /// A report command (`pool check`): its findings go to stdout, so the fragments may be
    /// found in stdout or stderr.
    var reportsOnStdout = false

    var testDescription: String { name }
}

struct RunOutcome {
    var status: Int32
    var signaled: Bool
    var timedOut: Bool
    var stdout: String
    var stderr: String
    var devCheck: String?

    var statusText: String {
        if timedOut { return "timed out (killed)" }
        return signaled ? "signal \(status)" : "exit \(status)"
    }
}

enum Harness {
    static let secret = "corpus-secret-4f1d9a27"

    /// Tests/CorpusTests/Harness.swift -> the package root.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `blocklab` built by the same `swift build`/`swift test`: next to the test
    /// bundle, else .build/debug; BLOCKLAB_BIN overrides.
    static let binary: Result<String, CorpusError> = {
        var candidates: [String] = []
        if let e = ProcessInfo.processInfo.environment["BLOCKLAB_BIN"], !e.isEmpty { candidates.append(e) }
        for exe in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            var url = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<3 {
                candidates.append(url.appendingPathComponent("blocklab").path)
                url.deleteLastPathComponent()
            }
        }
        candidates.append(packageRoot + "/.build/debug/blocklab")
        for c in candidates {
            var st = stat()
            if stat(c, &st) == 0, st.st_mode & S_IFMT == S_IFREG, access(c, X_OK) == 0 { return .success(c) }
        }
        return .failure(CorpusError("the blocklab executable was not found (looked in: \(candidates.joined(separator: ", "))); "
            + "`swift build` (or `swift test`) must build the blocklab product before the corpus runs"))
    }()

    /// Runs blocklab with `args` in `cwd`; stdin is /dev/null, stdout and stderr go to files
    /// in `scratch` (outside `cwd`).
    static func run(_ args: [String], cwd: String, scratch: String, c: CorpusCase? = nil, timeout: Double = 15) throws -> RunOutcome {
        let bin = try binary.get()
        let process = Process()
        let privateDev = c?.checks.contains { if case .privateDev = $0 { return true } else { return false } } ?? false
        var limits = ""
        if let n = c?.openFiles { limits += "ulimit -n \(n) || exit 96; " }
        if let m = c?.memoryKiB { limits += "ulimit -v \(m) || exit 96; " }
        let devCheckPath = scratch + "/devcheck"
        unlink(devCheckPath)
        if privateDev {
            let script = limits + """
                mount -t tmpfs -o mode=755 corpusdev /dev || exit 97
                mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 && mknod -m 666 /dev/urandom c 1 9 \
                && mknod -m 666 /dev/random c 1 8 || exit 97
                ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin
                ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
                /usr/bin/timeout -s KILL \(max(1, Int(timeout) - 2)) "$0" "$@"; rc=$?
                { stat -c '%F' /dev/null; stat -c '%F' /dev/stdout; } > "$BLOCKLAB_CORPUS_DEVCHECK" 2>&1
                exit $rc
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["-m", "--propagation", "private", "/bin/sh", "-c", script, bin] + args
        } else if !limits.isEmpty {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", limits + "exec \"$0\" \"$@\"", bin] + args
        } else {
            process.executableURL = URL(fileURLWithPath: bin)
            process.arguments = args
        }
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var env = c?.cleanEnvironment == true ? [:] : ProcessInfo.processInfo.environment
        env["BLOCKLAB_SCRATCH"] = nil
        env["BLOCKLAB_CORPUS_UNSET"] = nil
        env["BLOCKLAB_CORPUS_SECRET"] = secret
        if privateDev { env["BLOCKLAB_CORPUS_DEVCHECK"] = devCheckPath }
        process.environment = env
        let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        guard let inH = FileHandle(forReadingAtPath: "/dev/null"),
              let outH = FileHandle(forWritingAtPath: outPath), let errH = FileHandle(forWritingAtPath: errPath) else {
            throw CorpusError("cannot open the harness's stdio files in \(scratch)")
        }
        defer { try? inH.close(); try? outH.close(); try? errH.close() }
        process.standardInput = inH
        process.standardOutput = outH
        process.standardError = errH
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        func text(_ p: String) -> String {
            let d = FileManager.default.contents(atPath: p) ?? Data()
            return String(decoding: d.prefix(1 << 20), as: UTF8.self)
        }
        return RunOutcome(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                          timedOut: timedOut, stdout: text(outPath), stderr: text(errPath),
                          devCheck: privateDev ? (access(devCheckPath, F_OK) == 0 ? text(devCheckPath) : "(no report)") : nil)
    }

    // MARK: - Temporary directories

    static func makeTempDir(_ tag: String) throws -> String {
        var template = Array((NSTemporaryDirectory() + "/blocklab-corpus-\(tag).XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw CorpusError("mkdtemp: \(String(cString: strerror(errno)))") }
        return String(cString: p)
    }

    /// Removes a tree without following symlinks.
    static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if st.st_mode & S_IFMT == S_IFDIR {
            for name in entries(path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    static func entries(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if n != "." && n != ".." { out.append(n) }
        }
        return out.sorted()
    }

    // MARK: - Nothing written

    /// Relative path -> type, size, inode and modification time (symlinks: their target),
    /// without following symlinks.
    static func snapshot(_ root: String) -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ dir: String, _ rel: String) {
            for name in entries(dir) {
                let path = dir + "/" + name, r = rel.isEmpty ? name : rel + "/" + name
                var st = stat()
                guard lstat(path, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    out[r] = "directory"
                    walk(path, r)
                case S_IFREG:
                    out[r] = "file size=\(st.st_size) inode=\(st.st_ino) mtime=\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
                case S_IFLNK:
                    var buf = [CChar](repeating: 0, count: 4097)
                    let n = readlink(path, &buf, 4096)
                    out[r] = "symlink -> " + (n >= 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?")
                        + " inode=\(st.st_ino)"
                case S_IFIFO: out[r] = "fifo inode=\(st.st_ino)"
                default: out[r] = "other mode=\(st.st_mode) inode=\(st.st_ino)"
                }
            }
        }
        walk(root, "")
        return out
    }

    static func isAllowed(_ path: String, _ patterns: [String]) -> Bool {
        for p in patterns {
            if p.hasSuffix("/") {
                let d = String(p.dropLast())
                if path == d || fnmatch(p + "*", path, 0) == 0 { return true }
            } else if fnmatch(p, path, 0) == 0 {
                return true
            }
        }
        return false
    }

    /// What changed between two snapshots and is not allowed.
    static func unexpectedChanges(_ before: [String: String], _ after: [String: String], allowed: [String]) -> [String] {
        var out: [String] = []
        for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] && !isAllowed(key, allowed) {
            switch (before[key], after[key]) {
            case (nil, let a?): out.append("created \(key) (\(a))")
            case (_?, nil): out.append("removed \(key)")
            case (let b?, let a?): out.append("changed \(key): \(b) -> \(a)")
            default: break
            }
        }
        return out
    }

    // MARK: - Messages

    static func matches(_ stderr: String, _ fragment: String) -> Bool {
        let hay = stderr.lowercased()
        for alt in fragment.split(separator: "|", omittingEmptySubsequences: false).map({ $0.lowercased() }) {
            if alt.hasPrefix("@") {
                let word = String(alt.dropFirst())
                var search = hay[...]
                while let r = search.range(of: word) {
                    let before = r.lowerBound == hay.startIndex ? nil : hay[hay.index(before: r.lowerBound)]
                    let after = r.upperBound == hay.endIndex ? nil : hay[r.upperBound]
                    func isWord(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
                    if !isWord(before) && !isWord(after) { return true }
                    search = hay[r.upperBound...]
                }
            } else if hay.contains(alt) {
                return true
            }
        }
        return false
    }

    /// A one-line, escaped head of some output for reports.
    static func head(_ text: String, lines: Int = 3) -> String {
        let kept = text.split(separator: "\n", omittingEmptySubsequences: true).prefix(lines).joined(separator: " ⏎ ")
        let escaped = kept.unicodeScalars.map { s -> String in
            s.value < 0x20 || s.value == 0x7f ? String(format: "\\x%02x", s.value) : String(s)
        }.joined()
        return escaped.count > 400 ? String(escaped.prefix(400)) + "…" : (escaped.isEmpty ? "(empty)" : escaped)
    }

    // MARK: - Setup

    static let imageBytes: [UInt8] = {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<(1 << 20)).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x) | 1
        }
    }()

    static func prepare(_ steps: [Setup], in dir: String, scratch: String) throws {
        for step in steps {
            switch step {
            case .file(let rel, let text):
                try write(Array(text.utf8), to: dir + "/" + rel)
            case .bytes(let rel, let bytes):
                try write(bytes, to: dir + "/" + rel)
            case .sparse(let rel, let size):
                try write([], to: dir + "/" + rel)
                guard truncate(dir + "/" + rel, off_t(size)) == 0 else { throw CorpusError("truncate \(rel): \(String(cString: strerror(errno)))") }
            case .truncate(let rel, let size):
                guard truncate(dir + "/" + rel, off_t(size)) == 0 else { throw CorpusError("truncate \(rel): \(String(cString: strerror(errno)))") }
            case .dir(let rel):
                guard mkdir(dir + "/" + rel, 0o755) == 0 else { throw CorpusError("mkdir \(rel): \(String(cString: strerror(errno)))") }
            case .symlink(let rel, let target):
                guard symlink(target, dir + "/" + rel) == 0 else { throw CorpusError("symlink \(rel): \(String(cString: strerror(errno)))") }
            case .fifo(let rel):
                guard mkfifo(dir + "/" + rel, 0o644) == 0 else { throw CorpusError("mkfifo \(rel): \(String(cString: strerror(errno)))") }
            case .blocklab(let args):
                let r = try run(args, cwd: dir, scratch: scratch)
                guard !r.signaled, !r.timedOut, r.status == 0 else {
                    throw CorpusError("setup `blocklab \(args.joined(separator: " "))` failed: \(r.statusText): \(head(r.stderr))")
                }
            case .pool:
                try write(imageBytes, to: dir + "/img.bin")
                try prepare([
                    .blocklab(["pool", "create", "p", "--chunk-size", "64k"]),
                    .blocklab(["volume", "create", "p/a", "--size", "1m"]),
                    .blocklab(["volume", "import", "img.bin", "p/b"]),
                    .blocklab(["snapshot", "create", "p/b", "--name", "s1"]),
                ], in: dir, scratch: scratch)
            }
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CorpusError("cannot create \(path)")
        }
    }

    static func fileType(_ path: String) -> String {
        var st = stat()
        guard lstat(path, &st) == 0 else { return "missing" }
        switch st.st_mode & S_IFMT {
        case S_IFCHR: return "character device \(major(UInt64(st.st_rdev))):\(minor(UInt64(st.st_rdev)))"
        case S_IFLNK: return "symlink"
        case S_IFREG: return "regular file"
        default: return "mode \(st.st_mode)"
        }
    }

    static func major(_ dev: UInt64) -> UInt64 { ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff) }
    static func minor(_ dev: UInt64) -> UInt64 { (dev & 0xff) | ((dev >> 12) & ~0xff) }

    /// The machine's /dev/null must stay a character device: if a case broke it, put it back
    /// at once (so nothing else on the machine writes into a regular file) and say so.
    static func guardDevNull() -> String? {
        let t = fileType("/dev/null")
        guard t != "character device 1:3" else { return nil }
        unlink("/dev/null")
        _ = mknod("/dev/null", S_IFCHR | 0o666, dev_t((1 << 8) | 3))
        chmod("/dev/null", 0o666)
        return "the machine's /dev/null was a \(t) after the case (restored)"
    }
}

struct CorpusError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
