import BlockLabCore
import Testing
@testable import JobSpec

/// Each malformed job file must fail with a usage error naming the file, line and option.
@Suite struct MalformedInputTests {
    static let cases: [(text: String, message: String)] = [
        ("[j]\nsize=1m\niodepth=0\n", "t.fio:3: option iodepth: must be at least 1, got 0"),
        ("[j]\nsize=1m\niodepth=-4\n", "t.fio:3: option iodepth: must be at least 1, got -4"),
        ("[j]\nsize=1m\nnumjobs=0\n", "t.fio:3: option numjobs: must be at least 1"),
        ("[j]\nsize=1m\nnumjobs=two\n", "t.fio:3: option numjobs: expected a whole number, got 'two'"),
        ("[j]\nsize=1m\nbs=0\n", "t.fio:3: option bs: block size must be greater than 0"),
        ("[j]\nsize=1m\nbs=-4k\n", "t.fio:3: option bs: must not be negative"),
        ("[j]\nsize=12q\n", "t.fio:2: option size: unknown size suffix in '12q'"),
        ("[j]\nsize=k\n", "t.fio:2: option size: malformed size 'k'"),
        ("[j]\nsize=50%\n", "t.fio:1: job 'j': option size: a percentage size needs filename="),
        ("[j]\nsize=1m\nruntime=10x\n", "t.fio:3: option runtime: unknown time unit in '10x'"),
        ("[j]\nsize=1m\nramp_time=abc\n", "t.fio:3: option ramp_time: unknown time unit in 'abc'"),
        ("[j]\nsize=1m\nrwmixread=101\n", "t.fio:3: option rwmixread: must be a percentage 0-100, got 101"),
        ("[j]\nsize=1m\nrwmixread=70\nrwmixwrite=40\n", "t.fio:4: option rwmixwrite: rwmixread and rwmixwrite disagree"),
        ("[j]\nsize=1m\nbsrange=8k-4k\n", "t.fio:3: option bsrange: range minimum 8k is larger than maximum 4k"),
        ("[j]\nsize=1m\nbsrange=4k\n", "t.fio:3: option bsrange: expected a range such as 1k-4k"),
        ("[j]\nsize=1m\nbssplit=4k/60:64k/30\n", "t.fio:3: option bssplit: percentages add up to 90, not 100"),
        ("[j]\nsize=1m\nbssplit=4k/80:8k/30:16k\n", "t.fio:3: option bssplit: percentages add up to 110, more than 100"),
        ("[j]\nsize=1m\nbssplit=4k/x\n", "t.fio:3: option bssplit: percent must be a whole number"),
        ("[j]\nsize=1m\nioengine=windowsaio\n", "t.fio:3: option ioengine: unsupported ioengine 'windowsaio'; BlockLab supports io_uring (also libaio), psync (also sync, pvsync)"),
        ("[j]\nsize=1m\nrw=randread:8\n", "t.fio:3: option rw: the ':N' suffix ('randread:8') is not supported for random modes"),
        ("[j]\nsize=1m\nignore_error=,ENOPE\n", "t.fio:3: option ignore_error: unknown error 'ENOPE'"),
        ("[j]\nsize=1m\nrw=sideways\n", "t.fio:3: option rw: unknown mode 'sideways'"),
        ("[j]\nfilename=/a:/b\n", "t.fio:2: option filename: several files separated by ':'"),
        ("[j]\nrw=read\n", "t.fio:1: job 'j': option size: you need to specify size="),
        ("[j]\nsize=1m\nverify=crc64\n", "t.fio:3: option verify: unsupported verify 'crc64'; BlockLab supports crc32c, md5, sha256"),
        ("[j]\nsize=1m\nverify_pattern=0xzz\n", "t.fio:3: option verify_pattern: malformed hex pattern"),
        ("[j]\nsize=1m\nverify_pattern=abc\n", "t.fio:3: option verify_pattern: expected 0x hex bytes"),
        ("[j]\nsize=1m\nkb_base=1000\n", "t.fio:3: option kb_base: kb_base=1000 is not supported: BlockLab always reads k, m, g, t, p as powers of 1024"),
        ("[j]\nsize=1m\nbogus=1\n", "t.fio:3: option bogus: unknown option"),
        ("[j]\nsize=1m\nioscheduler=none\n", "t.fio:3: option ioscheduler: is a fio option BlockLab does not support"),
        ("[j]\nsize=1m\nbuffer_compress_percentage=101\n", "t.fio:3: option buffer_compress_percentage:"),
        ("[j]\nsize=1m\ndedupe_mode=sometimes\n", "t.fio:3: option dedupe_mode: expected one of repeat, working_set"),
        ("[j]\nsize=1m\nverify_backlog=-1\n", "t.fio:3: option verify_backlog: must be at least 0, got -1"),
        ("[j]\nsize=1m\nverify_backlog_batch=x\n", "t.fio:3: option verify_backlog_batch: expected a whole number, got 'x'"),
        ("[j]\nsize=1m\nverify_offset=1t\n", "t.fio:3: option verify_offset: must be at most 4g"),
        ("[j]\nsize=1m\ndedupe_percentage=101\n", "t.fio:3: option dedupe_percentage: must be at most 100, got 101"),
        ("[j]\nsize=1m\ndedupe_working_set_percentage=-5\n", "t.fio:3: option dedupe_working_set_percentage: must be at least 0, got -5"),
        ("[j]\nsize=1m\nbuffer_compress_chunk=8t\n", "t.fio:3: option buffer_compress_chunk: must be at most 4g"),
        ("[j]\nsize=1m\nflow_id=x\n", "t.fio:3: option flow_id: expected a whole number, got 'x'"),
        ("[j]\nsize=1m\nflow_sleep=-1\n", "t.fio:3: option flow_sleep: must not be negative"),
        ("[j]\nsize=1m\ncmdprio_percentage=101\n", "t.fio:3: option cmdprio_percentage: must be at most 100, got 101"),
        ("[j]\nsize=1m\nss_dur=abc\n", "t.fio:3: option ss_dur: unknown time unit in 'abc'"),
        ("[j]\nsize=1m\nlatency_percentile=101\n", "t.fio:3: option latency_percentile: expected a percentile from 0 to 100, got '101'"),
        ("[j]\nsize=1m\nlatency_window=-1\n", "t.fio:3: option latency_window: must not be negative"),
        ("[j]\nsize=1m\nruntme=10\n", "t.fio:3: option runtme: unknown option (did you mean 'runtime'?)"),
        ("[j]\nsize=1m\niodepth\n", "t.fio:3: option iodepth: needs a value (iodepth=VALUE)"),
        ("[j]\nsize=1m\ndirect=maybe\n", "t.fio:3: option direct: expected a boolean"),
        ("[j]\nsize=1m\nrandom_distribution=zipf:1\n", "t.fio:3: option random_distribution: zipf theta must be greater than 0 and not 1"),
        ("[j]\nsize=1m\nrandom_distribution=pareto:1.5\n", "t.fio:3: option random_distribution: pareto h must be between 0 and 1"),
        ("[j]\nsize=1m\nrandom_distribution=zoned:80/20:10/80\n", "t.fio:3: option random_distribution: zone access percentages add up to 90.00, not 100"),
        ("[j]\nsize=1m\nrandom_distribution=zoned:80/20:20/70\n", "zone size percentages add up to 90.00, not 100"),
        ("[j]\nsize=1m\nrandom_distribution=normal:5:2\n", "t.fio:3: option random_distribution: the centre must be between 0 and 1, got 2"),
        ("[j]\nsize=1m\nrandom_distribution=zipf:1.2:0.5:1\n", "t.fio:3: option random_distribution: expected zipf:VALUE[:CENTER]"),
        ("[j]\nsize=1m\nrandom_distribution=lognormal:3\n", "t.fio:3: option random_distribution: unknown distribution 'lognormal'"),
        ("[j]\nsize=1m\nrate=fast\n", "t.fio:3: option rate: unknown size suffix in 'fast'"),
        ("[j]\nsize=1m\nrate_iops=1k\n", "t.fio:3: option rate_iops: expected a whole number of I/Os per second"),
        ("[j]\nsize=1m\niodepth_batch_complete_min=8\niodepth_batch_complete_max=4\n", "t.fio:1: job 'j': option iodepth_batch_complete_min (8) is larger than iodepth_batch_complete_max (4)"),
        ("size=1m\n[j]\n", "t.fio:1: option 'size=1m' outside of a [section]"),
        ("[j\nsize=1m\n", "t.fio:1: unterminated section header"),
        ("[j]\nsize=${X\n", "t.fio:2: unterminated '${'"),
        ("[global]\nsize=1m\n", "t.fio: no jobs defined"),
        ("[global]\nbs=7z\n", "t.fio:2: option bs: unknown size suffix"),
        ("[j]\nsize=1m\n[k]\nsize=1m\nloops=0\n", "t.fio:5: option loops: must be at least 1"),
    ]

