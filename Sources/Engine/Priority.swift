import BlockLabCore
import CSupport
import Foundation
import JobSpec

/// Picks each I/O's priority as fio's cmdprio.c does: a uniform draw 0-99 per I/O (from the
/// job's seed); below the direction's percentage (or, for cmdprio_bssplit, the I/O size's
/// total) the I/O takes the entry's value, otherwise the job's own (index 0).
struct PriorityChooser {
    /// Per direction (read, write, trim): the values an I/O can carry (index 0: the job's own).
    let values: [[UInt16]]
    let rules: [PriorityPlan.Rule]
    private var random: SplitMix64

    init(plan: PriorityPlan, seed: UInt64) {
        // A trim carries the job's own priority (index 0), as in fio.
        values = plan.values + [[plan.base]]
        rules = plan.rules
        random = SplitMix64(seed: seed | 1)
    }

    /// The value index for an I/O of `direction` and `length` bytes.
    mutating func pick(_ direction: IODirection, length: UInt32) -> UInt8 {
        let d = direction.rawValue
        guard d < 2 else { return 0 }
        switch rules[d] {
        case .none:
            return 0
        case .percentage(let percent, let index):
            return draw() < percent ? index : 0
        case .split(let groups):
            // fio matches the I/O's exact size; a size without entries keeps the job's own.
            guard let g = groups.first(where: { $0.size == UInt64(length) }) else { return 0 }
            let r = draw()
            for e in g.entries where r < e.upTo { return e.index }
            return 0
        }
    }

    /// 0...99, as fio's rand_between(0, 99).
    private mutating func draw() -> Int {
        // splitmix64: cheap, and good enough for a percentage.
        Int(random.next() % 100)
    }
}

enum PriorityCheck {
    /// Real-time I/O priority needs CAP_SYS_ADMIN or CAP_SYS_NICE (the kernel's
    /// ioprio_check_cap): refused before any I/O when the process has neither.
    static func check(_ jobs: [JobSpec]) throws {
        guard let job = jobs.first(where: \.usesRealTimePriority), !mayUseRealTime else { return }
        let what = job.ioPrioClass == IOPriority.realTime ? "prioclass=1" : "cmdprio_class (real-time, class 1, is fio's default for cmdprio)"
        throw BlockLabError.usage("\(job.origin): job '\(job.name)': \(what) asks for the real-time I/O priority class, which needs CAP_SYS_ADMIN or CAP_SYS_NICE (run as root); this process has neither")
    }

    /// The process holds CAP_SYS_ADMIN (21) or CAP_SYS_NICE (23) in its effective set.
    static var mayUseRealTime: Bool {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let caps = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return geteuid() == 0 }
        return caps & (1 << 21 | 1 << 23) != 0
    }

    /// The kernel takes priority hints (Linux 6.5+; older kernels read the hint bits as part
    /// of the level and refuse the value). Tried once on a thread of its own.
    static let hintsSupported: Bool = {
        final class Box: @unchecked Sendable { var ok = false }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            box.ok = bl_ioprio_set_thread(Int32(IOPriority.value(class: IOPriority.bestEffort, level: 4, hint: 1))) == 0
            done.signal()
        }
        t.start()
        done.wait()
        return box.ok
    }()
}
