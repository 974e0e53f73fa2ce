import BlockLabCore
import Testing
@testable import Metrics

func syntheticJob(name: String, ios: Int, latBase: UInt64, runtimeMs: UInt64, startNs: UInt64 = 0) -> JobResult {
    let ms = NS.perMillisecond
    let r = JobRecorder(startNs: startNs, maxDepth: 4)
    for i in 0..<ios {
        let now = startNs + UInt64(i) * runtimeMs * ms / UInt64(ios)
        let dir: IODirection = i % 4 == 0 ? .write : .read
        r.recordDepth(4)
        r.recordCompletionsPerWait(2)
        r.recordCompletion(dir, bytes: 4096, slatNs: 100, clatNs: latBase + UInt64(i % 97), latNs: latBase + 100 + UInt64(i % 97), now: now)
    }
    var cpu = CPUUsage()
    cpu.userNs = runtimeMs * ms / 10
    cpu.systemNs = runtimeMs * ms / 5
    var j = r.finish(name: name, endNs: startNs + runtimeMs * ms, cpu: cpu)
    j.options = [(key: "rw", value: "randrw"), (key: "bs", value: "4k")]
    return j
}

@Suite struct MergeTests {
    @Test func groupFiguresAreSums() {
        let a = syntheticJob(name: "a", ios: 4000, latBase: 10_000, runtimeMs: 2000)
        let b = syntheticJob(name: "b", ios: 2000, latBase: 50_000, runtimeMs: 1500)
        let g = JobResult.merge([a, b], name: "group")
        #expect(g.jobCount == 2)
        #expect(g.read.ios == a.read.ios + b.read.ios)
        #expect(g.write.bytes == a.write.bytes + b.write.bytes)
        #expect(g.read.runtimeNs == a.read.runtimeNs) // the longest
        #expect(g.read.clat.count == a.read.clat.count + b.read.clat.count)
        #expect(g.read.clat.min == a.read.clat.min && g.read.clat.max == b.read.clat.max)
        // Group IOPS is the total over the longest runtime, not a mean of the jobs' IOPS.
        #expect(abs(g.read.iops - Double(a.read.ios + b.read.ios) / 2.0) < 1e-9)
        // Samples are summed window by window.
        #expect(g.read.windowIOs[0] == a.read.windowIOs[0] + b.read.windowIOs[0])
        #expect(g.read.windowIOs.count == max(a.read.windowIOs.count, b.read.windowIOs.count))
        #expect(g.cpu.userNs == a.cpu.userNs + b.cpu.userNs)
        #expect(g.jobRuntimeNs == a.jobRuntimeNs + b.jobRuntimeNs)
        #expect(g.distributions.depth[2] == 6000)
        #expect(abs(g.usrCPUPercent - 10) < 1e-9)
    }

    @Test func mergeOfNothingIsEmpty() {
        let g = JobResult.merge([], name: "none")
        #expect(g.read.ios == 0 && g.name == "none")
    }
}

@Suite struct CPUUsageTests {
    @Test func sinceSubtractsAndThreadReadingsGrow() {
        var a = CPUUsage(), b = CPUUsage()
        a.userNs = 100; a.systemNs = 50; a.minorFaults = 3
        b.userNs = 350; b.systemNs = 80; b.minorFaults = 10
        let d = b.since(a)
        #expect(d.userNs == 250 && d.systemNs == 30 && d.minorFaults == 7)
        let first = CPUUsage.currentThread()
        var x: UInt64 = 1
        for i in 0..<100_000 { x = x &* 31 &+ UInt64(i) }
        let second = CPUUsage.currentThread()
        #expect(x != 0)
        #expect(second.userNs + second.systemNs >= first.userNs + first.systemNs)
    }
}
