import BlockLabCore
import JobSpec
import Testing
@testable import VolumeModel

/// simulate stops each job where `run` would: size, io_size, number_ios, loops, runtime.
@Suite struct SimulateStopTests {
    @Test func sizeEndsTheJobBeforeItsRuntime() throws {
        // The case: 1 GiB at gp3's 125 MiB/s baseline is about 8.2 s, not an hour.
        let r = try simulate(["--name=r", "--rw=read", "--bs=1M", "--size=1g", "--runtime=1h"], volume: "gp3:size=100g", interval: S)
        #expect(r.totalBytes == 1 << 30 && r.totalIOs == 1024)
        let p = try #require(r.phases.first)
        #expect(p.reason == .workDone("size 1GiB done"), "\(p.reason)")
        // 1 GiB at 125 MiB/s: 8.192 s (the last I/O's service time may add a little).
        #expect(p.endNs >= 8_150 * NS.perMillisecond && p.endNs < 8_400 * NS.perMillisecond, "\(p.endNs)")
        #expect(r.endNs - (r.endNs - p.endNs) == p.endNs)
    }

    @Test func noRuntimeIsNeededWhenTheWorkIsBounded() throws {
        let r = try simulate(["--name=r", "--rw=randread", "--bs=16k", "--size=160m", "--random_generator=lfsr"],
                             volume: "gp3:size=100g", interval: S)
        #expect(r.totalBytes == 160 << 20)
        #expect(r.phases[0].reason == .workDone("size 160MiB done"))
    }

    @Test func ioSizeNumberIOsAndLoopsBoundTheWork() throws {
        let io = try simulate(["--name=a", "--rw=read", "--bs=64k", "--size=1g", "--io_size=64m"], volume: "gp3:size=100g", interval: S)
        #expect(io.totalBytes == 64 << 20)
        #expect(io.phases[0].reasonText.contains("io_size 64MiB"))
        let n = try simulate(["--name=b", "--rw=randwrite", "--bs=4k", "--size=1g", "--number_ios=5000"], volume: "gp3:size=100g", interval: S)
        #expect(n.totalIOs == 5000)
        let l = try simulate(["--name=c", "--rw=read", "--bs=1m", "--size=32m", "--loops=3"], volume: "gp3:size=100g", interval: S)
        #expect(l.totalBytes == 96 << 20 && l.phases[0].reasonText.contains("loops 3"))
    }

    @Test func runtimeStillEndsALongerJobAndTimeBasedNeedsOne() throws {
        let r = try simulate(["--name=r", "--rw=read", "--bs=1M", "--size=10g", "--runtime=4s"], volume: "gp3:size=100g", interval: S)
        #expect(r.phases[0].reason == .runtime && r.phases[0].endNs == 4 * S)
        #expect(r.totalBytes < 10 << 30)
        #expect(usageMessage { _ = try simulate(["--name=t", "--rw=read", "--size=1g", "--time_based"], volume: "gp3:size=100g") }
            .contains("time_based needs runtime="))
    }

    @Test func theNextJobStartsWhenTheFirstEnds() throws {
        let r = try simulate(["--name=a", "--rw=read", "--bs=1M", "--size=256m", "--name=b", "--rw=read", "--bs=1M", "--size=128m", "--runtime=1h"],
                             volume: "gp3:size=100g", interval: S)
        #expect(r.phases.count == 2)
        #expect(r.phases[1].startNs == r.phases[0].endNs && r.phases[0].endNs > 0)
        #expect(r.phases.map(\.bytes) == [256 << 20, 128 << 20])
        let json = r.json().serialized()
        #expect(json.contains("work_done") && json.contains("\"ended_by\""), "\(json.prefix(300))")
        #expect(r.table().contains("job 'b': "))
    }
}
