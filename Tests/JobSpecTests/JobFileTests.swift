import BlockLabCore
import Testing
@testable import JobSpec

@Suite struct JobFileTests {
    @Test func globalSectionsAccumulateOverLaterJobs() throws {
        let jobs = try parse("""
        [global]
        size=1g
        bs=8k
        [a]
        rw=randread
        [global]
        bs=64k
        iodepth=16
        [b]
        rw=write
        [c]
        bs=16k
        """)
        #expect(jobs.map(\.name) == ["a", "b", "c"])
        #expect(jobs[0].blockSize == [.fixed(8192), .fixed(8192), .fixed(8192)])
        #expect(jobs[0].iodepth == 1)
        #expect(jobs[1].blockSize == [.fixed(65536), .fixed(65536), .fixed(65536)])
        #expect(jobs[1].iodepth == 16)
        #expect(jobs[1].size == 1 << 30)
        #expect(jobs[2].blockSize == [.fixed(16384), .fixed(16384), .fixed(16384)])
        #expect(jobs[2].rw == .read)
        #expect(jobs[0].origin == "t.fio:4")
        // Job options: globals then the job's own, a repeated one in its first place with its last value.
        #expect(jobs[2].options.map(\.key) == ["size", "bs", "iodepth"])
        #expect(value(jobs[2], "bs") == "16k")
        #expect(jobs[2].globalOptions.map(\.key) == ["size", "bs", "iodepth"])
        #expect(jobs[2].globalOptions[1].value == "64k")
    }

    @Test func commentsAndTrailingComments() throws {
        let jobs = try parse("""
        ; a comment
        # another
          ; indented comment
        [job] ; trailing on a header
        size=4m ; four MiB
        bs=4k # block
        verify_pattern="a;b#c"
        filename=/tmp/x#1
        """)
        #expect(jobs.count == 1)
        #expect(jobs[0].size == 4 << 20)
        #expect(jobs[0].blockSize[0] == .fixed(4096))
        #expect(jobs[0].verifyPattern == Array("a;b#c".utf8))
        #expect(jobs[0].filename == "/tmp/x#1")
    }

    @Test func environmentVariablesExpandAndDefaultsApply() throws {
        let jobs = try parse("""
        [job-${SUFFIX}]
        filename=${DEV}${EMPTY}
        size=${SIZE}
        description=on ${UNSET:-some}host ${EMPTY:-x}${DEV:-y}
        """, env: ["SUFFIX": "x", "DEV": "/dev/nvme1n1", "SIZE": "2g", "EMPTY": ""])
        #expect(jobs[0].name == "job-x")
        #expect(jobs[0].filename == "/dev/nvme1n1")
        #expect(jobs[0].size == 2 << 30)
        #expect(jobs[0].description == "on somehost x/dev/nvme1n1")
    }

    @Test func bareBooleansAndBooleanValues() throws {
        let jobs = try parse("""
        [job]
        size=1m
        time_based
        group_reporting
        direct=1
        norandommap=true
        randrepeat=0
        fixedbufs=false
        stonewall
        end_fsync=yes
        [buffered]
        size=1m
        buffered
        """)
        let j = jobs[0]
        #expect(j.timeBased && j.groupReporting && j.direct && j.norandommap && j.stonewall && j.endFsync)
        #expect(!j.randrepeat && !j.fixedbufs)
        #expect(!jobs[1].direct)
        #expect(value(j, "time_based") == "")
    }

