import BlockLabCore
import JobSpec
import Metrics

/// fio's steadystate_check (steadystate.c), run once a second by the thread that waits for
/// a phase's jobs: from each running job thread's completed I/Os and bytes it takes the
/// last second's IOPS and bandwidth, once the thread's steadystate_ramp_time plus one
/// second has passed, and feeds them to the job's detector; under group_reporting the
/// figures of a reporting group's threads are summed and judged once, by the group's last
/// thread (as fio). A steady job (or group) is told to end, which is not an interruption.
///
/// It reads only the counters the threads already publish, so it costs the I/O path nothing.
final class SteadyStateMonitor {
    struct Member {
        let reportGroup: Int
        let groupReporting: Bool
        let rampNs: UInt64
        let enabled: Bool
        var rampOver: Bool
        /// fio's prev_time, prev_iops, prev_bytes (nil until the thread's measured phase starts).
        var prev: (time: UInt64, ios: UInt64, bytes: UInt64)?
        var attained = false
        /// The member's (or its group's) samples live here.
        var detector: SteadyStateDetector?
    }

    private(set) var members: [Member]
    let progress: [JobProgress]
    let ends: [StopToken]

    /// nil when no job of the phase asks for steady-state detection.
    init?(specs: [(spec: JobSpec, reportGroup: Int)], progress: [JobProgress], ends: [StopToken]) {
        guard specs.contains(where: { $0.spec.steadyState.enabled }) else { return nil }
        self.progress = progress
        self.ends = ends
        members = specs.map { s in
            let ss = s.spec.steadyState
            return Member(reportGroup: s.reportGroup, groupReporting: s.spec.groupReporting, rampNs: ss.rampNs,
                          enabled: ss.enabled, rampOver: ss.rampNs == 0, prev: nil, detector: nil)
        }
        // fio's steadystate_setup: every thread keeps its own samples, except under
        // group_reporting, where the last thread of each reporting group keeps the group's.
        for i in members.indices where members[i].enabled {
            let m = members[i]
            let last = !m.groupReporting
                || !members[(i + 1)...].contains { $0.enabled && $0.reportGroup == m.reportGroup }
            if last {
                let ss = specs[i].spec.steadyState
                members[i].detector = SteadyStateDetector(SteadyStateCriterion(
                    iops: ss.metric == .iops, slope: ss.slope, limit: ss.limit, percent: ss.percent, seconds: ss.durationSeconds))
            }
        }
    }

    /// One of fio's once-a-second checks, at `now` (the run's clock).
    func tick(now: UInt64) {
        var groupBw: UInt64 = 0, groupIOPS: UInt64 = 0, groupRampOver = 0
        var prevGroup = -1
        for i in members.indices {
            let m = members[i]
            let p = progress[i]
            let epoch = p.epoch.load(ordering: .relaxed)
            guard m.enabled, !m.attained, epoch != 0, !p.finished.load(ordering: .relaxed) else { continue }
            if !m.groupReporting || m.reportGroup != prevGroup {
                (groupBw, groupIOPS, groupRampOver) = (0, 0, 0)
            }
            prevGroup = m.reportGroup
            // Samples begin one second after the ramp (fio).
            if !m.rampOver, now &- epoch >= m.rampNs &+ NS.perSecond { members[i].rampOver = true }
            let s = p.snapshot()
            let ios = s.ios[0] &+ s.ios[1], bytes = s.bytes[0] &+ s.bytes[1]
            let prev = m.prev ?? (epoch, p.epochIOs.load(ordering: .relaxed), p.epochBytes.load(ordering: .relaxed))
            // fio's whole milliseconds.
            let ms = (now &- prev.time) / NS.perMillisecond
            members[i].prev = (now, ios, bytes)
            if members[i].rampOver && ms > 0 {
                groupBw &+= 1000 &* (bytes &- prev.bytes) / ms
                groupIOPS &+= 1000 &* (ios &- prev.ios) / ms
                groupRampOver += 1
            }
            guard members[i].detector != nil, groupRampOver > 0 else { continue }
            if members[i].detector!.add(iops: groupIOPS, bw: groupBw) {
                let done = m.groupReporting ? members.indices.filter { members[$0].reportGroup == m.reportGroup } : [i]
                for j in done {
                    members[j].attained = true
                    ends[j].stop()
                }
            }
        }
    }

    /// The steady-state section of member `i`'s result (nil for a thread whose group's
    /// samples another thread holds).
    func section(_ i: Int) -> SteadyStateSection? { members[i].detector?.section }

    /// fio rejects a job whose steadystate settings differ from another's in its reporting
    /// group (a job without them counts as different from one with them).
    static func checkConsistent(_ jobs: [(spec: JobSpec, reportGroup: Int)]) throws {
        var seen: [Int: JobSpec] = [:]
        for j in jobs {
            guard let first = seen[j.reportGroup] else { seen[j.reportGroup] = j.spec; continue }
            func key(_ s: JobSpec) -> SteadyStateOptions { s.steadyState.enabled ? s.steadyState : SteadyStateOptions() }
            if key(first) != key(j.spec) {
                throw BlockLabError.usage(
                    "\(j.spec.origin): job '\(j.spec.name)' rejected: steadystate options must be consistent within reporting groups "
                    + "(job '\(first.name)' of its group has \(describe(first)), this one \(describe(j.spec)))")
            }
        }
    }

    static func describe(_ s: JobSpec) -> String {
        let ss = s.steadyState
        guard ss.enabled else { return "none" }
        return "\(ss.criterionName):\(ss.limit)\(ss.percent ? "%" : ""), \(ss.durationSeconds)s, ramp \(Units.formatDuration(ss.rampNs))"
    }
}
