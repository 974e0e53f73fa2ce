import BlockLabCore
import Foundation
import Glibc

/// Refuses to write to a block device that is in use or holds data: mounted (directly or
/// through a partition), used as swap, held by device-mapper/md, or carrying a filesystem,
/// partition-table or volume-manager signature. `--allow-destructive` overrides. It fails
/// closed: when it cannot read what it needs to tell (mount table, sysfs, the device's
/// first bytes), it refuses.
public enum DeviceGuard {
    /// Throws a usage error explaining why `path` is unsafe to write; nil when it is safe.
    public static func checkWritable(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw refusal(path, "BlockLab cannot stat it (\(String(cString: strerror(errno))))") }
        guard (st.st_mode & S_IFMT) == S_IFBLK else { return }
        let (major, minor) = majorMinor(st.st_rdev)
        let devs = Set([("\(major):\(minor)")] + (try partitions(major: major, minor: minor, path: path)))
        if let mount = try mountPoint(of: devs, path: path) {
            throw refusal(path, "it is mounted (at \(mount))")
        }
        // The disk's holders and its partitions' (LVM or md on sda1 holds sda1, not sda).
        for dev in devs.sorted() {
            if let holder = try holders(dev: dev, path: path) { throw refusal(path, "it is in use by \(holder)") }
        }
        if let sig = try signature(path) {
            throw refusal(path, "it holds \(sig)")
        }
    }

    static func majorMinor(_ rdev: dev_t) -> (UInt32, UInt32) { deviceMajorMinor(rdev) }

    static func refusal(_ path: String, _ why: String) -> BlockLabError {
        .usage("refusing to write to \(path): \(why). Pass --allow-destructive to overwrite it anyway (its data will be destroyed)")
    }

    /// "MAJ:MIN" of each partition of the device, from sysfs.
    static func partitions(major: UInt32, minor: UInt32, path: String) throws -> [String] {
        let dir = "/sys/dev/block/\(major):\(minor)"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw refusal(path, "BlockLab cannot read \(dir) to find its partitions")
        }
        return entries.compactMap { name in
            guard FileManager.default.fileExists(atPath: "\(dir)/\(name)/partition"),
                  let dev = try? String(contentsOfFile: "\(dir)/\(name)/dev", encoding: .utf8) else { return nil }
            return dev.trimmingWhitespace()
        }
    }

    /// The first mount point whose source is one of `devs` (mountinfo field 3 is MAJ:MIN).
    static func mountPoint(of devs: Set<String>, path: String) throws -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else {
            throw refusal(path, "BlockLab cannot read /proc/self/mountinfo to tell whether it is mounted")
        }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count > 4, devs.contains(String(f[2])) { return String(f[4]) }
        }
        guard let swaps = try? String(contentsOfFile: "/proc/swaps", encoding: .utf8) else {
            throw refusal(path, "BlockLab cannot read /proc/swaps to tell whether it is swap")
        }
        for line in swaps.split(separator: "\n").dropFirst() {
            let name = String(line.split(separator: " ").first ?? "")
            var st = stat()
            if stat(name, &st) == 0 {
                let (major, minor) = majorMinor(st.st_rdev)
                if devs.contains("\(major):\(minor)") { return "swap" }
            }
        }
        return nil
    }

    static func holders(dev: String, path: String) throws -> String? {
        let dir = "/sys/dev/block/\(dev)/holders"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw refusal(path, "BlockLab cannot read \(dir) to tell whether it is in use")
        }
        return entries.first
    }

    /// Well-known on-disk signatures: (offset, magic bytes, what it is).
    static let signatures: [(Int, [UInt8], String)] = [
        (1080, [0x53, 0xEF], "an ext2/ext3/ext4 filesystem"),
        (0, Array("XFSB".utf8), "an XFS filesystem"),
        (65600, Array("_BHRfS_M".utf8), "a btrfs filesystem"),
        (4086, Array("SWAPSPACE2".utf8), "a swap area"),
        (0, [0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE], "a LUKS encrypted volume"),
        (536, Array("LVM2 001".utf8), "an LVM physical volume"),
        (512, Array("EFI PART".utf8), "a GPT partition table"),
        (1024, [0x10, 0x20, 0xF5, 0xF2], "an F2FS filesystem"),
        (3, Array("NTFS    ".utf8), "an NTFS filesystem"),
        (32769, Array("CD001".utf8), "an ISO 9660 filesystem"),
        (510, [0x55, 0xAA], "a partition table or boot sector"),
    ]

    /// The signature found on the device, if any.
    public static func signature(_ path: String) throws -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", errno: errno, path: path) }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 70 * 1024)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { throw refusal(path, "BlockLab cannot read its first bytes (\(String(cString: strerror(errno))))") }
        guard n > 0 else { return nil }
        for (off, magic, what) in signatures where off + magic.count <= n {
            if Array(head[off..<(off + magic.count)]) == magic { return what }
        }
        return nil
    }
}
