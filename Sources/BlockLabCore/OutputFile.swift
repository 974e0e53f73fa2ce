#if canImport(Glibc)
import Glibc
#endif

/// Where a user-named output (`--output`, `--write-series`, an exported image) goes, decided
/// before any work so an hour-long run is never lost at the end, and written so that only a
/// regular file is ever replaced: a character device or FIFO (`/dev/null`, a terminal, a
/// pipe) is written in place, `/dev/stdout` and `/dev/fd/N` go to that descriptor, and a
/// symlink is followed, never replaced.
public struct OutputFile: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A regular file (existing or new): written to a temporary file and renamed over it.
        case file
        /// An existing character device or FIFO: opened and written in place.
        case inPlace
        /// An already open descriptor of this process (`/dev/stdout`, `/dev/fd/N`).
        case descriptor(Int32)
    }

    /// The path as the user gave it (for messages).
    public let given: String
    /// What it resolves to (symlinks followed); the path written.
    public let path: String
    public let kind: Kind

    /// Character devices that are sinks or terminals, the only ones an output may be written
    /// to: mem (major 1) minors null, zero, full; tty and console (majors 4, 5); pseudo
    /// terminals (136-143). Anything else (/dev/mem, /dev/kmsg, a disk's sg node) is refused.
    static func isHarmlessCharDevice(_ rdev: dev_t) -> Bool {
        let (major, minor) = deviceMajorMinor(rdev)
        switch major {
        case 1: return minor == 3 || minor == 5 || minor == 7
        case 4, 5, 136...143: return true
        default: return false
        }
    }

    /// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: the descriptor number.
    static func descriptorName(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout", "-": return 1
        case "/dev/stderr": return 2
        default: break
        }
        for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
            if let n = Int32(path.dropFirst(prefix.count)), n >= 0 { return n }
        }
        return nil
    }

    /// Resolves and checks an output path. Throws a usage error (exit 2) naming `what` when
    /// it cannot or must not be written: missing or unwritable directory, a name too long, a
    /// directory or block device, a kernel filesystem, a snapshot pool's files.
    public static func check(_ given: String, what: String) throws -> OutputFile {
        if let fd = descriptorName(given) {
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0 else {
                throw BlockLabError.usage("\(what) \(given): descriptor \(fd) is not open")
            }
            guard flags & O_ACCMODE != O_RDONLY else {
                throw BlockLabError.usage("\(what) \(given): descriptor \(fd) is open for reading only")
            }
            var st = stat()
            if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFBLK {
                throw BlockLabError.usage("\(what) \(given): descriptor \(fd) is a block device; outputs are files (refusing to overwrite a device)")
            }
            return OutputFile(given: given, path: given, kind: .descriptor(fd))
        }
        let resolved = try PathSafety.resolve(given, what: what)
        let name = AtomicFile.basename(of: resolved)
        if name.utf8.count > Int(NAME_MAX) - 32 { // room for the temporary name's suffix
            throw BlockLabError.usage("\(what) \(Text.escaped(given)): file name is too long (\(name.utf8.count) bytes)")
        }
        if resolved.utf8.count >= Int(PATH_MAX) - 32 {
            throw BlockLabError.usage("\(what) \(Text.escaped(given)): path is too long")
        }
        try PathSafety.refusePseudoFilesystem(resolved, given: given, what: what)
        try PathSafety.refusePoolFiles(resolved, given: given, what: what)
        var st = stat()
        if stat(resolved, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG:
                break
            case S_IFCHR where isHarmlessCharDevice(st.st_rdev), S_IFIFO:
                guard access(resolved, W_OK) == 0 else {
                    throw BlockLabError.usage("\(what) \(Text.escaped(given)): not writable (\(String(cString: strerror(errno))))")
                }
                return OutputFile(given: given, path: resolved, kind: .inPlace)
            case S_IFDIR:
                throw BlockLabError.usage("\(what) \(Text.escaped(given)) is a directory; give a file name")
            case S_IFBLK:
                throw BlockLabError.usage("\(what) \(Text.escaped(given)) is a block device; outputs are files (refusing to overwrite a device)")
            default:
                throw BlockLabError.usage("\(what) \(Text.escaped(given)) is a special file BlockLab does not write outputs to")
            }
        }
        let dir = AtomicFile.directory(of: resolved)
        guard access(dir, W_OK) == 0 else {
            throw BlockLabError.usage("\(what) \(Text.escaped(given)): directory \(Text.escaped(dir)) is not writable (\(String(cString: strerror(errno))))")
        }
        return OutputFile(given: given, path: resolved, kind: .file)
    }

    /// Writes the whole text: atomically for a regular file, in place otherwise.
    public func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    public func write(_ bytes: [UInt8]) throws {
        switch kind {
        case .file:
            try AtomicFile.write(bytes, to: path)
        case .descriptor(let fd):
            try Self.writeAll(fd: fd, bytes, path: given)
        case .inPlace:
            let fd = try openInPlace()
            defer { close(fd) }
            try Self.writeAll(fd: fd, bytes, path: path)
        }
    }

    /// Opens the destination for streaming (an image export to a pipe): the descriptor,
    /// and whether it should be closed afterwards. Only for `.inPlace` and `.descriptor`.
    public func openStream() throws -> (fd: Int32, close: Bool) {
        switch kind {
        case .descriptor(let fd): return (fd, false)
        case .inPlace:
            return (try openInPlace(), true)
        case .file:
            throw BlockLabError.runtime("internal: \(path) is a regular file, not a stream")
        }
    }

    /// Opens the checked device or FIFO again, refusing anything it has become since the
    /// check (a symlink planted in its place, a regular file).
    func openInPlace() throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw SystemError("open", errno: errno, path: path) }
        var st = stat()
        let kind = fstat(fd, &st) == 0 ? st.st_mode & S_IFMT : 0
        guard kind == S_IFCHR || kind == S_IFIFO else {
            close(fd)
            throw BlockLabError.runtime("\(given): changed since it was checked (no longer a device or FIFO); nothing written")
        }
        return fd
    }

    public static func writeAll(fd: Int32, _ bytes: [UInt8], path: String) throws {
        let e = bytes.withUnsafeBytes { $0.isEmpty ? 0 : Syscall.writeAll(fd, $0.baseAddress!, count: $0.count) }
        if e != 0 { throw SystemError("write", errno: e, path: path) }
    }
}