    @Test func sizeAndTimeForms() throws {
        let j = try parse("""
        [job]
        size=1.5g
        offset=0x1000
        io_size=10G
        bs=4KiB
        runtime=90
        ramp_time=500ms
        thinktime=250
        rate=10m,5m
        rate_iops=1000
        number_ios=77
        """)[0]
        #expect(j.size == 3 << 29)
        #expect(j.offset == 4096)
        #expect(j.ioSize == 10 << 30)
        #expect(j.runtimeNs == 90 * NS.perSecond)
        #expect(j.rampTimeNs == 500 * NS.perMillisecond)
        #expect(j.thinktimeNs == 250 * NS.perMicrosecond) // bare thinktime is microseconds
        #expect(j.rate == [10 << 20, 5 << 20])
        #expect(j.rateIOPS == [1000, 1000])
        #expect(j.numberIOs == 77)
        let k = try parse("[j]\nsize=1m\nruntime=2m\nthinktime=3ms\nrate=,5m\nrate_iops=500,\n")[0]
        #expect(k.runtimeNs == 120 * NS.perSecond)
        #expect(k.thinktimeNs == 3 * NS.perMillisecond)
        #expect(k.rate == [nil, 5 << 20])
        #expect(k.rateIOPS == [500, nil])
        #expect(!k.ratePoisson)
        #expect(try parse("[j]\nsize=1m\nrate_iops=50\nrate_process=poisson\n")[0].ratePoisson)
    }

