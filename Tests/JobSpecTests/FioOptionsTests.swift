import BlockLabCore
import Testing
@testable import JobSpec

/// fio options and value forms that fio's example job files use.
@Suite struct FioOptionsTests {
    @Test func percentagesAndEmptyLastShares() throws {
        let j = try parse("[j]\nfilename=/tmp/x\nsize=100%\noffset=25%\nbssplit=4k/10:64k/50:32k/\nrandom_distribution=zoned:50/5:30/15:20/\n")[0]
        #expect(j.size == nil && j.sizePercent == 100 && j.offsetPercent == 25)
        #expect(j.blockSize[0] == .split([.init(size: 4096, percent: 10), .init(size: 65536, percent: 50), .init(size: 32768, percent: 40)]))
        guard case .zoned(let zones) = j.randomDistribution else { Issue.record("not zoned"); return }
        #expect(zones.map(\.sizePercent) == [5, 15, 80])
        #expect(usageMessage { try parse("[j]\nsize=50%\n") }?.contains("a percentage size needs filename=") == true)
        #expect(usageMessage { try parse("[j]\nfilename=/x\nsize=150%\n") }?.contains("expected a percentage 0-100%") == true)
    }

    @Test func rwOffsetModifiers() throws {
        #expect(try parse("[j]\nsize=1m\nrw=read:-8k\n")[0].sequentialSkip == -8192)
        let w = try parse("[j]\nsize=1m\nrw=write:112k\n")[0]
        #expect(w.rw == .write && w.sequentialSkip == 112 * 1024)
        #expect(usageMessage { try parse("[j]\nsize=1m\nrw=randread:8\n") }?.contains("not supported for random modes") == true)
    }

    @Test func filesizeIsTheFileAndSizeTheIO() throws {
        let a = try parse("[j]\nfilesize=128m\n")[0]
        #expect(a.size == 128 << 20 && a.ioSize == nil)
        let b = try parse("[j]\nfilesize=1g\nsize=4g\n")[0]
        #expect(b.size == 1 << 30 && b.ioSize == 4 << 30)
        #expect(usageMessage { try parse("[j]\nsize=1m\nnrfiles=4\n") }?.contains("several files per job (nrfiles=4) are not supported") == true)
        #expect(try parse("[j]\nsize=1m\nnrfiles=1\nopenfiles=1\n").count == 1)
    }

    @Test func schedulingOptionsAndAliases() throws {
        let jobs = try parse("[a]\nsize=1m\nexitall\nstartdelay=2\n[b]\nsize=1m\nnew_group\nwait_for=a\n")
        #expect(jobs[0].exitAll && jobs[0].startDelayNs == 2 * NS.perSecond)
        #expect(jobs[1].newGroup && jobs[1].waitFor == "a")
        #expect(try parse("[j]\nsize=1m\nfileoffset=4k\n")[0].offset == 4096)
        #expect(usageMessage { try parse("[j]\nsize=1m\nwait_for=j\n") }?.contains("cannot wait for itself") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\nstartdelay=1-5\n") }?.contains("random start delay range") == true)
    }

    @Test func inertOptionsAreAcceptedAndExplained() throws {
        let j = try parse("[j]\nsize=1m\ngtod_reduce=1\ndisable_lat=1\ncreate_on_open=1\nfallocate=none\nio_submit_mode=offload\nthreads=1\n")[0]
        #expect(j.ioSubmitOffload)
        #expect(JobOptionNotes.inert["gtod_reduce"] != nil && JobOptionNotes.inert["fallocate"] != nil)
        #expect(usageMessage { try parse("[j]\nsize=1m\nio_submit_mode=later\n") }?.contains("expected inline or offload") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\ncontinue_on_error=all\n") }?.contains("stops a job at its first I/O error") == true)
    }

    @Test func numaNodeLists() throws {
        let j = try parse("[j]\nsize=1m\nnuma_cpu_nodes=0-1,3\nnuma_mem_policy=bind:0\n")[0]
        #expect(j.numaCPUNodes == [0, 1, 3] && j.numaMemNodes == [0])
        #expect(usageMessage { try parse("[j]\nsize=1m\nnuma_mem_policy=bind\n") }?.contains("needs nodes") == true)
    }
}
