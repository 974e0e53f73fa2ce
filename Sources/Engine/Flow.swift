import Glibc
import JobSpec
import Synchronization

/// fio's flow control (flow.c): the jobs of one `flow_id` share a counter of the I/Os they
/// took up and the sum of their weights. A job may take up its next I/O only while its own
/// count's share of the counter is at most its weight's share of the sum; otherwise it is
/// held back (and with `flow_sleep`, waits for its I/Os in flight and sleeps).
///
/// As in fio, every job of the run with the flow id registers its weight when the run is
/// planned (jobs of later stonewall phases included) and withdraws its weight and its count
/// when it finishes. The counter starts at 1, as fio's.
final class FlowGroup: Sendable {
    let id: Int
    private let counter = Atomic<UInt64>(1)
    private let totalWeight = Atomic<Int>(0)

    init(id: Int) { self.id = id }

    func join(weight: Int) { totalWeight.add(weight, ordering: .relaxed) }

    /// A finished job takes its weight and its I/Os out (fio's flow_exit_job).
    func leave(weight: Int, count: UInt64) {
        totalWeight.subtract(weight, ordering: .relaxed)
        counter.subtract(count, ordering: .relaxed)
    }

    /// fio's flow_threshold_exceeded: true when the job (`count` I/Os so far, `weight`) is
    /// ahead of its share; otherwise the I/O is counted (shared and in `count`).
    @inline(__always)
    func exceeded(count: inout UInt64, weight: Int) -> Bool {
        let shared = counter.load(ordering: .relaxed)
        let total = totalWeight.load(ordering: .relaxed)
        if Double(count) / Double(shared) > Double(weight) / Double(total) { return true }
        counter.add(1, ordering: .relaxed)
        count += 1
        return false
    }

    /// One group per flow id of the jobs with a weight, every clone's weight joined.
    static func plan(_ clones: [(spec: JobSpec, clone: Int)]) -> [Int: FlowGroup] {
        var groups: [Int: FlowGroup] = [:]
        for c in clones where c.spec.flowWeight > 0 {
            let g = groups[c.spec.flowID] ?? FlowGroup(id: c.spec.flowID)
            g.join(weight: c.spec.flowWeight)
            groups[c.spec.flowID] = g
        }
        return groups
    }
}

/// The jobs of one flow id that start together in a phase: each waits for the others to be
/// ready before its first I/O, as fio releases a group's threads together. Otherwise the
/// threads' start skew (large on a busy machine) shows as a stretch at the end where the
/// last job, alone in its flow, runs freely.
final class FlowStart: Sendable {
    private let remaining: Atomic<Int>
    init(members: Int) { remaining = Atomic(members) }

    func arrive() { remaining.subtract(1, ordering: .releasing) }

    /// Waits (in 50 µs steps) until every member arrived, or `stop` is set.
    func wait(until stop: () -> Bool) {
        while remaining.load(ordering: .acquiring) > 0 && !stop() { usleep(50) }
    }
}

/// One job thread's place in its flow group (nil in the loop when the job has no flow weight).
struct FlowMember {
    let group: FlowGroup
    let weight: Int
    let sleepNs: UInt64
    /// Its phase's start barrier (nil for a job that starts late anyway: startdelay, wait_for).
    var start: FlowStart?
    /// The job's own count when it finished (what it takes out of the group).
    let done = FlowTally()

    init(group: FlowGroup, weight: Int, sleepNs: UInt64, start: FlowStart?) {
        self.group = group
        self.weight = weight
        self.sleepNs = sleepNs
        self.start = start
    }

    /// Ready to start (once; a job that failed before its first I/O arrives when it ends).
    func arrive() {
        if let start, !done.arrived.exchange(true, ordering: .relaxed) { start.arrive() }
    }

    /// fio's flow_exit_job: the finished job's weight and I/Os leave the group.
    func leave() { group.leave(weight: weight, count: done.count.load(ordering: .relaxed)) }
}

final class FlowTally: Sendable {
    let count = Atomic<UInt64>(0)
    let arrived = Atomic<Bool>(false)
}
