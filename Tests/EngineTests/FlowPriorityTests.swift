import BlockLabCore
import Foundation
import Glibc
import JobSpec
import Metrics
import Testing
@testable import Engine

/// fio's flow control between jobs and per-I/O priorities, on real files.
@Suite(.serialized) struct FlowPriorityTests {
    func timed(_ spec: JobSpec, seconds: UInt64) -> JobSpec {
        var s = spec
        s.timeBased = true
        s.runtimeNs = seconds * NS.perSecond
        s.norandommap = true
        return s
    }

    /// fio 3.33 gives 3,201 writes to 25,617 reads (8.00) for this pair (flow.fio's shape on
    /// a page-cache file); the counter keeps the shares within a few I/Os whatever the speeds.
    @Test func weightsSetTheShareOfIOs() throws {
        let s = Scratch()
        var w = timed(job("w", file: s.file("f.dat"), rw: .write, bs: 8192, size: 16 << 20, depth: 16), seconds: 1)
        w.flowWeight = 1
        // The first to end stops the other (see equalWeightsAlternateAndIDsAreApart).
        w.exitAll = true
        var r = timed(job("r", file: s.file("f.dat"), rw: .randread, bs: 8192, size: 16 << 20, depth: 16), seconds: 1)
        r.flowWeight = 8
        r.exitAll = true
        let out = try Runner.run([w, r], options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        let writes = Double(out.result.jobs[0].write.ios), reads = Double(out.result.jobs[1].read.ios)
        #expect(writes > 100)
        #expect(abs(reads / writes - 8) < 0.5, "reads \(reads) writes \(writes)")
    }

    /// butterfly.fio: two readers of weight 2 alternate; flow_sleep and a flow_id apart from a
    /// third job that is not held at all.
    @Test func equalWeightsAlternateAndIDsAreApart() throws {
        let s = Scratch()
        var a = timed(job("a", file: s.file("g.dat"), rw: .read, bs: 4096, size: 8 << 20, depth: 1), seconds: 1)
        a.flowWeight = 2
        a.flowSleepNs = 100 * NS.perMicrosecond
        // The first to finish stops the other: a job left alone in its flow runs freely, so
        // the threads' start skew would otherwise show at the end.
        a.exitAll = true
        var b = a
        b.name = "b"
        b.sequentialSkip = -8192
        var c = timed(job("c", file: s.file("g.dat"), rw: .read, bs: 4096, size: 8 << 20, depth: 1), seconds: 1)
        c.flowWeight = 1
        c.flowID = 7
        let out = try Runner.run([a, b, c], options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        let na = out.result.jobs[0].read.ios, nb = out.result.jobs[1].read.ios, nc = out.result.jobs[2].read.ios
        #expect(na > 100 && nb > 100)
        #expect(max(na, nb) - min(na, nb) <= 4, "a \(na) b \(nb)")
        // Alone in its flow id, c is never held back: ahead of the pair.
        #expect(nc > max(na, nb), "c \(nc) a \(na)")
    }

    /// A job that finishes takes its weight and count out (fio's flow_exit_job): the other
    /// then runs freely instead of waiting for a share that can never come.
    @Test func aFinishedJobLeavesTheFlow() throws {
        let s = Scratch()
        var short = job("short", file: s.file("h.dat"), rw: .read, bs: 4096, size: 1 << 20, depth: 4)
        short.flowWeight = 1
        var long = timed(job("long", file: s.file("h.dat"), rw: .read, bs: 4096, size: 1 << 20, depth: 4), seconds: 1)
        long.flowWeight = 1
        let out = try Runner.run([short, long], options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        let ns = out.result.jobs[0].read.ios, nl = out.result.jobs[1].read.ios
        #expect(ns == 256)
        #expect(nl > 4 * ns, "long \(nl) short \(ns)")
    }

    /// As fio, a later phase's weight counts from the start: the first phase's job is held to
    /// its share (fio 3.33: 2 I/Os for the first job of this pair), with a note saying why.
    @Test func laterPhasesWeighFromTheStart() throws {
        let s = Scratch()
        var a = job("a", file: s.file("k.dat"), rw: .read, bs: 4096, size: 1 << 20, depth: 1)
        a.timeBased = true
        a.runtimeNs = 300 * NS.perMillisecond
        a.flowWeight = 1
        var b = a
        b.name = "b"
        b.stonewall = true
        var options = quietOptions()
        final class Notes: @unchecked Sendable { var list: [String] = [] }
        let notes = Notes()
        options.onNotice = { notes.list.append($0) }
        let out = try Runner.run([a, b], options: options)
        #expect(out.errors.isEmpty, "\(out.errors)")
        #expect(out.result.jobs[0].read.ios == 2)
        #expect(out.result.jobs[1].read.ios > 100)
        #expect(notes.list.contains { $0.contains("flow_id 0 has jobs in different stonewall phases") })
    }

    /// fio's cmdprio_percentage: about that share of I/Os carries the cmdprio value, and the
    /// JSON reports each priority (fio 3.33: 26,449 of 131,940 I/Os, 20.0 %, for this job).
    @Test func cmdprioPercentageSplitsTheIOsAndReportsEachPriority() throws {
        let s = Scratch()
        var spec = job("p", file: s.file("p.dat"), rw: .randread, bs: 4096, size: 8 << 20, depth: 8)
        spec.ioPrioClass = 3
        spec.cmdPrio.percentage = [20, 20]
        spec.cmdPrio.classes = [1, 1]
        spec.cmdPrio.given = true
        spec.loops = 4
        spec.logs.lat = "x"
        spec.logs.prio = true
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        let r = out.result.jobs[0].read
        #expect(r.ios == 8192)
        let prios = r.reportedPrios
        #expect(prios.map(\.prio) == [0x6000, 0x2000])
        #expect(prios.map(\.stats.count).reduce(0, +) == r.ios)
        let share = Double(prios[1].stats.count) / Double(r.ios)
        #expect(share > 0.17 && share < 0.23, "\(share)")
        // fio's JSON: prios after lat_ns, with prioclass, prio and clat_ns.
        let text = FioJSON.document(out.result).serialized()
        let doc = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let read = ((doc?["jobs"] as? [[String: Any]])?.first?["read"] as? [String: Any]) ?? [:]
        let entries = read["prios"] as? [[String: Any]] ?? []
        #expect(entries.map { $0["prioclass"] as? Int } == [3, 1])
        #expect(entries.allSatisfy { ($0["clat_ns"] as? [String: Any])?["N"] != nil && $0["prio"] as? Int == 0 })
        #expect(text.range(of: "\"lat_ns\"")!.lowerBound < text.range(of: "\"prios\"")!.lowerBound)
        // The logs carry each I/O's value (log_prio), matching the JSON's counts.
        let data = try #require(out.logs.first?.data)
        #expect(data.samples.filter { $0.prio == 0x2000 }.count == prios[1].stats.count)
        var bytes: [UInt8] = []
        try FioLogText.write(.clat, data) { bytes += $0 }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 8192)
        #expect(Set(lines.map { $0.split(separator: ",").last!.trimmingCharacters(in: .whitespaces) }) == ["0x2000", "0x6000"])
    }

    /// cmdprio_bssplit picks by the I/O's size; a size without entries keeps the job's own.
    @Test func cmdprioBssplitFollowsTheBlockSize() throws {
        let s = Scratch()
        var spec = try JobParser.parse(text: """
            [b]
            filename=\(s.file("b.dat"))
            size=8m
            rw=randread
            iodepth=4
            loops=2
            prioclass=2
            prio=7
            bssplit=4k/50:16k/50
            cmdprio_bssplit=4k/25/1/1:4k/75/3/2:16k/0
            """, path: "t.fio", environment: [:])[0]
        spec.logs.lat = "x"
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        let samples = try #require(out.logs.first?.data.samples)
        // Every 16k I/O at the job's own priority, every 4k one at one of the entries'.
        #expect(samples.filter { $0.bytes == 16384 }.allSatisfy { $0.prio == 0x4007 })
        let small = samples.filter { $0.bytes == 4096 }
        #expect(small.allSatisfy { $0.prio == 0x2001 || $0.prio == 0x6002 })
        let rt = Double(small.filter { $0.prio == 0x2001 }.count) / Double(small.count)
        #expect(rt > 0.18 && rt < 0.32, "\(rt)")
        #expect(out.result.jobs[0].read.reportedPrios.map(\.prio).sorted() == [0x2001, 0x4007, 0x6002])
    }

    /// group_reporting of jobs that differ only in prio: fio reports each job's priority.
    @Test func groupOfJobsWithDifferentPriorities() throws {
        let s = Scratch()
        var a = job("g", file: s.file("q.dat"), rw: .read, bs: 4096, size: 1 << 20, depth: 2)
        a.groupReporting = true
        a.ioPrioClass = 2
        a.ioPrio = 1
        var b = a
        b.ioPrio = 6
        b.ioengine = EngineCatalog.psync
        let out = try Runner.run([a, b], options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        #expect(out.result.jobs.count == 1)
        let p = out.result.jobs[0].read.reportedPrios
        #expect(p.map(\.prio) == [0x4001, 0x4006] && p.allSatisfy { $0.stats.count == 256 })
    }

    /// prioclass=1 needs CAP_SYS_ADMIN or CAP_SYS_NICE: as root the thread's ioprio_set works.
    @Test(.enabled(if: isRoot)) func realTimeClassRunsAsRoot() throws {
        let s = Scratch()
        var spec = job("rt", file: s.file("rt.dat"), rw: .read, bs: 4096, size: 1 << 20, depth: 1)
        spec.ioPrioClass = 1
        spec.ioPrio = 4
        spec.ioengine = EngineCatalog.psync
        #expect(PriorityCheck.mayUseRealTime)
        let out = try Runner.run([spec], options: quietOptions())
        #expect(out.errors.isEmpty, "\(out.errors)")
        #expect(out.result.jobs[0].read.ios == 256 && out.result.jobs[0].ioprio == 0x2004)
    }
}