    @Test func blockSizeForms() throws {
        let j = try parse("[j]\nsize=1m\nbs=4k,64k\n")[0]
        // A value not followed by a comma applies to trims too (fio).
        #expect(j.blockSize == [.fixed(4096), .fixed(65536), .fixed(65536)])
        let r = try parse("[j]\nsize=1m\nbsrange=1k-4k,8k-16k\n")[0]
        #expect(r.blockSize == [.range(min: 1024, max: 4096), .range(min: 8192, max: 16384), .range(min: 8192, max: 16384)])
        let s = try parse("[j]\nsize=1m\nbssplit=4k/60:64k/40,128k\n")[0]
        #expect(s.blockSize[0] == .split([.init(size: 4096, percent: 60), .init(size: 65536, percent: 40)]))
        #expect(s.blockSize[1] == .split([.init(size: 131072, percent: 100)]))
        // Entries without a percent share the rest, as fio does (remainder to the last one).
        let m = try parse("[j]\nsize=1m\nbssplit=4k/10:8k:16k:32k\n")[0]
        #expect(m.blockSize[0] == .split([.init(size: 4096, percent: 10), .init(size: 8192, percent: 30),
                                         .init(size: 16384, percent: 30), .init(size: 32768, percent: 30)]))
        let w = try parse("[j]\nsize=1m\nbs=,8k\n")[0]
        #expect(w.blockSize == [.fixed(4096), .fixed(8192), .fixed(8192)])
    }

    @Test func patternsDistributionsAndEnums() throws {
        let j = try parse("""
        [j]
        size=1m
        readwrite=randrw
        rwmixwrite=30
        verify=md5
        verify_pattern=0xdeadbeef
        random_distribution=zoned:60/10:30/20:10/70
        ioengine=psync
        iodepth_batch=8
        iodepth_batch_complete=2
        io_limit=2m
        wait_for_previous
        kb_base=1024
        volume=gp3:size=500g,iops=6000
        instance=m5.large
        """)[0]
        #expect(j.rw == .randrw && j.rwmixread == 70)
        #expect(j.verify == .md5)
        #expect(j.verifyPattern == [0xde, 0xad, 0xbe, 0xef])
        #expect(j.randomDistribution == .zoned([.init(accessPercent: 60, sizePercent: 10),
                                                .init(accessPercent: 30, sizePercent: 20),
                                                .init(accessPercent: 10, sizePercent: 70)]))
        #expect(j.ioengine == EngineCatalog.psync)
        #expect(j.iodepthBatchSubmit == 8 && j.iodepthBatchCompleteMin == 2)
        #expect(j.ioSize == 2 << 20 && j.stonewall)
        #expect(j.volume == "gp3:size=500g,iops=6000" && j.instance == "m5.large")
        #expect(try parse("[j]\nsize=1m\nverify_pattern=258\n")[0].verifyPattern == [0x02, 0x01])
        #expect(try parse("[j]\nsize=1m\nverify_pattern=0x123\n")[0].verifyPattern == [0x01, 0x23])
        // verify=null is fio's pretend verify (read back, nothing checked); 0 is none.
        #expect(try parse("[j]\nsize=1m\nverify=null\n")[0].verify == .null)
        #expect(try parse("[j]\nsize=1m\nverify=0\n")[0].verify == nil)
        #expect(try parse("[j]\nsize=1m\nrandom_distribution=zipf:1.2\n")[0].randomDistribution == .zipf(theta: 1.2))
        let centred = try parse("[j]\nsize=1m\nrandom_distribution=zipf:1.2:0.25\n")[0]
        #expect(centred.randomDistribution == .zipf(theta: 1.2) && centred.randomCenter == 0.25)
        #expect(try parse("[j]\nsize=1m\nrandom_distribution=normal:5\n")[0].randomCenter == nil)
        #expect(try parse("[j]\nsize=1m\nrandom_distribution=pareto:0.9\n")[0].randomDistribution == .pareto(h: 0.9))
        #expect(try parse("[j]\nsize=1m\nrandom_distribution=normal:5\n")[0].randomDistribution == .normal(deviation: 5))
        #expect(try parse("[j]\nsize=1m\nrandseed=0x10\n")[0].randseed == 16)
        #expect(try parse("[j]\nfilename=/a\\:b\n")[0].filename == "/a:b")
    }

    @Test func sectionNameBeatsGlobalNameAndJobNameOptionBeatsSection() throws {
        let jobs = try parse("[GLOBAL]\nname=g\nsize=1m\n[a]\n[b]\nname=renamed\n")
        #expect(jobs.map(\.name) == ["a", "renamed"])
    }

    @Test func rwmixInJobOverridesTheOtherInGlobal() throws {
        let j = try parse("[global]\nrwmixread=70\n[j]\nsize=1m\nrw=randrw\nrwmixwrite=50\n")[0]
        #expect(j.rwmixread == 50)
    }

    @Test func includeIsRelativeToTheIncludingFile() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        dir.write("inc/defaults.inc", "[global]\nbs=16k\ninclude more.inc\n")
        dir.write("inc/more.inc", "iodepth=8\n")
        let main = dir.write("main.fio", "include inc/defaults.inc\n[j]\nsize=1m\n")
        let j = try JobParser.parseFile(at: main, environment: [:])[0]
        #expect(j.blockSize[0] == .fixed(16384))
        #expect(j.iodepth == 8)
    }

    @Test func includeCycleIsAnError() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        dir.write("a.fio", "[global]\nbs=4k\ninclude b.fio\n[j]\nsize=1m\n")
        dir.write("b.fio", "include a.fio\n")
        let m = usageMessage { try JobParser.parseFile(at: dir.path + "/a.fio", environment: [:]) }
        #expect(m?.contains("include cycle") == true)
        let missing = usageMessage { try parse("include nope.inc\n[j]\nsize=1m\n") }
        #expect(missing?.hasPrefix("t.fio:1: include nope.inc") == true)
    }

    @Test func exampleProfilesParse() throws {
        let env = ["BLOCKLAB_TARGET": "/dev/nvme1n1"]
        let r = try JobParser.parseFile(at: profilesJobs + "/randread-4k.fio", environment: env)
        #expect(r.count == 1 && r[0].ioengineRequested == "libaio" && r[0].ioengine == EngineCatalog.ioUring && r[0].timeBased && r[0].numjobs == 4)
        #expect(r[0].filename == "/dev/nvme1n1")
        let m = try JobParser.parseFile(at: profilesJobs + "/mixed-70-30.fio", environment: env)
        #expect(m.map(\.name) == ["oltp", "log-writer"])
        #expect(m[0].rwmixread == 70 && m[1].stonewall && m[1].rate == [50 << 20, 50 << 20])
        let v = try JobParser.parseFile(at: profilesJobs + "/seq-verify.fio", environment: env)
        #expect(v[0].verify == .crc32c && v[0].endFsync && v[0].volume?.hasPrefix("gp3:") == true)
    }

    @Test func describeListsTheResolvedJob() throws {
        let j = try parse("""
        [db]
        filename=/dev/nvme1n1
        size=10g
        rw=randrw
        rwmixread=70
        bs=4k,64k
        iodepth=32
        runtime=30
        time_based
        rate_iops=1000
        verify=crc32c
        """)[0]
        let text = j.describe()
        for needle in ["job 'db' (t.fio:1)", "/dev/nvme1n1", "size 10GiB", "randrw (70% reads, 30% writes)",
                       "read 4KiB", "write 64KiB", "iodepth 32", "runtime 30.00s", "time_based",
                       "read 1000 IOPS", "verify crc32c"] {
            #expect(text.contains(needle), "missing '\(needle)' in:\n\(text)")
        }
        #expect(text.split(separator: "\n").count >= 6)
    }

    /// fio's scramble_buffers rule (init.c, get_io_u): on by default for writes; off for
    /// reads, refilled, verified, compressed or deduplicated writes; buffer_pattern and
    /// zero_buffers=1 turn it off unless scramble_buffers is set as well (after the pattern).
    @Test(arguments: [
        ("rw=randwrite\n", true),
        ("rw=randread\n", false),
        ("rw=randwrite\nscramble_buffers=0\n", false),
        ("rw=randwrite\nrefill_buffers\n", false),
        ("rw=randwrite\nverify=crc32c\n", false),
        ("rw=randwrite\nbuffer_compress_percentage=50\n", false),
        ("rw=randwrite\nbuffer_compress_percentage=50\nrefill_buffers=0\n", false),
        ("rw=randwrite\ndedupe_percentage=30\n", false),
        ("rw=randwrite\nzero_buffers\n", false),
        ("rw=randwrite\nzero_buffers\nscramble_buffers=1\n", true),
        ("rw=randwrite\nbuffer_pattern=0xdeadbeef\n", false),
        ("rw=randwrite\nbuffer_pattern=0xdeadbeef\nscramble_buffers=1\n", true),
        ("rw=randwrite\nscramble_buffers=1\nbuffer_pattern=0xdeadbeef\n", false),
        // Given at all, compression or dedupe fills the buffers: fio never scrambles them.
        ("rw=randwrite\nbuffer_compress_percentage=0\n", false),
        ("rw=randwrite\nbuffer_compress_percentage=100\n", false),
        ("rw=randwrite\ndedupe_percentage=0\n", false),
        // verify=null verifies nothing but is a verify mode to fio.
        ("rw=randwrite\nverify=null\n", false),
        ("rw=randwrite\nverify=0\n", true),
        // A pattern given while the job still reads (rw's default) refills every write.
        ("buffer_pattern=0xdeadbeef\nrw=randwrite\nscramble_buffers=1\n", false),
        ("rw=randrw\nbuffer_pattern=0xdeadbeef\nscramble_buffers=1\n", false),
    ])
    func scrambleBuffersFollowsFiosRule(options: String, scrambles: Bool) throws {
        let spec = try parse("[j]\nsize=1m\nbs=4k\n" + options)[0]
        #expect(spec.scramblesWrites == scrambles, "\(options)")
    }

    /// Bad values of scramble_buffers and verify are usage errors naming the option and value.
    @Test func badScrambleAndVerifyValuesAreUsageErrors() {
        let scramble = usageMessage { try parse("[j]\nsize=1m\nrw=write\nscramble_buffers=maybe\n") }
        #expect(scramble?.contains("scramble_buffers") == true && scramble?.contains("expected a boolean") == true, "\(scramble ?? "accepted")")
        let verify = usageMessage { try parse("[j]\nsize=1m\nrw=write\nverify=nul\n") }
        #expect(verify?.contains("unsupported verify 'nul'") == true && verify?.contains("null") == true, "\(verify ?? "accepted")")
    }

    /// Which writes are filled afresh: fio refills compressed, deduplicated and verify=null
    /// writes, but fully compressible is zero_buffers, filled once.
    @Test(arguments: [
        ("rw=randwrite\n", false),
        ("rw=randwrite\nbuffer_compress_percentage=50\n", true),
        ("rw=randwrite\nbuffer_compress_percentage=100\n", false),
        ("rw=randwrite\ndedupe_percentage=0\n", true),
        ("rw=randwrite\nverify=null\n", true),
        ("rw=randwrite\nbuffer_compress_percentage=50\nrefill_buffers=0\n", false),
        ("rw=randwrite\nbuffer_pattern=0xab\n", false),
        ("buffer_pattern=0xab\nrw=randwrite\n", true),
    ])
    func refillFollowsFiosRule(options: String, refills: Bool) throws {
        let spec = try parse("[j]\nsize=1m\nbs=4k\n" + options)[0]
        #expect(spec.refillsWrites == refills, "\(options)")
    }

    /// The dry run shows the verify interval the run will use: fio's rule turns an interval
    /// that does not divide the block sizes into their gcd.
    @Test func describeShowsTheVerifyIntervalInUse() throws {
        let asked = try parse("[j]\nsize=1m\nrw=write\nbs=4k\nverify=crc32c\nverify_interval=3\n")[0]
        #expect(asked.effectiveVerifyInterval == 4096)
        #expect(asked.describe().contains("every 4KiB (fio's rule for verify_interval=3 with these block sizes)"))
        let fits = try parse("[j]\nsize=1m\nrw=write\nbs=4k\nverify=crc32c\nverify_interval=512\n")[0]
        #expect(fits.describe().contains("every 512B") && !fits.describe().contains("fio's rule"))
    }
}

