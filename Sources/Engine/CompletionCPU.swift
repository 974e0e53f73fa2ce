import BlockLabCore
import Foundation
import Glibc

/// Where a target's completions arrive: the CPU that takes most of its device's completion
/// interrupts, read from sysfs (target -> disk -> its device, e.g. vda -> virtio1) and
/// /proc/interrupts (that device's queues, e.g. `virtio1-req.0`, `nvme0q1`). A job thread
/// waiting for each completion (depth 1) is woken there at every I/O; run elsewhere, every
/// wake-up crosses CPUs.
enum CompletionCPU {
    struct Choice: Equatable {
        var cpu: Int
        var why: String
    }

    /// The busiest completion CPU among `allowed` for the storage holding `path`, or nil
    /// when it cannot be told (no device behind it, as for tmpfs or a loop device without
    /// interrupts, or nothing counted yet).
    static func choose(path: String, isBlockDevice: Bool, allowed: [Int],
                       interrupts: String? = try? String(contentsOfFile: "/proc/interrupts", encoding: .utf8)) -> Choice? {
        var st = stat()
        guard stat(path, &st) == 0, let interrupts else { return nil }
        let (major, minor) = deviceMajorMinor(isBlockDevice ? st.st_rdev : st.st_dev)
        guard let disk = diskName(major: major, minor: minor),
              let device = PathSafety.realPath("/sys/block/\(disk)/device").map({ AtomicFile.basename(of: $0) }) else { return nil }
        let counts = perCPU(interrupts: interrupts, device: device)
        guard let best = allowed.filter({ $0 < counts.count }).max(by: { counts[$0] < counts[$1] }), counts[best] > 0 else { return nil }
        let total = counts.reduce(0, +)
        return Choice(cpu: best, why: "completion interrupts of \(disk) (\(device)) land on CPU \(best) (\(counts[best]) of \(total))")
    }

    /// The whole disk a block device number belongs to (a partition's parent).
    static func diskName(major: UInt32, minor: UInt32) -> String? {
        guard let real = PathSafety.realPath("/sys/dev/block/\(major):\(minor)") else { return nil }
        let isPartition = access(real + "/partition", F_OK) == 0
        return AtomicFile.basename(of: isPartition ? AtomicFile.directory(of: real) : real)
    }

    /// Interrupt counts per CPU summed over the device's queues. /proc/interrupts: a header
    /// of CPU columns, then `IRQ: count... controller ... name`.
    static func perCPU(interrupts: String, device: String) -> [UInt64] {
        let lines = interrupts.split(separator: "\n")
        guard let header = lines.first else { return [] }
        let cpus = header.split(separator: " ").filter { $0.hasPrefix("CPU") }.count
        var sums = [UInt64](repeating: 0, count: cpus)
        for line in lines.dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > cpus + 1, let name = fields.last,
                  name.hasPrefix(device + "-") || name.hasPrefix(device + "q") || name == device[...] else { continue }
            for c in 0..<cpus { sums[c] &+= UInt64(fields[1 + c]) ?? 0 }
        }
        return sums
    }
}
