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
        #expect(usageMessage { try parse("[j]\nsize=1m\ncontinue_on_error=sometimes\n") }?.contains("expected none, read, write, io, verify, all, 0 or 1") == true)
    }

    @Test func continueOnErrorTakesFiosNamesAndNumbers() throws {
        let forms: [(String, UInt8)] = [("none", 0), ("0", 0), ("false", 0), ("read", ErrorPolicy.read), ("write", ErrorPolicy.write),
                                        ("io", ErrorPolicy.read | ErrorPolicy.write), ("verify", ErrorPolicy.verify),
                                        ("all", 7), ("1", 7), ("true", 7)]
        for (v, bits) in forms {
            #expect(try parse("[j]\nsize=1m\ncontinue_on_error=\(v)\n")[0].errors.continueOn == bits, "\(v)")
        }
        // fio's format: read,write,verify lists of errno names or numbers, ':'-separated;
        // an empty part keeps the default (EIO, EILSEQ).
        let j = try parse("[j]\nsize=1m\ncontinue_on_error=write\nignore_error=,ENOSPC:28:edquot\nerror_dump=1\n")[0]
        #expect(j.errors.ignore[0] == nil && j.errors.ignore[2] == nil)
        #expect(j.errors.ignore[1] == [28, 28, 122])
        #expect(j.errors.dump)
        #expect(j.errors.continuesWrite(28) && !j.errors.continuesWrite(5))
        #expect(try parse("[j]\nsize=1m\ncontinue_on_error=write\n")[0].errors.continuesWrite(5))
        let k = try parse("[j]\nsize=1m\nignore_error=EIO,,84\n")[0]
        #expect(k.errors.ignore[0] == [5] && k.errors.ignore[1] == nil && k.errors.ignore[2] == [84])
        #expect(usageMessage { try parse("[j]\nsize=1m\nignore_error=,EBOGUS\n") }?.contains("unknown error 'EBOGUS'") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\nignore_error=,99999\n") }?.contains("is not an errno") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\nignore_error=a,b,c,d\n") }?.contains("at most read,write,verify") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\nerror_dump=maybe\n") }?.contains("expected a boolean") == true)
    }

    @Test func trimModesAndTheirBlockSize() throws {
        for (v, mode) in [("trim", RWMode.trim), ("randtrim", .randtrim), ("trimwrite", .trimwrite), ("randtrimwrite", .randtrimwrite)] {
            let j = try parse("[j]\nsize=1m\nrw=\(v)\n")[0]
            #expect(j.rw == mode && j.rw.trims && j.rw.modifies && !j.rw.reads)
        }
        #expect(RWMode.randtrim.isRandom && !RWMode.trimwrite.isRandom && RWMode.trimwrite.writes && !RWMode.trim.writes)
        // bs=read,write,trim; a value not followed by a comma applies to the directions after it.
        let a = try parse("[j]\nsize=1m\nrw=trimwrite\nbs=4k,4k,64k\n")[0]
        #expect(a.blockSize == [.fixed(4096), .fixed(4096), .fixed(65536)])
        #expect(a.maxBlockSize == 65536)
        #expect(try parse("[j]\nsize=1m\nbs=8k,32k\n")[0].blockSize == [.fixed(8192), .fixed(32768), .fixed(32768)])
        #expect(try parse("[j]\nsize=1m\nbs=8k,32k,\n")[0].blockSize == [.fixed(8192), .fixed(32768), .fixed(4096)])
        #expect(try parse("[j]\nsize=1m\nbs=,8k\n")[0].blockSize == [.fixed(4096), .fixed(8192), .fixed(8192)])
        #expect(try parse("[j]\nsize=1m\nbsrange=1k-4k,,8k-16k\n")[0].blockSize[2] == .range(min: 8192, max: 16384))
        #expect(try parse("[j]\nsize=1m\nbssplit=,,4k/50:8k/50\n")[0].blockSize[2] == .split([.init(size: 4096, percent: 50), .init(size: 8192, percent: 50)]))
        #expect(usageMessage { try parse("[j]\nsize=1m\nrw=trim\nrate=1m\n") }?.contains("rate limits on trims") == true)
        #expect(usageMessage { try parse("[j]\nsize=1m\nrw=randtrim\nverify=md5\n") }?.contains("writes no data to verify") == true)
        #expect(try parse("[j]\nsize=1m\nrw=trimwrite\nrate=1m\n")[0].rate[1] == 1 << 20)
        #expect(usageMessage { try parse("[j]\nsize=1m\nrw=trimwrite\nrate_iops=10,10,10\n") }?.contains("option rate_iops: a trim rate (its third value) is not supported") == true)
        #expect(try parse("[j]\nsize=1m\nrw=randread\nrate=300,300,300\n")[0].rate == [300, 300])
        #expect(try parse("[j]\nsize=1m\nrate_iops=10,20,\n")[0].rateIOPS == [10, 20])
    }

    @Test func fillDeviceAndCreateOnOpen() throws {
        let j = try parse("[j]\nrw=write\nfill_fs=1\ncreate_on_open=1\n")[0]
        #expect(j.fillDevice && j.size == nil && j.createsOnOpen)
        #expect(try parse("[j]\nfilename=/x\nrw=write\nfill_device\n")[0].fillDevice)
        #expect(usageMessage { try parse("[j]\nrw=read\nfill_device=1\n") }?.contains("needs a job that writes") == true)
        // A write job that continues on ENOSPC expects it too; a reading one is laid out.
        #expect(try parse("[j]\nsize=1m\nrw=randwrite\ncontinue_on_error=write\nignore_error=,ENOSPC\n")[0].createsOnOpen)
        #expect(try !parse("[j]\nsize=1m\nrw=randrw\ncontinue_on_error=write\nignore_error=,ENOSPC\n")[0].createsOnOpen)
        #expect(try !parse("[j]\nsize=1m\nrw=write\ncontinue_on_error=write\n")[0].createsOnOpen)
    }

    @Test func numaNodeLists() throws {
        let j = try parse("[j]\nsize=1m\nnuma_cpu_nodes=0-1,3\nnuma_mem_policy=bind:0\n")[0]
        #expect(j.numaCPUNodes == [0, 1, 3] && j.numaMemNodes == [0])
        #expect(usageMessage { try parse("[j]\nsize=1m\nnuma_mem_policy=bind\n") }?.contains("needs nodes") == true)
    }
}