    @Test(arguments: cases.indices)
    func malformedInputIsAUsageErrorNamingFileLineAndOption(_ i: Int) {
        let (text, expected) = Self.cases[i]
        let m = usageMessage { try parse(text) }
        #expect(m?.contains(expected) == true, "input:\n\(text)\nexpected: \(expected)\ngot: \(m ?? "no error")")
    }

    @Test func usageErrorsMapToExitCode2() {
        do {
            _ = try parse("[j]\nsize=1m\niodepth=0\n")
            Issue.record("no error")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

/// Every problem of a job file in one pass, and fio's option table deciding "unsupported"
/// versus "unknown".
@Suite struct AllProblemsTests {
    @Test func everyProblemIsListedWithItsLineInOrder() {
        let text = "[global]\nbs=7z\n[a]\nsize=1m\nss=1\nbogusopt=1\n[b\nrw=sideways\n[c]\nsize=1m\niodepth=0\n"
        let m = usageMessage { try parse(text) } ?? ""
        let lines = m.split(separator: "\n").map(String.init)
        let expected = ["t.fio:2: option bs:", "t.fio:5: option ss:", "t.fio:6: option bogusopt:",
                        "t.fio:7: unterminated section header", "t.fio:8: option rw:", "t.fio:11: option iodepth:"]
        #expect(lines.count == expected.count + 1, "\(m)")
        for (line, prefix) in zip(lines, expected) { #expect(line.hasPrefix(prefix), "\(line) / \(prefix)") }
        #expect(lines.last == "(6 problems)")
    }

    @Test func aGlobalProblemIsListedOnceForAllItsJobs() {
        let m = usageMessage { try parse("[global]\nsize=1m\nbs=7z\n[a]\n[b]\n[c]\n") } ?? ""
        #expect(m == "t.fio:3: option bs: unknown size suffix in '7z' (use k, m, g, t or p; powers of 1024)", "\(m)")
    }

    @Test func fioOptionsAreToldFromUnknownOnes() {
        let cases: [(String, String)] = [
            ("iomem=malloc", "option iomem: is a fio option (fio's alias of mem) BlockLab does not support"),
            ("ss=1", "option ss: expected iops, iops_slope, bw or bw_slope with a limit (e.g. iops:10%), got '1'"),
            ("force_async=4", "option force_async: is an option of fio's io_uring engine that BlockLab's engines do not support"),
            ("hostname=a", "option hostname: is an option of fio's libhdfs/net/rdma engines, which BlockLab does not have (engines: io_uring (also libaio), psync (also sync, pvsync))"),
            ("ioengine=rdma", "option ioengine: ioengine 'rdma' is one of fio's network/RDMA/remote-storage engines: BlockLab measures local files and block devices only; it supports io_uring (also libaio), psync (also sync, pvsync)"),
            ("bx=4k", "option bx: unknown option (not a fio option either)"),
            ("rutnime=4", "option rutnime: unknown option (did you mean 'runtime'?)"),
            ("ioengin=psync", "option ioengin: unknown option (did you mean 'ioengine'?)"),
        ]
        for (line, expected) in cases {
            let m = usageMessage { try parse("[j]\nsize=1m\n\(line)\n") } ?? ""
            #expect(m == "t.fio:3: " + expected, "\(line): \(m)")
        }
    }

    @Test func noSuggestionForARealFioOptionOrAFarName() {
        #expect(Options.likelyTypo(of: "ss") == nil)
        #expect(Options.likelyTypo(of: "xyz") == nil)
        #expect(Options.likelyTypo(of: "iodepht") == "iodepth")
        #expect(Options.editDistance("iodepht", "iodepth") == 1)
    }

    @Test func theTableHoldsFiosOptionsAndAliases() {
        // Spot checks against fio 3.33's options.c and engines: the table must be the real one.
        #expect(FioOptionTable.options.count > 300)
        #expect(FioOptionTable.aliases["ratemin"] == "rate_min")
        #expect(FioOptionTable.aliases["ss"] == "steadystate")
        #expect(FioOptionTable.aliases["timeout"] == "runtime")
        if case .engine(let e) = FioOptionTable.options["sqthread_poll"] { #expect(e.contains("io_uring")) } else { Issue.record("sqthread_poll") }
        if case .job = FioOptionTable.options["write_bw_log"] {} else { Issue.record("write_bw_log") }
    }

    @Test func fiosProgramOptionsAreNotJobOptions() {
        let cases: [([String], String)] = [
            (["--name=a", "--size=1m", "--minimal"], "command line: --minimal: is one of fio's program options (not a job option): fio's terse"),
            (["--eta=never", "--name=a", "--size=1m"], "command line: --eta: is one of fio's program options (not a job option): fio's progress display"),
            (["--name=a", "--size=1m", "--append-terse"], "command line: --append-terse: is one of fio's program options"),
            (["--name=a", "--size=1m", "--trigger-file=x"], "command line: --trigger-file: is one of fio's program options (not a job option), which BlockLab does not support"),
        ]
        for (args, expected) in cases {
            let m = usageMessage { try JobParser.parse(arguments: args, environment: [:]) } ?? ""
            #expect(m.hasPrefix(expected), "\(args): \(m)")
        }
    }
}
