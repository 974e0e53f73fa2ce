import BlockLabCore
import CSupport

/// Which CPU each job thread of a group runs on. Left to the scheduler, a thread that
/// sleeps in io_uring_enter at every completion is woken on whichever CPU is handy and
/// hops between them (cold caches, cross-CPU wake-ups); on this project's 2-CPU VM that cost
/// a device-bound 4 KiB random read 5-10 % of its IOPS (BENCHMARKS.md). So when the group
/// has no more threads than the CPUs it may use, each thread stays on one: a lone thread on
/// the CPU it starts on, several on distinct CPUs. More threads than CPUs, or
/// `pin_threads=0` in any job: no pinning (a pinned thread could not escape a busy CPU).
struct CPUPlacement: Sendable {
    /// The CPUs the process may use, or empty when threads are left to the scheduler.
    let cpus: [Int32]
    let threads: Int

    init(threads: Int, wanted: Bool) {
        self.threads = threads
        var list = [Int32](repeating: 0, count: 1024)
        let n = wanted ? Int(bl_allowed_cpus(&list, Int32(list.count))) : 0
        cpus = n >= threads && threads > 0 ? Array(list.prefix(n)) : []
    }

    /// Pins the calling thread (the i-th of the group); returns what the result records:
    /// the CPU, or null when the thread was left to the scheduler.
    func pin(thread i: Int) -> JSONValue {
        guard i < cpus.count else { return .null }
        let here = bl_current_cpu()
        let cpu = threads == 1 && cpus.contains(here) ? here : cpus[i]
        return bl_pin_thread(cpu) == 0 ? .int(Int64(cpu)) : .null
    }
}
