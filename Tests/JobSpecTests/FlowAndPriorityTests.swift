import BlockLabCore
import Testing
@testable import JobSpec

/// fio's flow control and I/O priority options, as fio 3.33 reads them.
@Suite struct FlowAndPriorityTests {
    @Test func flowOptions() throws {
        let j = try parse("[j]\nsize=1m\nflow=8\nflow_id=3\nflow_sleep=1000\nflow_watermark=10\n")[0]
        #expect(j.flowWeight == 8 && j.flowID == 3 && j.flowSleepNs == 1_000 * NS.perMicrosecond)
        #expect(try parse("[j]\nsize=1m\n")[0].flowWeight == 0)
        #expect(usageMessage { try parse("[j]\nsize=1m\nflow=1001\n") }?.contains("must be at most 1000") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\nflow=-1\n") }?.contains("never negative") == true)
        #expect(JobOptionNotes.inert["flow_watermark"] != nil)
    }

    @Test func prioAndPrioclass() throws {
        let j = try parse("[j]\nsize=1m\nprio=7\nprioclass=2\n")[0]
        #expect(j.basePriority == IOPriority.value(class: 2, level: 7) && j.basePriority == 0x4007)
        // fio: class 0 (or no class) is best effort.
        #expect(try parse("[j]\nsize=1m\nprio=3\n")[0].basePriority == 0x4003)
        #expect(try parse("[j]\nsize=1m\nprioclass=3\n")[0].basePriority == 0x6000)
        #expect(try parse("[j]\nsize=1m\n")[0].basePriority == nil)
        #expect(usageMessage { try parse("[j]\nsize=1m\nprio=8\n") }?.contains("must be at most 7") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\nprioclass=4\n") }?.contains("must be at most 3") == true)
        #expect(try parse("[j]\nsize=1m\nprioclass=1\n")[0].usesRealTimePriority)
        #expect(!(try parse("[j]\nsize=1m\nprioclass=3\n")[0].usesRealTimePriority))
    }

    @Test func cmdprioPercentage() throws {
        let j = try parse("[j]\nsize=1m\nrw=randrw\nioengine=libaio\nprioclass=3\ncmdprio_percentage=20,30\ncmdprio_class=1\n")[0]
        let plan = try #require(PriorityPlan.make(j))
        #expect(plan.base == 0x6000)
        #expect(plan.values == [[0x6000, 0x2000], [0x6000, 0x2000]])
        #expect(plan.rules == [.percentage(percent: 20, index: 1), .percentage(percent: 30, index: 1)])
        // fio: a cmdprio class not given is real-time; a read-only job plans no writes.
        let r = try #require(PriorityPlan.make(try parse("[j]\nsize=1m\nrw=randread\ncmdprio_percentage=50\ncmdprio=4\n")[0]))
        #expect(r.values == [[0, 0x2004], [0]] && r.rules == [.percentage(percent: 50, index: 1), .none])
        #expect(try parse("[j]\nsize=1m\ncmdprio_percentage=50\n")[0].usesRealTimePriority)
        #expect(!(try parse("[j]\nsize=1m\ncmdprio_percentage=50\ncmdprio_class=2\n")[0].usesRealTimePriority))
        #expect(usageMessage { try parse("[j]\nsize=1m\ncmdprio_percentage=101\n") }?.contains("must be at most 100") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\ncmdprio_class=0\n") }?.contains("must be at least 1") == true)
        #expect(PriorityPlan.make(try parse("[j]\nsize=1m\ncmdprio_class=1\n")[0]) == nil)
    }

    @Test func cmdprioNeedsAnAsyncEngine() throws {
        // fio: "Bad option" with psync (the cmdprio options are io_uring's and libaio's).
        let m = usageMessage { try parse("[j]\nsize=1m\nioengine=psync\ncmdprio_percentage=20\n") }
        #expect(m?.contains("options of fio's io_uring and libaio engines") == true && m?.contains("ioengine=psync") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\ncmdprio_percentage=20\ncmdprio_bssplit=4k/10\n") }?.contains("mutually exclusive") == true)
        // prio/prioclass work with any engine.
        #expect(try parse("[j]\nsize=1m\nioengine=psync\nprioclass=2\nprio=1\n")[0].basePriority == 0x4001)
    }

    @Test func cmdprioBssplitBothFormsAndHints() throws {
        let simple = try parse("[j]\nsize=1m\nrw=randrw\nbssplit=64k/40:1024k/60,1024k/100\ncmdprio_bssplit=64k/100:1024k/0,1024k/0\ncmdprio_class=1\ncmdprio=0\n")[0]
        #expect(simple.cmdPrio.bssplit! == [[CmdPrioSplit(size: 65536, percent: 100, prio: nil)], []])
        let sp = try #require(PriorityPlan.make(simple))
        #expect(sp.values[0] == [0, 0x2000] && sp.rules[1] == .none)
        let adv = try parse("[j]\nsize=1m\nprioclass=2\nprio=7\nbssplit=64k/40:1024k/60\ncmdprio_bssplit=64k/25/1/1:64k/75/3/2:1024k/0,1024k/0\n")[0]
        let ap = try #require(PriorityPlan.make(adv))
        #expect(ap.values[0] == [0x4007, 0x2001, 0x6002])
        #expect(ap.rules[0] == .split([(size: 65536, entries: [(upTo: 25, index: 1), (upTo: 100, index: 2)])]))
        let hints = try parse("[j]\nsize=1m\nrw=randread\nbssplit=1M/40:2M/60\ncmdprio_bssplit=1M/10/2/0/1:1M/30/2/0/2:1M/60/2/0/0:2M/10/2/0/3:2M/90/2/0/0\n")[0]
        #expect(hints.cmdPrio.usesHints)
        let hp = try #require(PriorityPlan.make(hints))
        #expect(hp.values[0] == [0, 0x4008, 0x4010, 0x4000, 0x4018])
        #expect(IOPriority.hint(0x4018) == 3 && IOPriority.withoutHint(0x4018) == 0x4000)
        // fio's clamps: percent to 100, class to 3, level to 7.
        #expect(try parse("[j]\nsize=1m\ncmdprio_bssplit=4k/150/9/9\n")[0].cmdPrio.bssplit![0] == [CmdPrioSplit(size: 4096, percent: 100, prio: 0x6007)])
        #expect(usageMessage { try parse("[j]\nsize=1m\ncmdprio_bssplit=4k/10/1\n") }?.contains("expected bs/percent[/class/level[/hint]]") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\ncmdprio_bssplit=4k/60/1/0:4k/50/2/0\n") }?.contains("add up to 110") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\ncmdprio_bssplit=4k/x\n") }?.contains("percent must be a whole number") == true)
        let many = (1...65).map { "\($0)k/1/2/0/\($0)" }.joined(separator: ":")
        #expect(usageMessage { try parse("[j]\nsize=1m\ncmdprio_bssplit=\(many)\n") }?.contains("at most 64 entries") == true)
    }

    @Test func logPrio() throws {
        #expect(try parse("[j]\nsize=1m\nwrite_lat_log=x\nlog_prio=1\n")[0].logs.prio)
        #expect(!(try parse("[j]\nsize=1m\nwrite_lat_log=x\n")[0].logs.prio))
    }
}
