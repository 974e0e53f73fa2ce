import BlockLabCore
import CSupport
import JobSpec

/// Which CPUs each job thread of a group runs on.
///
/// A job's `cpus_allowed` (fio's) decides for its threads: the whole set (`shared`), or one
/// CPU of it per clone in turn (`split`). Otherwise BlockLab pins by itself: left to the
/// scheduler, a thread that sleeps in io_uring_enter at every completion is woken on
/// whichever CPU is handy and hops between them (cold caches, cross-CPU wake-ups); on this
/// project's 2-CPU VM that cost a device-bound 4 KiB random read ~5 % of its IOPS
/// (BENCHMARKS.md). So when a group runs one job thread and no job sets `cpus_allowed` or
/// `pin_threads=0`, it stays on one CPU: at depth 1 the CPU that takes its device's
/// completion interrupts when that can be read (`CompletionCPU`; the thread is woken there
/// at every completion), else the CPU it starts on. Several threads are left to the
/// scheduler: pinned one per CPU, the threads away from the interrupt CPU are woken across
/// CPUs at every completion, which cost two threads at depth 32 about 15 % more CPU per
/// I/O than the scheduler's placement for the same IOPS (BENCHMARKS.md). The result
/// records the choice and why.
struct CPUPlacement: Sendable {
    enum Choice: Equatable, Sendable {
        /// Left to the scheduler.
        case none
        /// These CPUs (a job's cpus_allowed set, or one CPU of it).
        case set([Int])
        /// BlockLab's own choice: this CPU, or (for a lone thread) the one it starts on.
        case auto(Int, lone: Bool)
    }

    let choices: [Choice]
    /// Why each thread runs where it does (nil: no reason beyond the rule above).
    let reasons: [String?]

    /// - threads: (spec, clone number) per thread of the group, in start order.
    /// - allowed: the CPUs this process may use.
    /// - completionCPU: for a lone thread, where its target's completions arrive, if known.
    init(threads: [(spec: JobSpec, clone: Int)], allowed: [Int], completionCPU: CompletionCPU.Choice? = nil) {
        let explicit = threads.contains { $0.spec.cpusAllowed != nil }
        let auto = !explicit && threads.allSatisfy(\.spec.pinThreads) && threads.count == 1 && !allowed.isEmpty
        choices = threads.enumerated().map { i, t in
            if let cpus = t.spec.cpusAllowed, !cpus.isEmpty {
                return t.spec.cpusAllowedPolicy == .split ? .set([cpus[t.clone % cpus.count]]) : .set(cpus)
            }
            guard auto else { return .none }
            if threads.count == 1, let c = completionCPU, allowed.contains(c.cpu) { return .auto(c.cpu, lone: false) }
            return .auto(allowed[i], lone: threads.count == 1)
        }
        reasons = choices.map { choice in
            switch choice {
            case .auto(let cpu, lone: false) where threads.count == 1 && completionCPU?.cpu == cpu: return completionCPU?.why
            case .auto(_, lone: true): return "a lone job thread stays on the CPU it starts on (its completions' CPU is not known)"
            case .auto: return nil
            case .set: return "cpus_allowed"
            case .none where !explicit && threads.count > 1 && threads.allSatisfy(\.spec.pinThreads):
                return "several job threads are left to the scheduler (pinned one per CPU they cost more CPU per I/O)"
            case .none: return nil
            }
        }
    }

    /// The CPUs this process may use (its affinity mask).
    static func allowedCPUs() -> [Int] {
        var list = [Int32](repeating: 0, count: 1024)
        let n = Int(bl_allowed_cpus(&list, Int32(list.count)))
        return n > 0 ? list.prefix(n).map(Int.init) : []
    }

    /// A job's cpus_allowed naming a CPU this process may not use, as a usage error.
    static func check(_ spec: JobSpec, allowed: [Int]) throws {
        guard let cpus = spec.cpusAllowed else { return }
        let missing = cpus.filter { !allowed.contains($0) }
        guard missing.isEmpty else {
            throw BlockLabError.usage("\(spec.origin): job '\(spec.name)': cpus_allowed: CPU \(missing.map(String.init).joined(separator: ",")) "
                + "is not available (this process may use \(allowed.map(String.init).joined(separator: ",")))")
        }
    }

    /// Applies the i-th thread's choice to the calling thread; returns what the result
    /// records: the CPU or CPUs, or null when the thread was left to the scheduler.
    func apply(thread i: Int) -> JSONValue {
        switch choices[i] {
        case .none:
            return .null
        case .set(let cpus):
            let list = cpus.map(Int32.init)
            guard bl_set_affinity(list, Int32(list.count)) == 0 else { return .null }
            return cpus.count == 1 ? .int(Int64(cpus[0])) : .array(cpus.map { .int(Int64($0)) })
        case .auto(let cpu, let lone):
            let here = Int(bl_current_cpu())
            let target = lone && here >= 0 ? here : cpu
            return bl_pin_thread(Int32(target)) == 0 ? .int(Int64(target)) : .null
        }
    }
}