@Suite struct UnitFormTests {
    static let sizes: [(String, UInt64)] = [
        ("512", 512), ("4k", 4096), ("4K", 4096), ("4kb", 4096), ("4KiB", 4096), ("1m", 1 << 20), ("1M", 1 << 20),
        ("10G", 10 << 30), ("1.5g", 3 << 29), ("2t", 2 << 40), ("1p", 1 << 50), ("0x200", 512),
    ]
    static let durations: [(String, UInt64)] = [
        ("30", 30 * NS.perSecond), ("250ms", 250 * NS.perMillisecond), ("100us", 100 * NS.perMicrosecond),
        ("10s", 10 * NS.perSecond), ("2m", 120 * NS.perSecond), ("1h", 3600 * NS.perSecond),
        ("1d", 86400 * NS.perSecond), ("1.5s", 1500 * NS.perMillisecond), ("500ns", 500),
    ]

    @Test(arguments: sizes.indices)
    func sizeForm(_ i: Int) throws {
        let (text, bytes) = Self.sizes[i]
        let j = try parse("[j]\nsize=\(text)\noffset=\(text)\nio_size=\(text)\nrate=\(text)\n")[0]
        #expect(j.size == bytes && j.offset == bytes && j.ioSize == bytes && j.rate == [bytes, bytes], "\(text)")
    }

