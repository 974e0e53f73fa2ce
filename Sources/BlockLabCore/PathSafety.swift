import CSupport
#if canImport(Glibc)
import Glibc
#endif

/// Judges a path by what it resolves to, never by its text: symlinks are followed
/// (`realpath`) and the filesystem is identified by its statfs magic, so neither
/// `//sys/...` nor a symlink to `/proc/self/comm` can walk around the guard. BlockLab runs
/// as root against raw devices; every target and output goes through here first.
public enum PathSafety {
    /// Kernel pseudo-filesystems (linux/magic.h): nothing there is storage, and writing
    /// there changes the running system.
    static let pseudoFilesystems: [Int64: String] = [
        0x9fa0: "proc", 0x6265_6572: "sysfs", 0x6462_6720: "debugfs", 0x7472_6163: "tracefs",
        0x7363_6673: "securityfs", 0x0027_e0eb: "cgroup", 0x6367_7270: "cgroup2", 0x6265_6570: "configfs",
        0x1cd1: "devpts", 0xcafe_4a11: "bpf", 0x6165_676c: "pstore", 0xde5e_81e4: "efivarfs",
        0xf97c_ff8c: "selinuxfs", 0x6573_5543: "fusectl", 0x4249_4e4d: "binfmt_misc", 0x1980_0202: "mqueue",
        0x6e66_7364: "nfsd", 0x6759_6969: "rpc_pipefs", 0x4341_5d53: "smackfs", 0x6c6f_6f70: "binderfs",
        0xabba_1974: "xenfs", 0x0a64_7361: "functionfs", 0xaee7_1ee7: "gadgetfs", 0x9fa1: "openpromfs",
    ]

    /// What a path resolves to: the canonical path of the object itself when it exists, else
    /// the canonical path of its directory plus the last component (a file to be created).
    /// Throws a usage error when neither the path nor its directory exists.
    public static func resolve(_ path: String, what: String) throws -> String {
        guard !path.isEmpty else { throw BlockLabError.usage("\(what): empty path") }
        if let real = realPath(path) { return real }
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
            throw BlockLabError.usage("\(what): \(Text.escaped(path)) is a symbolic link to nothing (dangling)")
        }
        let dir = AtomicFile.directory(of: path)
        guard let realDir = realPath(dir) else {
            throw BlockLabError.usage("\(what): directory \(Text.escaped(dir)) does not exist")
        }
        var dirStat = stat()
        guard stat(realDir, &dirStat) == 0, (dirStat.st_mode & S_IFMT) == S_IFDIR else {
            throw BlockLabError.usage("\(what): \(Text.escaped(dir)) is not a directory")
        }
        let name = AtomicFile.basename(of: path)
        if name == "." || name == ".." || name.isEmpty {
            throw BlockLabError.usage("\(what): \(Text.escaped(path)) names a directory, not a file")
        }
        return realDir == "/" ? "/" + name : realDir + "/" + name
    }

    public static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// The pseudo-filesystem holding `resolved` (or its directory when it does not exist
    /// yet), or nil for ordinary storage.
    public static func pseudoFilesystem(of resolved: String) -> String? {
        var magic = bl_path_fs_magic(resolved)
        if magic < 0 { magic = bl_path_fs_magic(AtomicFile.directory(of: resolved)) }
        return magic < 0 ? nil : pseudoFilesystems[magic]
    }

    /// Refuses a resolved path on a kernel pseudo-filesystem.
    public static func refusePseudoFilesystem(_ resolved: String, given: String, what: String) throws {
        if let fs = pseudoFilesystem(of: resolved) {
            let via = resolved == given ? "" : " (resolves to \(Text.escaped(resolved)))"
            throw BlockLabError.usage("\(what): refusing \(Text.escaped(given))\(via): it is on \(fs), a kernel filesystem, not storage")
        }
    }

    /// Pool directories hold `journal`, `data` and `lock` (SnapStore's README). The journal
    /// starts with a superblock slot (magic "BLSB") at offset 0 or 512, or, in the first
    /// format, with a frame (magic "1BLJ"). A damaged journal still marks a pool when `data`
    /// stands beside it (as SnapStore opens pools); an unrelated directory that merely has a
    /// file named `journal` does not.
    public static let poolJournalMagic: [UInt8] = [0x31, 0x42, 0x4C, 0x4A]
    public static let poolSuperblockMagic: [UInt8] = [0x42, 0x4C, 0x53, 0x42]

    public static func isPoolDirectory(_ dir: String) -> Bool {
        let fd = open(dir + "/journal", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        func head(at offset: Int) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 4)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 4, off_t(offset)) }
            return n == 4 ? bytes : []
        }
        let first = head(at: 0)
        if first == poolJournalMagic || first == poolSuperblockMagic || head(at: 512) == poolSuperblockMagic { return true }
        return access(dir + "/data", F_OK) == 0 // what SnapStore's Pool.isPool opens as a pool
    }

    /// The pool directory a resolved path lies in (the path itself or any directory above
    /// it), or nil.
    public static func enclosingPool(of resolved: String) -> String? {
        var dir = resolved
        while true {
            var st = stat()
            if stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, isPoolDirectory(dir) { return dir }
            if dir == "/" || dir.isEmpty { return nil }
            dir = AtomicFile.directory(of: dir)
        }
    }

    /// Refuses a resolved path inside a pool: the pool's files belong to its own commands.
    public static func refusePoolFiles(_ resolved: String, given: String, what: String) throws {
        if let pool = enclosingPool(of: resolved) {
            throw BlockLabError.usage("\(what): refusing \(Text.escaped(given)): it lies inside the snapshot pool \(Text.escaped(pool)), "
                + "whose files only the pool's own commands may touch (use --target pool:\(Text.escaped(pool))/VOLUME to run on a volume)")
        }
    }

    /// Everything a job target or output must pass: resolves the path, then refuses kernel
    /// filesystems and pool directories. Returns the resolved path.
    public static func check(_ path: String, what: String) throws -> String {
        let resolved = try resolve(path, what: what)
        try refusePseudoFilesystem(resolved, given: path, what: what)
        try refusePoolFiles(resolved, given: path, what: what)
        return resolved
    }
}
