#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ranges every number from outside (job options, command-line flags, volume specs,
/// profiles, series files) is checked against before any arithmetic, chosen so the sums and
/// products done downstream cannot overflow: a size times a small count, an offset plus a
/// size, a duration in nanoseconds plus a clock reading all stay far below 2^64.
public enum InputLimits {
    /// The largest size or offset accepted: 2^60 bytes (1 EiB; 1,048,576 TiB).
    public static let maxBytes: UInt64 = 1 << 60
    /// The longest duration accepted: 100 years (3.2e18 ns, about a third of Int64.max), so
    /// a clock reading plus a ramp plus a runtime still fits in Int64 nanoseconds.
    public static let maxDurationNs: UInt64 = 100 * 365 * 86_400 * 1_000_000_000
    /// Job files, includes and profiles are read up to this many bytes.
    public static let maxJobFileBytes = 16 << 20
    /// Series files (`--write-series` output, one line per job and second) up to this many bytes.
    public static let maxSeriesFileBytes = 256 << 20
    /// Result files read by `compare` and `report` (fio's JSON, json+, BlockLab's) up to this many bytes.
    public static let maxResultFileBytes = 256 << 20
    /// `run --repeat N`: at most this many repetitions.
    public static let maxRepeat = 1000
    /// `compare` and `report` read at most this many result files (directories walked).
    public static let maxResultFiles = 10_000

    /// `bytes` within 0 ... maxBytes, or a usage error naming `what` and `text`.
    public static func checkBytes(_ bytes: UInt64, _ text: String, what: String) throws -> UInt64 {
        guard bytes <= maxBytes else {
            throw BlockLabError.usage("\(what): size '\(Text.escaped(text))' is too large (at most 1024p, 2^60 bytes)")
        }
        return bytes
    }

    /// `ns` within 0 ... maxDurationNs, or a usage error naming `what` and `text`.
    public static func checkDuration(_ ns: UInt64, _ text: String, what: String) throws -> UInt64 {
        guard ns <= maxDurationNs else {
            throw BlockLabError.usage("\(what): duration '\(Text.escaped(text))' is too long (at most 100 years)")
        }
        return ns
    }

    /// A finite, non-negative Double converted to UInt64 when it is at most `limit`; nil
    /// otherwise (NaN, infinities, negatives, too large): never traps.
    public static func uint64(_ d: Double, atMost limit: UInt64 = .max) -> UInt64? {
        guard d.isFinite, d >= 0, d < 18_446_744_073_709_551_616.0 else { return nil }
        let v = UInt64(d)
        return v <= limit ? v : nil
    }
}

/// Text from outside, made safe to put in a message printed on a terminal.
public enum Text {
    /// Control characters (C0, DEL, C1) and bidirectional overrides replaced by `\u{XX}`, so
    /// an ESC or NUL in a job file never reaches the terminal raw. Idempotent.
    public static func escaped(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if needsEscape(u) { out += "\\u{\(String(u.value, radix: 16))}" } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    static func needsEscape(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v < 0x20 || (0x7f...0x9f).contains(v) || (0x202a...0x202e).contains(v) || (0x2066...0x2069).contains(v)
    }
}

/// Reading a whole input file with limits: only regular files (symlinks resolved), at most
/// `limit` bytes, so `/dev/zero`, a FIFO or `/proc/self/environ` is refused, not read.
public enum InputFile {
    /// The file's bytes. `what` names the file's role for messages (`job file`, `profile`).
    /// Errors: `BlockLabError.usage` naming the path.
    public static func read(_ path: String, limit: Int, what: String) throws -> [UInt8] {
        let shown = Text.escaped(path)
        // Judged before it is opened: as root, opening a device node can have side effects
        // (a watchdog arms, a tape rewinds).
        var pre = stat()
        if stat(path, &pre) == 0, (pre.st_mode & S_IFMT) != S_IFREG {
            throw BlockLabError.usage("\(shown): \(what) is not a regular file (\(kind(pre.st_mode)))")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw BlockLabError.usage("\(shown): cannot read \(what): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw BlockLabError.usage("\(shown): cannot read \(what): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw BlockLabError.usage("\(shown): \(what) is not a regular file (\(kind(st.st_mode)))")
        }
        if let pseudo = pseudoFilesystem(path) {
            throw BlockLabError.usage("\(shown): \(what) is not a regular file (on \(pseudo))")
        }
        guard st.st_size <= limit else {
            throw BlockLabError.usage("\(shown): \(what) is too large (\(st.st_size) bytes; at most \(limit))")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(st.st_size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw BlockLabError.usage("\(shown): cannot read \(what): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
            // A file that grows while read is still held to the limit.
            guard bytes.count <= limit else {
                throw BlockLabError.usage("\(shown): \(what) is too large (more than \(limit) bytes)")
            }
        }
        return bytes
    }

    /// The file as UTF-8 text (invalid sequences replaced).
    public static func text(_ path: String, limit: Int, what: String) throws -> String {
        String(decoding: try read(path, limit: limit, what: what), as: UTF8.self)
    }

    /// The kernel's pseudo-filesystems report their files as regular (of size 0 or 4096):
    /// their contents are the machine's state, never a job file or a profile. Judged by
    /// filesystem type after resolving the path (see `PathSafety`).
    static func pseudoFilesystem(_ path: String) -> String? {
        guard let real = PathSafety.realPath(path) else { return nil }
        return PathSafety.pseudoFilesystem(of: real)
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }
}

private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