    @Test(arguments: durations.indices)
    func durationForm(_ i: Int) throws {
        let (text, ns) = Self.durations[i]
        let j = try parse("[j]\nsize=1m\nruntime=\(text)\nramp_time=\(text)\n")[0]
        #expect(j.runtimeNs == ns && j.rampTimeNs == ns, "\(text)")
    }

    @Test func bareThinktimeIsMicroseconds() throws {
        #expect(try parse("[j]\nsize=1m\nthinktime=10\n")[0].thinktimeNs == 10 * NS.perMicrosecond)
        #expect(try parse("[j]\nsize=1m\nthinktime=10s\n")[0].thinktimeNs == 10 * NS.perSecond)
    }
}

extension JobFileTests {
    /// fio's `thread` (19 of fio's own example files set it) is accepted: BlockLab's jobs are
    /// threads already. `timeout` is fio's alias of `runtime`.
    @Test func fiosThreadOptionAndTimeoutAliasAreAccepted() throws {
        let jobs = try parse("[global]\nthread\ntimeout=7\n[j]\nsize=1m\nthread=1\n")
        #expect(jobs.count == 1 && jobs[0].runtimeNs == 7 * NS.perSecond)
        #expect(usageMessage { _ = try parse("[j]\nsize=1m\nthread=maybe\n") }?.contains("t.fio:3: option thread") == true)
    }
}
