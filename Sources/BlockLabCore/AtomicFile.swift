#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see either the old file or the whole new one, never a
/// half-written result: write to a temporary file in the same directory, fsync it, rename
/// it over the destination, then fsync the directory so the rename itself is durable.
public enum AtomicFile {
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        _ = try write(bytes, to: path, replace: true)
    }

    /// Like `write`, but never replaces an existing file: returns false, writing nothing,
    /// when `path` already exists (link(2) is the no-replace rename), so two runs at once
    /// never write the same result path.
    public static func writeNew(_ text: String, to path: String) throws -> Bool {
        try write(Array(text.utf8), to: path, replace: false)
    }

    public static func writeNew(_ bytes: [UInt8], to path: String) throws -> Bool {
        try write(bytes, to: path, replace: false)
    }

    static func write(_ bytes: [UInt8], to path: String, replace: Bool) throws -> Bool {
        let dir = directory(of: path)
        let tmp = "\(dir)/.\(basename(of: path)).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("open", errno: errno, path: tmp) }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        let e = bytes.withUnsafeBytes { $0.isEmpty ? 0 : Syscall.writeAll(fd, $0.baseAddress!, count: $0.count) }
        if e != 0 { close(fd); throw SystemError("write", errno: e, path: tmp) }
        if fsync(fd) != 0 { let e = errno; close(fd); throw SystemError("fsync", errno: e, path: tmp) }
        close(fd)
        if replace {
            guard rename(tmp, path) == 0 else { throw SystemError("rename", errno: errno, path: path) }
            ok = true
        } else {
            guard link(tmp, path) == 0 else {
                if errno == EEXIST { return false }
                throw SystemError("link", errno: errno, path: path)
            }
            // ok stays false: the deferred unlink removes the temporary name.
        }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
        return true
    }

    /// A file written in pieces and published later (several files published together): the
    /// bytes go to a temporary file next to `path`; `publish` syncs it and renames it over
    /// `path`, `discard` removes it.
    public final class Staged {
        public let path: String
        public let temporary: String
        private var fd: Int32

        public init(for path: String) throws {
            self.path = path
            temporary = "\(AtomicFile.directory(of: path))/.\(AtomicFile.basename(of: path)).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SystemError("open", errno: errno, path: temporary) }
        }

        deinit { discard() }

        public func append(_ bytes: [UInt8]) throws {
            let e = bytes.withUnsafeBytes { $0.isEmpty ? 0 : Syscall.writeAll(fd, $0.baseAddress!, count: $0.count) }
            if e != 0 { throw SystemError("write", errno: e, path: temporary) }
        }

        /// Syncs and closes the temporary file (call for every file before publishing any).
        public func seal() throws {
            guard fd >= 0 else { return }
            if fsync(fd) != 0 { throw SystemError("fsync", errno: errno, path: temporary) }
            close(fd)
            fd = -1
        }

        public func publish() throws {
            try seal()
            guard rename(temporary, path) == 0 else { throw SystemError("rename", errno: errno, path: path) }
            published = true
            let dfd = open(AtomicFile.directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dfd >= 0 { _ = fsync(dfd); close(dfd) }
        }

        private var published = false

        /// Removes the temporary file unless it was published.
        public func discard() {
            if fd >= 0 { close(fd); fd = -1 }
            if !published { unlink(temporary); published = true }
        }
    }

    /// The directory part of a path ("." for a bare name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    public static func basename(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
