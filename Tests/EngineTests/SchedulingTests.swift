import BlockLabCore
import Foundation
import JobSpec
import Testing
@testable import Engine

/// fio's job scheduling options (startdelay, wait_for, exitall, new_group) and the target
/// value forms resolved at plan time (size=N%, offset_increment).
@Suite(.serialized) struct SchedulingTests {
    func jobs(_ text: String, in s: Scratch) throws -> [JobSpec] {
        try JobParser.parse(text: text.replacingOccurrences(of: "DIR", with: s.path), path: "t.fio", environment: [:])
    }

    func timed(_ jobs: [JobSpec]) throws -> (RunOutput, Double) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let out = try Runner.run(jobs, options: quietOptions())
        return (out, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }

    @Test func waitForRunsTheJobsOneAfterTheOther() throws {
        let s = Scratch()
        // Each job: 40 I/Os at 100 IOPS, about 0.4 s.
        let base = "[global]\nfilename=DIR/f.dat\nsize=160k\nbs=4k\nrw=read\nrate_iops=100\n"
        let (_, together) = try timed(try jobs(base + "[a]\n[b]\n", in: s))
        let (out, waited) = try timed(try jobs(base + "[a]\n[b]\nwait_for=a\n", in: s))
        #expect(out.errors.isEmpty)
        #expect(out.result.jobs.map(\.read.ios) == [40, 40])
        #expect(together < 0.6, "\(together)")
        #expect(waited > 0.7, "\(waited)")
        #expect(throws: BlockLabError.self) { try Runner.prepare(try jobs(base + "[a]\nwait_for=zz\n", in: s), options: quietOptions()) }
    }

    @Test func exitallEndsTheOthersWithoutCallingItAnInterruption() throws {
        let s = Scratch()
        let text = "[global]\nfilename=DIR/f.dat\nsize=1m\nbs=4k\n[short]\nrw=read\nsize=64k\nrate_iops=100\nexitall\n[long]\nrw=randread\ntime_based\nruntime=30\n"
        let (out, seconds) = try timed(try jobs(text, in: s))
        #expect(seconds < 5, "\(seconds)")
        #expect(!out.interrupted && out.errors.isEmpty)
        #expect(out.result.jobs[0].read.ios == 16 && out.result.jobs[1].read.ios > 0)
    }

    @Test func exitWhatChoosesWhatExitallEnds() throws {
        let s = Scratch()
        // Two reporting groups in one phase, then a later phase.
        func text(_ what: String) -> String {
            "[global]\nfilename=DIR/f.dat\nsize=1m\nbs=4k\n[short]\nrw=read\nsize=64k\nrate_iops=200\nexitall\nexit_what=\(what)\n"
                + "[other]\nnew_group\nrw=randread\ntime_based\nruntime=3\n[later]\nstonewall\nrw=read\nsize=64k\n"
        }
        let (group, gSeconds) = try timed(try jobs(text("group"), in: s))
        #expect(gSeconds >= 2.9 && group.result.jobs.count == 3, "\(gSeconds)")
        let (stonewall, sSeconds) = try timed(try jobs(text("stonewall"), in: s))
        #expect(sSeconds < 2.5 && stonewall.result.jobs.count == 3, "\(sSeconds)")
        let (all, aSeconds) = try timed(try jobs(text("all"), in: s))
        #expect(aSeconds < 2.5 && all.result.jobs.map(\.name) == ["short", "other"], "\(aSeconds)")
        #expect(!all.interrupted)
    }

    @Test func rateMinFailsAJobBelowItAsFio() throws {
        let s = Scratch()
        // Reads capped at 10 IOPS hold the writes of the mix back too: below a write floor of
        // 50 IOPS after fio's 2 s settling.
        let slow = try Runner.run(try jobs("[a]\nfilename=DIR/f.dat\nsize=1m\nrw=randrw\nrate_iops=10,\ntime_based\nruntime=6\nrate_iops_min=,50\n", in: s),
                                  options: quietOptions())
        #expect(slow.errors.contains { $0.contains("rate_iops_min=50 not met") }, "\(slow.errors)")
        // Capped at 100 IOPS, a floor of 80 holds.
        let steady = try Runner.run(try jobs("[a]\nfilename=DIR/f.dat\nsize=1m\nrate_iops=100\ntime_based\nruntime=4\nratemin=1k\n", in: s),
                                    options: quietOptions())
        #expect(steady.errors.isEmpty, "\(steady.errors)")
        #expect(throws: BlockLabError.self) { try jobs("[a]\nsize=1m\nrate=1k\nrate_min=4k\n", in: s) }
    }

    @Test func thinktimePacesTheJobAsFio() throws {
        // fio 3.33 does 30 I/Os in 3 s at thinktime=100ms; an inline completion (a cached
        // read) used to leave the loop asleep until the runtime ended (2 I/Os).
        let s = Scratch()
        for engine in ["psync", "io_uring"] {
            let out = try Runner.run(try jobs("[a]\nfilename=DIR/f.dat\nsize=1m\nioengine=\(engine)\nthinktime=100ms\ntime_based\nruntime=2\n", in: s),
                                     options: quietOptions())
            let ios = out.result.jobs[0].read.ios
            #expect(ios >= 16 && ios <= 21, "\(engine): \(ios)")
        }
    }

    @Test func bufferPatternFillsWritesAsFio() throws {
        // fio 3.33 writes these bytes (compared with cmp on files it wrote).
        let s = Scratch()
        let out = try Runner.run(try jobs("[w]\nfilename=DIR/p.dat\nrw=write\nbs=4k\nsize=64k\nbuffer_pattern=0xdeadbeef\nrefill_buffers\n", in: s),
                                 options: quietOptions())
        #expect(out.errors.isEmpty)
        let data = try #require(FileManager.default.contents(atPath: s.file("p.dat")))
        #expect(data.count == 65536)
        #expect(data.enumerated().allSatisfy { $0.element == [0xde, 0xad, 0xbe, 0xef][$0.offset % 4] })
    }

    @Test func startdelayDelaysTheJob() throws {
        let s = Scratch()
        let (out, seconds) = try timed(try jobs("[a]\nfilename=DIR/f.dat\nsize=64k\nstartdelay=600ms\n", in: s))
        #expect(out.errors.isEmpty && out.result.jobs[0].read.ios == 16)
        #expect(seconds >= 0.6, "\(seconds)")
    }

    @Test func newGroupStartsAReportingGroupWithoutAStonewall() throws {
        let s = Scratch()
        let out = try Runner.run(try jobs("[global]\nfilename=DIR/f.dat\nsize=64k\n[a]\n[b]\nnew_group\n[c]\n", in: s), options: quietOptions())
        #expect(out.result.jobs.map(\.groupID) == [0, 1, 1])
    }

    @Test func percentSizesAndOffsetIncrementResolveAgainstTheTarget() throws {
        let s = Scratch()
        FileManager.default.createFile(atPath: s.file("t.dat"), contents: Data(count: 1 << 20))
        let plan = try Runner.prepare(try jobs("[a]\nfilename=DIR/t.dat\nsize=50%\noffset=25%\n[b]\nfilename=DIR/t.dat\nsize=64k\noffset_increment=128k\nnumjobs=3\n", in: s),
                                      options: quietOptions())
        let k: UInt64 = 1024
        let expected: [Range<UInt64>] = [(256 * k)..<(768 * k), 0..<(64 * k), (128 * k)..<(192 * k), (256 * k)..<(320 * k)]
        #expect(plan.clones.map(\.region) == expected)
        #expect(throws: BlockLabError.self) { try Runner.prepare(try jobs("[a]\nfilename=DIR/none.dat\nsize=50%\n", in: s), options: quietOptions()) }
    }

    @Test func numaNodesThisMachineLacksFailAsInFio() throws {
        let s = Scratch()
        let missing = (NUMA.onlineNodes().max() ?? 0) + 1
        let text = "[a]\nfilename=DIR/f.dat\nsize=64k\nnuma_cpu_nodes=\(missing)\n"
        do {
            _ = try Runner.prepare(try jobs(text, in: s), options: quietOptions())
            Issue.record("no error for node \(missing)")
        } catch BlockLabError.usage(let m) {
            #expect(m.contains("NUMA node \(missing) does not exist"), "\(m)")
        }
        #expect(try Runner.prepare(try jobs("[a]\nfilename=DIR/f.dat\nsize=64k\nnuma_cpu_nodes=0\nnuma_mem_policy=local\n", in: s),
                                   options: quietOptions()).clones.count == 1)
    }
}
