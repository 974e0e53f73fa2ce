/// The malformed-input corpus: one row per hostile input, across every subcommand. Each
/// names what it expects: the exit status (2 for bad input), stderr fragments any correct
/// message must contain (the option or file and the bad value, not exact wording), and
/// what may be written (by default nothing). Runs are tiny (1 MiB, 1 s) where one is
/// unavoidable.
enum Corpus {
    // MARK: - Builders

    /// A job file `t.fio`: one job on t.dat (1 MiB, 1 s) plus `extra` lines, run for real.
    static func job(_ name: String, _ extra: String, _ fragments: [String], args: [String] = [],
                    expect: Expect = .code(2), allowed: [String] = [], setup: [Setup] = [], checks: [Check] = []) -> CorpusCase {
        CorpusCase(name: "job file: \(name)", args: ["run", "t.fio"] + args,
                   setup: [.file("t.fio", "[j]\nfilename=t.dat\nsize=1m\nruntime=1\n" + extra)] + setup,
                   expect: expect, stderr: fragments, allowed: allowed, checks: checks)
    }

    /// A raw job file text.
    static func jobText(_ name: String, _ text: String, _ fragments: [String], checks: [Check] = []) -> CorpusCase {
        CorpusCase(name: "job file: \(name)", args: ["run", "t.fio"], setup: [.file("t.fio", text)], stderr: fragments, checks: checks)
    }

    static let runBase = ["run", "--name=j", "--filename=t.dat", "--size=1m", "--runtime=1"]

    /// `blocklab run` with fio-style options on t.dat (1 MiB, 1 s) plus `extra`.
    static func run(_ name: String, _ extra: [String], _ fragments: [String], expect: Expect = .code(2),
                    allowed: [String] = [], setup: [Setup] = [], checks: [Check] = [], openFiles: Int? = nil) -> CorpusCase {
        CorpusCase(name: name, args: runBase + extra, setup: setup, expect: expect, stderr: fragments,
                   allowed: allowed, checks: checks, openFiles: openFiles)
    }

    static let simBase = ["simulate", "--name=j", "--rw=randread", "--bs=16k", "--iodepth=8", "--runtime=1m"]

    static func simulate(_ name: String, _ extra: [String], _ fragments: [String], setup: [Setup] = [], memoryKiB: Int? = nil) -> CorpusCase {
        CorpusCase(name: name, args: simBase + extra, setup: setup, stderr: fragments, memoryKiB: memoryKiB)
    }

    /// `simulate --series s.jsonl` with this text.
    static func series(_ name: String, _ text: String, _ fragments: [String], memoryKiB: Int? = 2_000_000) -> CorpusCase {
        CorpusCase(name: "series: \(name)", args: ["simulate", "--series", "s.jsonl", "--volume", "gp3:size=100g"],
                   setup: [.file("s.jsonl", text)], stderr: fragments, memoryKiB: memoryKiB)
    }

    static func seriesLine(t: String = "1000", dur: String = "1000", iops: String = "100", bw: String = "409600") -> String {
        "{\"t_ms\":\(t),\"dur_ms\":\(dur),\"job\":\"j\",\"read\":{\"iops\":\(iops),\"bw_bytes\":\(bw)}}\n"
    }

    /// `--volume SPEC` on a real run (must be refused before any I/O) and on simulate.
    static func volume(_ spec: String, _ fragments: [String]) -> [CorpusCase] {
        [run("volume spec (run): \(spec)", ["--volume", spec], fragments),
         simulate("volume spec (simulate): \(spec)", ["--volume", spec], fragments)]
    }

    /// A profiles directory `prof` holding `volumes/NAME.yaml` (or an instance) with this text.
    static func profile(_ name: String, kind: String = "volumes", file: String = "gp3", _ text: String,
                        args: [String] = ["--volume", "gp3:size=100g"], _ fragments: [String]) -> CorpusCase {
        CorpusCase(name: "profile: \(name)", args: simBase + ["--profiles", "prof"] + args,
                   setup: [.dir("prof"), .dir("prof/volumes"), .dir("prof/instances"),
                           .file("prof/volumes/gp3.yaml", gp3), .file("prof/\(kind)/\(file).yaml", text)],
                   stderr: fragments, memoryKiB: 2_000_000)
    }

    static let gp3 = """
        name: gp3
        rules: gp3
        source: "corpus"
        media: ssd
        ebs_op_size_kib: 256
        size_gib: {min: 1, max: 65536}
        iops: {included: 3000, min: 3000, max: 80000, max_per_gib: 500}
        throughput_mibps: {included: 125, min: 125, max: 2000, max_per_iops: 0.25}
        latency_us: {floor: 250, median: 800, p99: 4000}
        price: {region: us-east-1, gb_month: 0.08, iops_month_above_included: 0.005, mibps_month_above_included: 0.04}

        """

    static let m5 = """
        name: m5.large
        source: "corpus"
        ebs: {baseline_mbps: 81.25, max_mbps: 593.75, baseline_iops: 3600, max_iops: 18750, burst_minutes_per_24h: 30}

        """

    /// A pool command on the standard pool (`Setup.pool`), which must still check OK after.
    static func pool(_ name: String, _ args: [String], _ fragments: [String], expect: Expect = .code(2),
                     allowed: [String] = [], setup: [Setup] = [], checks: [Check] = []) -> CorpusCase {
        CorpusCase(name: name, args: args, setup: [.pool] + setup, expect: expect, stderr: fragments,
                   allowed: allowed, checks: [.poolOK("p")] + checks)
    }

    static let bigNumber = "99999999999999999999"
    static let thp = "/sys/kernel/mm/transparent_hugepage/enabled"
    static let readOnlySysfs = "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"

    // MARK: - The cases

    static let cases: [CorpusCase] = jobFiles + commandLine + volumeSpecs + profiles + seriesFiles + pools + outputs + targets + dryRun

    static let jobFiles: [CorpusCase] = [
        job("iodepth=0", "iodepth=0\n", ["iodepth", "@0"]),
        job("iodepth=-4", "iodepth=-4\n", ["iodepth", "-4"]),
        job("iodepth too large for a ring", "iodepth=65536\n", ["iodepth"]),
        job("iodepth overflow", "iodepth=\(bigNumber)\n", ["iodepth", bigNumber]),
        job("iodepth=32768 (ring set-up)", "rw=randread\niodepth=32768\n", ["iodepth|io_uring"], expect: .oneOf([1, 2]), allowed: ["t.dat"]),
        job("numjobs=0", "numjobs=0\n", ["numjobs", "@0"]),
        job("numjobs=two", "numjobs=two\n", ["numjobs", "two"]),
        job("numjobs huge", "numjobs=100000000\n", ["numjobs"]).with(timeout: 10),
        job("bs=0", "bs=0\n", ["@bs", "@0"]),
        job("bs negative", "bs=-4k\n", ["@bs", "negative"]),
        job("bs overflow", "bs=\(bigNumber)\n", ["@bs", bigNumber]),
        job("bs=1g size=16m", "size=16m\nbs=1g\n", ["@bs", "size"]),
        job("bsrange above size", "bsrange=4k-64m\n", ["bsrange|@bs"]),
        job("size unknown suffix", "size=12q\n", ["size", "12q"]),
        job("size=k", "size=k\n", ["size", "'k'"]),
        job("size percent", "size=50%\n", ["size", "50%"]),
        job("size=0", "size=0\n", ["size", "@0"]),
        job("size overflow", "size=\(bigNumber)\n", ["size", bigNumber]),
        job("size 16 EiB in k", "size=18014398509481984k\n", ["size", "18014398509481984k"]),
        job("offset near 2^64", "offset=18446744073709551615\n", ["offset"]),
        job("offset+size overflow", "offset=16383p\nsize=2p\n", ["offset|size"]),
        job("runtime unknown unit", "runtime=10x\n", ["runtime", "10x"]),
        job("runtime overflow", "runtime=\(bigNumber)\n", ["runtime", bigNumber]),
        job("runtime 1e400", "runtime=1e400\n", ["runtime", "1e400"]),
        job("runtime 18446744073s time_based", "time_based\nruntime=18446744073s\n", ["runtime", "18446744073"]),
        job("runtime days overflow", "runtime=\(bigNumber)d\n", ["runtime", bigNumber]),
        job("ramp_time garbage", "ramp_time=abc\n", ["ramp_time", "abc"]),
        job("ramp_time overflow", "ramp_time=\(bigNumber)\n", ["ramp_time", bigNumber]),
        job("ramp_time + runtime overflow", "time_based\nramp_time=18446744073s\n", ["ramp_time", "18446744073"]),
        job("thinktime overflow", "thinktime=\(bigNumber)s\n", ["thinktime", bigNumber]),
        job("rwmixread=101", "rwmixread=101\n", ["rwmixread", "101"]),
        job("rwmixread/rwmixwrite disagree", "rwmixread=70\nrwmixwrite=40\n", ["rwmixwrite", "rwmixread"]),
        job("bsrange reversed", "bsrange=8k-4k\n", ["bsrange", "8k"]),
        job("bssplit short of 100", "bssplit=4k/60:64k/30\n", ["bssplit", "90"]),
        job("ioengine=rdma", "ioengine=rdma\n", ["ioengine", "rdma"]),
        job("rw unknown", "rw=sideways\n", ["@rw", "sideways"]),
        job("ignore_error unknown name", "ignore_error=,ENOPE\n", ["ignore_error", "ENOPE"]),
        job("continue_on_error garbage", "continue_on_error=maybe\n", ["continue_on_error", "maybe"]),
        job("filename list", "filename=/a:/b\n", ["filename", "/a:/b"]),
        jobText("no size and no file", "[j]\nrw=read\n", ["size"]),
        job("verify unknown", "verify=crc64\n", ["verify", "crc64"]),
        job("verify_pattern bad hex", "verify_pattern=0xzz\n", ["verify_pattern", "0xzz"]),
        job("kb_base=1000", "kb_base=1000\n", ["kb_base", "1000"]),
        job("unknown option", "bogus=1\n", ["bogus", "unknown"]),
        job("unsupported fio option", "ioscheduler=none\n", ["ioscheduler", "support"]),
        job("misspelt option", "runtme=10\n", ["runtme"]),
        job("option without value", "iodepth\n", ["iodepth", "value"]),
        job("boolean garbage", "direct=maybe\n", ["direct", "maybe"]),
        job("zipf theta 1", "random_distribution=zipf:1\n", ["random_distribution", "zipf"]),
        job("distribution unknown", "random_distribution=lognormal:3\n", ["random_distribution", "lognormal"]),
        job("rate garbage", "rate=fast\n", ["@rate", "fast"]),
        job("rate_iops 1k", "rate_iops=1k\n", ["rate_iops", "1k"]),
        job("rate_iops overflow", "rate_iops=\(bigNumber)\n", ["rate_iops", bigNumber]),
        job("rate overflow", "rate=\(bigNumber)\n", ["@rate", bigNumber]),
        job("number_ios negative", "number_ios=-1\n", ["number_ios", "-1"]),
        job("loops=0", "loops=0\n", ["loops", "@0"]),
        job("loops overflow", "loops=\(bigNumber)\n", ["loops", bigNumber]),
        job("cpus_allowed reversed", "cpus_allowed=5-2\n", ["cpus_allowed", "5-2"]),
        job("cpus_allowed beyond the machine", "cpus_allowed=4000-4095\n", ["cpus_allowed"]),
        job("blockalign=0", "blockalign=0\n", ["blockalign"]),
        job("iodepth_batch_complete min > max", "iodepth_batch_complete_min=8\niodepth_batch_complete_max=4\n", ["iodepth_batch_complete_min"]),
        job("randseed overflow", "randseed=\(bigNumber)\n", ["randseed", bigNumber]),
        job("unset variable in filename", "filename=${BLOCKLAB_CORPUS_UNSET}\n", ["BLOCKLAB_CORPUS_UNSET"]),
        job("unset variable in size", "size=${BLOCKLAB_CORPUS_UNSET}\n", ["BLOCKLAB_CORPUS_UNSET"]),
        job("unset variable in directory", "directory=${BLOCKLAB_CORPUS_UNSET}\n", ["BLOCKLAB_CORPUS_UNSET"]),
        job("empty variable name", "size=${}\n", ["${}"]),
        job("unterminated variable", "size=${X\n", ["${"]),
        job("escape in option name", "io\u{1b}[31mdepth=4\n", ["31mdepth"]),
        job("terminal title escape in value", "rw=\u{1b}]0;pwned\u{07}\n", ["@rw", "pwned"]),
        job("bell and backspace in value", "ioengine=io_uring\u{08}\u{08}\u{07}x\n", ["ioengine"]),
        job("NUL in value", "bs=4k\u{0}\n", ["@bs"]),
        job("DEL in option name", "iode\u{7f}pth=4\n", ["iode"]),
        CorpusCase(name: "job file: invalid UTF-8", args: ["run", "t.fio"],
                   setup: [.bytes("t.fio", Array("[j]\nfilename=t.dat\nsize=1m\nrw=".utf8) + [0xff, 0xfe, 0x0a])], stderr: ["@rw"]),
        jobText("option outside a section", "size=1m\n[j]\n", ["size=1m", "section"]),
        jobText("unterminated section header", "[j\nsize=1m\n", ["[j"]),
        jobText("empty section name", "[]\nsize=1m\n", ["[]"]),
        jobText("only [global]", "[global]\nsize=1m\n", ["t.fio", "no jobs"]),
        jobText("empty file", "", ["t.fio"]),
        jobText("one huge option name", "[j]\nsize=1m\n" + String(repeating: "a", count: 200_000) + "=1\n", ["unknown"]),
        job("include of a missing file", "include nothere.inc\n", ["nothere.inc"]),
        job("include of itself", "include t.fio\n", ["cycle"]),
        job("include of a directory", "include incdir\n", ["incdir"], setup: [.dir("incdir")]),
        job("include of /proc/self/environ", "include /proc/self/environ\n", ["/proc/self/environ"],
            checks: [.outputExcludes(Harness.secret), .outputExcludes("BLOCKLAB_CORPUS_SECRET")]).with(cleanEnvironment: true),
        job("include via symlink to /proc/self/environ", "include env.inc\n", ["env.inc"],
            setup: [.symlink("env.inc", to: "/proc/self/environ")],
            checks: [.outputExcludes(Harness.secret), .outputExcludes("BLOCKLAB_CORPUS_SECRET")]).with(cleanEnvironment: true),
        CorpusCase(name: "job file: include of /dev/zero", args: ["run", "t.fio", "--dry-run"],
                   setup: [.file("t.fio", "[j]\nsize=1m\ninclude /dev/zero\n")], stderr: ["/dev/zero"], memoryKiB: 2_000_000),
        CorpusCase(name: "job file: /dev/zero as the job file", args: ["run", "/dev/zero", "--dry-run"],
                   stderr: ["/dev/zero"], memoryKiB: 2_000_000),
        CorpusCase(name: "job file: /dev/urandom via symlink", args: ["run", "rnd.fio", "--dry-run"],
                   setup: [.symlink("rnd.fio", to: "/dev/urandom")], stderr: ["rnd.fio"], memoryKiB: 2_000_000),
        CorpusCase(name: "job file: 3 GiB sparse file", args: ["run", "huge.fio", "--dry-run"],
                   setup: [.sparse("huge.fio", 3 << 30)], stderr: ["huge.fio"], memoryKiB: 2_000_000),
        CorpusCase(name: "job file: a FIFO", args: ["run", "jobs.fifo", "--dry-run"],
                   setup: [.fifo("jobs.fifo")], stderr: ["jobs.fifo"], timeout: 8),
        CorpusCase(name: "job file: a directory", args: ["run", "jobdir"], setup: [.dir("jobdir")], stderr: ["jobdir"]),
        CorpusCase(name: "job file: missing", args: ["run", "missing.fio"], stderr: ["missing.fio"]),
    ]

    static let commandLine: [CorpusCase] = [
        run("cli: --iodepth=0", ["--iodepth=0"], ["iodepth", "@0"]),
        CorpusCase(name: "cli: --size=-1", args: ["run", "--name=j", "--filename=t.dat", "--size=-1"], stderr: ["size", "negative"]),
        run("cli: --runtime overflow", ["--runtime=\(bigNumber)"], ["runtime", bigNumber]),
        run("cli: --time_based --runtime=18446744073s", ["--time_based", "--runtime=18446744073s"], ["runtime", "18446744073"]),
        run("cli: --bs=1g with --size=16m", ["--size=16m", "--bs=1g"], ["@bs", "size"]),
        run("cli: --bs=8k with --size=4k", ["--size=4k", "--bs=8k"], ["@bs", "size"]),
        run("cli: O_DIRECT with bs=100", ["--direct=1", "--bs=100"], ["@bs|align|512"]),
        run("cli: O_DIRECT with a misaligned offset", ["--direct=1", "--offset=1000"], ["offset|align"]),
        run("cli: iodepth=32768 (ring set-up)", ["--rw=randread", "--size=16m", "--iodepth=32768"], ["iodepth|io_uring"],
            expect: .oneOf([1, 2]), allowed: ["t.dat"]),
        run("cli: numjobs=20 with ulimit -n 24", ["--size=16m", "--numjobs=20"], ["numjobs|open files|ulimit"],
            expect: .oneOf([1, 2]), allowed: ["t.dat"], openFiles: 24),
        run("cli: numjobs=5000 with ulimit -n 64", ["--numjobs=5000"], ["numjobs"], openFiles: 64),
        run("cli: unknown fio option", ["--frobnicate=1"], ["frobnicate"]),
        run("cli: option before --name", [], ["--name"], setup: []).with(args: ["run", "--size=1m"]),
        run("cli: empty --name", [], ["name"]).with(args: ["run", "--name=", "--size=1m"]),
        run("cli: single-dash argument", ["-x"], ["-x"]),
        run("cli: --rate_iops negative", ["--rate_iops=-5"], ["rate_iops", "-5"]),
        run("cli: --output-format without a value", ["--output-format"], ["--output-format"]),
        run("cli: --output-format=xml", ["--output-format=xml"], ["--output-format", "xml"]),
        run("cli: --volume without a value", ["--volume"], ["--volume"]),
        CorpusCase(name: "cli: unknown subcommand", args: ["frobnicate"], stderr: ["frobnicate"]),
        CorpusCase(name: "cli: pool create without a path", args: ["pool", "create"], stderr: ["path"]),
        CorpusCase(name: "cli: unknown flag on pool check", args: ["pool", "check", "p", "--frob"], stderr: ["--frob"]),
        CorpusCase(name: "cli: crash-test --kills 0", args: ["pool", "crash-test", "ct", "--kills", "0"], stderr: ["--kills"]),
        CorpusCase(name: "cli: crash-test --kills -1", args: ["pool", "crash-test", "ct", "--kills", "-1"], stderr: ["--kills"]),
        CorpusCase(name: "cli: crash-test --kills abc", args: ["pool", "crash-test", "ct", "--kills", "abc"], stderr: ["--kills", "abc"]),
        CorpusCase(name: "cli: crash-test --kills overflow", args: ["pool", "crash-test", "ct", "--kills", bigNumber], stderr: ["--kills"]),
        CorpusCase(name: "cli: crash-test --seed -1", args: ["pool", "crash-test", "ct", "--kills", "1", "--seed", "-1"], stderr: ["--seed"]),
        CorpusCase(name: "cli: crash-test --max-delay-ms -1", args: ["pool", "crash-test", "ct", "--kills", "1", "--max-delay-ms", "-1"], stderr: ["--max-delay-ms"]),
        CorpusCase(name: "cli: run --size -1 as two arguments", args: ["run", "--name=j", "--filename=t.dat", "--size", "-1"], stderr: ["size", "negative"]),
        CorpusCase(name: "cli: volume create without --size", args: ["volume", "create", "p/v"], setup: [.pool], stderr: ["--size"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: volume create --size -1", args: ["volume", "create", "p/v", "--size", "-1"], setup: [.pool], stderr: ["--size", "negative"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: volume create --size=-1", args: ["volume", "create", "p/v", "--size=-1"], setup: [.pool], stderr: ["--size", "negative"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: restore without --to", args: ["restore", "p/s1"], setup: [.pool], stderr: ["--to"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: restore --rate abc", args: ["restore", "p/s1", "--to", "r", "--rate", "abc"], setup: [.pool], stderr: ["--rate", "abc"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: restore --rate -5", args: ["restore", "p/s1", "--to", "r", "--rate", "-5"], setup: [.pool], stderr: ["--rate"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: restore --rate overflow", args: ["restore", "p/s1", "--to", "r", "--rate", bigNumber], setup: [.pool], stderr: ["--rate"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: prune --keep -1", args: ["snapshot", "prune", "p/b", "--keep", "-1"], setup: [.pool], stderr: ["--keep"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: prune --keep=-1", args: ["snapshot", "prune", "p/b", "--keep=-1"], setup: [.pool], stderr: ["--keep"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: prune --max-age overflow", args: ["snapshot", "prune", "p/b", "--max-age", "\(bigNumber)d"], setup: [.pool], stderr: ["--max-age", bigNumber], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: prune --max-age 2^64 days", args: ["snapshot", "prune", "p/b", "--max-age", "18446744073709551615d"], setup: [.pool], stderr: ["--max-age"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: prune --max-age=-1d", args: ["snapshot", "prune", "p/b", "--max-age=-1d"], setup: [.pool], stderr: ["--max-age"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: prune --max-age 1x", args: ["snapshot", "prune", "p/b", "--max-age", "1x"], setup: [.pool], stderr: ["--max-age", "1x"], checks: [.poolOK("p")]),
        CorpusCase(name: "cli: prune with neither --keep nor --max-age", args: ["snapshot", "prune", "p/b"], setup: [.pool], stderr: ["--keep"], checks: [.poolOK("p")]),
        simulate("cli: simulate --interval 0", ["--volume", "gp3:size=100g", "--interval", "0"], ["--interval"]),
        simulate("cli: simulate --interval -5s", ["--volume", "gp3:size=100g", "--interval", "-5s"], ["--interval"]),
        simulate("cli: simulate --interval overflow", ["--volume", "gp3:size=100g", "--interval", "\(bigNumber)s"], ["--interval", bigNumber]),
        simulate("cli: simulate --interval 1ns (millions of rows)", ["--volume", "gp3:size=100g", "--interval", "1ns"], ["--interval|rows"], memoryKiB: 2_000_000).with(timeout: 10),
        simulate("cli: simulate runtime of centuries", ["--volume", "gp3:size=100g", "--runtime=18446744073s"], ["runtime|interval|rows"], memoryKiB: 2_000_000).with(timeout: 10),
        simulate("cli: simulate runtime overflow", ["--volume", "gp3:size=100g", "--runtime=\(bigNumber)"], ["runtime", bigNumber]),
        simulate("cli: simulate huge iodepth", ["--volume", "gp3:size=100g", "--iodepth=99999999999"], ["iodepth"], memoryKiB: 2_000_000),
        simulate("cli: simulate --output-format=xml", ["--volume", "gp3:size=100g", "--output-format=xml"], ["--output-format", "xml"]),
        simulate("cli: simulate without --volume", [], ["--volume"]),
        CorpusCase(name: "cli: simulate time_based without runtime", args: ["simulate", "--name=j", "--rw=randread", "--time_based", "--volume", "gp3:size=100g"],
                   stderr: ["time_based needs runtime"]),
        CorpusCase(name: "cli: simulate without jobs", args: ["simulate", "--volume", "gp3:size=100g"], stderr: ["job"]),
    ]

    static let volumeSpecs: [CorpusCase] =
        volume("gp3:size=-1", ["size", "-1"])
        + volume("gp3:size=0", ["size"])
        + volume("gp3:size=100g,iops=\(bigNumber)", ["iops", bigNumber])
        + volume("gp3:size=100g,iops=1e308", ["iops", "1e308"])
        + volume("gp3:size=100g,iops=-5", ["iops", "-5"])
        + volume("io2:size=100g,iops=18446744073709551615", ["iops"])
        + volume("gp3:size=100g,throughput=18446744073709551615", ["throughput"])
        + volume("nope:size=1g", ["nope"])
        + volume("gp3:size=100g,colour=red", ["colour"])
        + volume("gp3:size", ["size"])
        + volume("gp3:size=100g,size=200g", ["size"])
        + volume("gp2:size=100g,burst-balance=200%", ["burst-balance", "200"])
        + volume("gp2:size=100g,burst-balance=nan", ["burst-balance", "nan"])
        + volume("gp2:size=100g,burst-balance=-5%", ["burst-balance", "-5"])
        + volume(":size=1g", ["--volume"])
        + volume("gp3:size=1.5g", ["size", "1.5g"])
        + volume("gp3:size=\(bigNumber)g", ["size", bigNumber])
        + volume("gp3:", ["--volume"])
        + volume("../volumes/gp3:size=100g", ["../volumes/gp3"])
        + volume("gp3:size=100g,\u{1b}[2J=1", ["[2j"])
        + [
            run("volume: --instance unknown", ["--volume", "gp3:size=100g", "--instance", "nope.large"], ["nope.large"]),
            run("volume: --instance without --volume", ["--instance", "m5.large"], ["--volume"]),
            simulate("volume: simulate --instance unknown", ["--volume", "gp3:size=100g", "--instance", "nope.large"], ["nope.large"]),
            run("volume: job larger than the volume", ["--size=2g", "--volume", "gp3:size=1g"], ["gp3"]),
            job("volume= in a job file", "volume=gp3:size=-1\n", ["size", "-1"]),
            job("instance= in a job file", "volume=gp3:size=100g\ninstance=nope.large\n", ["nope.large"]),
        ]

    static let profiles: [CorpusCase] = [
        run("profiles: --profiles nodir (run)", ["--volume", "gp3:size=100g", "--profiles", "nodir"], ["nodir"]),
        simulate("profiles: --profiles nodir (simulate)", ["--volume", "gp3:size=100g", "--profiles", "nodir"], ["nodir"]),
        simulate("profiles: --profiles is a file", ["--volume", "gp3:size=100g", "--profiles", "pf"], ["pf"], setup: [.file("pf", "x\n")]),
        profile("not YAML", "{{{ not: [yaml\n", ["gp3.yaml"]),
        profile("empty", "", ["gp3.yaml"]),
        profile("iops 1e308", gp3.replacingOccurrences(of: "included: 3000, min: 3000, max: 80000", with: "included: 1e308, min: 3000, max: 1e308"), ["iops"]),
        profile("iops .inf", gp3.replacingOccurrences(of: "max: 80000", with: "max: .inf"), ["iops"]),
        profile("throughput .nan", gp3.replacingOccurrences(of: "max_per_iops: 0.25", with: "max_per_iops: .nan"), ["max_per_iops"]),
        profile("latency negative", gp3.replacingOccurrences(of: "floor: 250", with: "floor: -250"), ["floor"]),
        profile("size_gib min above max", gp3.replacingOccurrences(of: "{min: 1, max: 65536}", with: "{min: 70000, max: 65536}"), ["size_gib"]),
        profile("a symlink to /dev/zero", kind: "volumes", file: "gp2", "", args: ["--volume", "gp2:size=100g"], ["gp2.yaml"])
            .adding(setup: .symlink("prof/volumes/gp2z.yaml", to: "/dev/zero"))
            .with(args: simBase + ["--profiles", "prof", "--volume", "gp2z:size=100g"]).with(stderr: ["gp2z.yaml"]),
        profile("a directory", kind: "volumes", file: "unused", gp3, args: ["--volume", "gpd:size=100g"], ["gpd.yaml"])
            .adding(setup: .dir("prof/volumes/gpd.yaml")),
        profile("a FIFO", kind: "volumes", file: "unused", gp3, args: ["--volume", "gpf:size=100g"], ["gpf.yaml"])
            .adding(setup: .fifo("prof/volumes/gpf.yaml")).with(timeout: 8),
        profile("instance max_mbps .inf", kind: "instances", file: "m5.large", m5.replacingOccurrences(of: "max_mbps: 593.75", with: "max_mbps: .inf"),
                args: ["--volume", "gp3:size=100g", "--instance", "m5.large"], ["max_mbps"]),
        profile("instance baseline_iops 1e300", kind: "instances", file: "m5.large", m5.replacingOccurrences(of: "baseline_iops: 3600", with: "baseline_iops: 1e300"),
                args: ["--volume", "gp3:size=100g", "--instance", "m5.large"], ["baseline_iops"]),
        profile("instance negative burst minutes", kind: "instances", file: "m5.large", m5.replacingOccurrences(of: "burst_minutes_per_24h: 30", with: "burst_minutes_per_24h: -30"),
                args: ["--volume", "gp3:size=100g", "--instance", "m5.large"], ["burst_minutes_per_24h"]),
    ]

    static let seriesFiles: [CorpusCase] = [
        series("iops 1e308", seriesLine(iops: "1e308", bw: "1e308"), ["iops"]),
        series("iops NaN", seriesLine(iops: "NaN"), ["s.jsonl:1"]),
        series("iops negative", seriesLine(iops: "-5"), ["iops"]),
        series("bw_bytes 1e20", seriesLine(iops: "1", bw: "1e20"), ["bw_bytes"]),
        series("iops 1.8e19", seriesLine(iops: "1.8e19", bw: "1e300"), ["iops"]),
        series("t_ms and dur_ms 1e308", seriesLine(t: "1e308", dur: "1e308"), ["t_ms|dur_ms"]),
        series("dur_ms a century", seriesLine(t: "3.6e12", dur: "3.6e12"), ["t_ms|dur_ms|interval|rows", "100 years|rows"]).with(timeout: 10),
        series("dur_ms 0", seriesLine(dur: "0"), ["dur_ms"]),
        series("dur_ms above t_ms", seriesLine(t: "10", dur: "1000"), ["dur_ms"]),
        series("not JSON", "hello\n", ["s.jsonl:1"]),
        series("empty", "", ["s.jsonl"]),
        series("read is a number", "{\"t_ms\":1000,\"dur_ms\":1000,\"job\":\"j\",\"read\":5}\n", ["read"]),
        series("fewer bytes than I/Os", seriesLine(iops: "1000", bw: "10"), ["read"]),
        series("huge line", "{\"t_ms\":1000,\"dur_ms\":1000,\"job\":\"" + String(repeating: "x", count: 300_000) + "\",\"read\":{\"iops\":\"x\"}}\n", ["s.jsonl:1"]),
        CorpusCase(name: "series: a directory", args: ["simulate", "--series", "sdir", "--volume", "gp3:size=100g"], setup: [.dir("sdir")], stderr: ["sdir"]),
        CorpusCase(name: "series: missing", args: ["simulate", "--series", "missing.jsonl", "--volume", "gp3:size=100g"], stderr: ["missing.jsonl"]),
        CorpusCase(name: "series: a FIFO", args: ["simulate", "--series", "s.fifo", "--volume", "gp3:size=100g"], setup: [.fifo("s.fifo")], stderr: ["s.fifo"], timeout: 8),
        CorpusCase(name: "series: /dev/zero", args: ["simulate", "--series", "/dev/zero", "--volume", "gp3:size=100g"], stderr: ["/dev/zero"], memoryKiB: 2_000_000),
        CorpusCase(name: "series: 3 GiB sparse file", args: ["simulate", "--series", "big.jsonl", "--volume", "gp3:size=100g"], setup: [.sparse("big.jsonl", 3 << 30)], stderr: ["big.jsonl"], memoryKiB: 2_000_000),
        CorpusCase(name: "series: with jobs as well", args: simBase + ["--series", "s.jsonl", "--volume", "gp3:size=100g"], setup: [.file("s.jsonl", seriesLine())], stderr: ["--series"]),
        CorpusCase(name: "series: --interval 0", args: ["simulate", "--series", "s.jsonl", "--volume", "gp3:size=100g", "--interval", "0"], setup: [.file("s.jsonl", seriesLine())], stderr: ["--interval"]),
    ]

    static let pools: [CorpusCase] = [
        CorpusCase(name: "pool: create --chunk-size 3k", args: ["pool", "create", "np", "--chunk-size", "3k"], stderr: ["--chunk-size", "3k|3072"]),
        CorpusCase(name: "pool: create --chunk-size 0", args: ["pool", "create", "np", "--chunk-size", "0"], stderr: ["--chunk-size"]),
        CorpusCase(name: "pool: create --chunk-size 2m", args: ["pool", "create", "np", "--chunk-size", "2m"], stderr: ["--chunk-size"]),
        CorpusCase(name: "pool: create --chunk-size -4k", args: ["pool", "create", "np", "--chunk-size=-4k"], stderr: ["--chunk-size", "-4k"]),
        CorpusCase(name: "pool: create --chunk-size overflow", args: ["pool", "create", "np", "--chunk-size", bigNumber], stderr: ["--chunk-size", bigNumber]),
        CorpusCase(name: "pool: create --chunk-size 64q", args: ["pool", "create", "np", "--chunk-size", "64q"], stderr: ["--chunk-size", "64q"]),
        CorpusCase(name: "pool: create on a regular file", args: ["pool", "create", "f"], setup: [.file("f", "data\n")], stderr: ["@f"]),
        CorpusCase(name: "pool: create in a non-empty directory", args: ["pool", "create", "d"], setup: [.dir("d"), .file("d/x", "x\n")], stderr: ["@d"]),
        pool("pool: create over an existing pool", ["pool", "create", "p"], ["@p"]),
        CorpusCase(name: "pool: create through a symlink into /proc", args: ["pool", "create", "procdir/np"], setup: [.symlink("procdir", to: "/proc/self")], stderr: ["procdir"]),
        CorpusCase(name: "pool: check a missing pool", args: ["pool", "check", "nopool"], stderr: ["nopool"]),
        CorpusCase(name: "pool: check a regular file", args: ["pool", "check", "f"], setup: [.file("f", "x\n")], stderr: ["@f"]),
        pool("pool: crash-test on an existing pool", ["pool", "crash-test", "p", "--kills", "1"], ["@p"]),
        CorpusCase(name: "pool: crash-test on a regular file", args: ["pool", "crash-test", "f", "--kills", "1"], setup: [.file("f", "x\n")], stderr: ["@f"]),
        CorpusCase(name: "pool: volume ls of a missing pool", args: ["volume", "ls", "nopool"], stderr: ["nopool"]),
        CorpusCase(name: "pool: snapshot ls of a missing pool", args: ["snapshot", "ls", "nopool"], stderr: ["nopool"]),
        pool("volume: create --size 0", ["volume", "create", "p/v", "--size", "0"], ["--size"]),
        pool("volume: create --size 1000", ["volume", "create", "p/v", "--size", "1000"], ["512"]),
        pool("volume: create --size 16p", ["volume", "create", "p/v", "--size", "16p"], ["--size"]),
        pool("volume: create --size overflow", ["volume", "create", "p/v", "--size", bigNumber], ["--size", bigNumber]),
        pool("volume: create --size 1x", ["volume", "create", "p/v", "--size", "1x"], ["--size", "1x"]),
        pool("volume: create in a sub-path", ["volume", "create", "p/sub/v", "--size", "1m"], ["p/sub"]),
        pool("volume: create with a space in the name", ["volume", "create", "p/a b", "--size", "1m"], ["a b"]),
        pool("volume: create with a 300-character name", ["volume", "create", "p/" + String(repeating: "v", count: 300), "--size", "1m"], ["vvvvvvvv"]),
        pool("volume: create with an escape in the name", ["volume", "create", "p/a\u{1b}[31m", "--size", "1m"], ["[31m"]),
        pool("volume: create named like an existing volume", ["volume", "create", "p/a", "--size", "1m"], ["@a"]),
        pool("volume: create without a name", ["volume", "create", "p/", "--size", "1m"], ["p/"]),
        pool("volume: create without a pool path", ["volume", "create", "p", "--size", "1m"], ["@p"]),
        CorpusCase(name: "volume: create in a missing pool", args: ["volume", "create", "nopool/v", "--size", "1m"], stderr: ["nopool"]),
        pool("volume: rm missing", ["volume", "rm", "p/missing"], ["missing"]),
        pool("volume: initialize missing", ["volume", "initialize", "p/missing"], ["missing"]),
        pool("volume: export missing", ["volume", "export", "p/missing", "out.img"], ["missing"]),
        pool("volume: export into a missing directory", ["volume", "export", "p/a", "nodir/out.img"], ["nodir"]),
        pool("volume: export onto the pool's data file", ["volume", "export", "p/a", "p/data"], ["p/data"]),
        pool("volume: export onto the pool's journal", ["volume", "export", "p/a", "p/journal"], ["p/journal"]),
        pool("volume: export onto ./p/data", ["volume", "export", "p/a", "./p/data"], ["p/data"]),
        pool("volume: export onto the data file through a symlinked directory", ["volume", "export", "p/a", "pl/data"], ["pl/data"],
             setup: [.symlink("pl", to: "p")]),
        pool("volume: export onto a symlink to the journal", ["volume", "export", "p/a", "j.lnk"], ["j.lnk"],
             setup: [.symlink("j.lnk", to: "p/journal")]),
        pool("volume: export to a new file inside the pool", ["volume", "export", "p/a", "p/new.img"], ["p/new.img"]),
        pool("volume: export onto the pool directory", ["volume", "export", "p/a", "p"], ["@p"]),
        pool("volume: export to a symlink into /proc", ["volume", "export", "p/a", "comm.lnk"], ["comm.lnk"],
             setup: [.symlink("comm.lnk", to: "/proc/self/comm")]),
        pool("volume: import /dev/zero", ["volume", "import", "/dev/zero", "p/z"], ["/dev/zero"]),
        pool("volume: import missing", ["volume", "import", "missing.img", "p/z"], ["missing.img"]),
        pool("volume: import an odd size", ["volume", "import", "odd.img", "p/z"], ["odd.img"], setup: [.bytes("odd.img", [UInt8](repeating: 7, count: 1000))]),
        pool("volume: import an empty file", ["volume", "import", "empty.img", "p/z"], ["empty.img"], setup: [.file("empty.img", "")]),
        pool("volume: import onto an existing volume", ["volume", "import", "img.bin", "p/a"], ["@a"]),
        pool("volume: import with a hidden name", ["volume", "import", "img.bin", "p/.hidden"], [".hidden"]),
        pool("volume: import the pool's own data file", ["volume", "import", "p/data", "p/z"], ["p/data"]),
        pool("snapshot: create of a missing volume", ["snapshot", "create", "p/missing"], ["missing"]),
        pool("snapshot: create with an empty name", ["snapshot", "create", "p/b", "--name", ""], ["snapshot|--name"]),
        pool("snapshot: create named like a volume", ["snapshot", "create", "p/b", "--name", "a"], ["@a"]),
        pool("snapshot: create named ../x", ["snapshot", "create", "p/b", "--name", "../x"], ["../x"]),
        pool("snapshot: create of a snapshot", ["snapshot", "create", "p/s1"], ["s1"]),
        pool("snapshot: rm missing", ["snapshot", "rm", "p/missing"], ["missing"]),
        pool("snapshot: rm of a volume", ["snapshot", "rm", "p/a"], ["@a"]),
        pool("snapshot: diff with a missing snapshot", ["snapshot", "diff", "p/missing", "p/b"], ["missing"]),
        pool("snapshot: diff across pools", ["snapshot", "diff", "p/s1", "q/s1"], ["q/s1"]),
        pool("restore: missing snapshot", ["restore", "p/missing", "--to", "r"], ["missing"]),
        pool("restore: onto an existing name", ["restore", "p/s1", "--to", "a"], ["@a"]),
        pool("restore: to ../evil", ["restore", "p/s1", "--to", "../evil"], ["../evil"]),
        pool("restore: to an empty name", ["restore", "p/s1", "--to", ""], ["--to|volume"]),
        pool("restore: to a name with a slash", ["restore", "p/s1", "--to", "x/y"], ["x/y"]),
        pool("restore: --rate 0", ["restore", "p/s1", "--to", "r", "--rate", "0"], ["--rate"]),
        pool("restore: from a volume", ["restore", "p/b", "--to", "r"], ["@b"]),
        pool("restore: from a missing pool", ["restore", "nopool/s1", "--to", "r"], ["nopool"]),
        CorpusCase(name: "pool: check a journal cut back to its header", args: ["pool", "check", "p"],
                   setup: [.pool, .truncate("p/journal", 17)], expect: .oneOf([1, 2]), stderr: ["journal"], reportsOnStdout: true),
        CorpusCase(name: "pool: check an empty journal", args: ["pool", "check", "p"],
                   setup: [.pool, .truncate("p/journal", 0)], expect: .oneOf([1, 2]), stderr: ["journal"], reportsOnStdout: true),
    ]

    static let outputs: [CorpusCase] = [
        run("output: --output into a missing directory", ["--output", "nodir/out.json"], ["--output", "nodir"]),
        run("output: --output is a directory", ["--output", "outdir"], ["--output", "outdir"], setup: [.dir("outdir")]),
        run("output: --output name too long", ["--output", String(repeating: "o", count: 300) + ".json"], ["--output"]),
        run("output: --output into a pool", ["--output", "p/out.json"], ["--output", "p/out.json"], setup: [.pool], checks: [.poolOK("p")]),
        run("output: --output onto the pool journal", ["--output", "p/journal"], ["p/journal"], setup: [.pool], checks: [.poolOK("p")]),
        run("output: --output symlink to /proc/self/comm", ["--output", "comm.lnk"], ["comm.lnk|/proc"], setup: [.symlink("comm.lnk", to: "/proc/self/comm")]),
        run("output: --output=/dev/null works and leaves it a device", ["--output=/dev/null", "--output-format=json"], [],
            expect: .code(0), allowed: ["t.dat"], checks: [.privateDev]),
        run("output: --output=/dev/stdout writes JSON to stdout", ["--output=/dev/stdout", "--output-format=json", "--quiet"], [],
            expect: .code(0), allowed: ["t.dat"], checks: [.privateDev, .stdoutJSON]),
        run("output: --output through a symlink replaces the target, not the link", ["--output", "out.lnk", "--output-format=json"], [],
            expect: .code(0), allowed: ["t.dat", "real.json"], setup: [.file("real.json", "old\n"), .symlink("out.lnk", to: "real.json")]),
        run("output: --write-series=/dev/null works", ["--write-series=/dev/null", "--output-format=json", "--output=/dev/null"], [],
            expect: .code(0), allowed: ["t.dat"], checks: [.privateDev]),
        run("output: --write-series into a missing directory", ["--write-series", "nodir/s.jsonl"], ["--write-series", "nodir"]),
        run("output: --write-series into a pool", ["--write-series", "p/s.jsonl"], ["--write-series"], setup: [.pool], checks: [.poolOK("p")]),
        run("output: --write-series onto the pool data file", ["--write-series", "p/data"], ["p/data"], setup: [.pool], checks: [.poolOK("p")]),
        run("output: --write-series is a directory", ["--write-series", "sdir"], ["--write-series", "sdir"], setup: [.dir("sdir")]),
        run("output: --results-dir is a regular file", ["--results-dir", "resfile"], ["resfile"], setup: [.file("resfile", "x\n")]),
        run("output: --results-dir is a pool", ["--results-dir", "p"], ["--results-dir"], setup: [.pool], checks: [.poolOK("p")]),
        run("output: --results-dir through a symlink into /proc", ["--results-dir", "procdir"], ["procdir|/proc"], setup: [.symlink("procdir", to: "/proc/self")]),
        pool("output: volume export to /dev/null works in place", ["volume", "export", "p/b", "/dev/null"], [], expect: .code(0), checks: [.privateDev]),
        pool("output: volume export through a symlink keeps the link", ["volume", "export", "p/b", "img.lnk"], [], expect: .code(0),
             allowed: ["real.img"], setup: [.file("real.img", ""), .symlink("img.lnk", to: "real.img")]),
    ]

    static let targets: [CorpusCase] = [
        run("target: symlink to /proc/self/comm (read)", ["--rw=read", "--filename=comm.lnk"], ["comm.lnk|/proc"],
            setup: [.symlink("comm.lnk", to: "/proc/self/comm")]),
        run("target: symlink to /proc/self/comm (write)", ["--rw=write", "--filename=comm.lnk"], ["comm.lnk|/proc"],
            setup: [.symlink("comm.lnk", to: "/proc/self/comm")]),
        run("target: /proc/self/comm", ["--rw=read", "--filename=/proc/self/comm"], ["/proc"]),
        run("target: //proc/self/comm", ["--rw=read", "--filename=//proc/self/comm"], ["/proc"]),
        run("target: /proc/../proc/self/comm", ["--rw=read", "--filename=/proc/../proc/self/comm"], ["/proc"]),
        CorpusCase(name: "target: //sys/kernel/mm/transparent_hugepage/enabled",
                   args: ["run", "--name=j", "--rw=read", "--filename=/" + thp, "--runtime=1"], stderr: ["/sys"], checks: [.contentUnchanged(thp)]),
        CorpusCase(name: "target: symlink to a read-only sysfs file",
                   args: ["run", "--name=j", "--rw=read", "--filename=sys.lnk", "--runtime=1"], setup: [.symlink("sys.lnk", to: readOnlySysfs)],
                   stderr: ["sys.lnk|/sys"]),
        run("target: directory //proc/self with filename comm", ["--rw=read", "--directory=//proc/self", "--filename=comm"], ["/proc"])
            .with(args: ["run", "--name=j", "--rw=read", "--directory=//proc/self", "--filename=comm", "--size=1m", "--runtime=1"]),
        CorpusCase(name: "target: directory symlinked to /proc/self",
                   args: ["run", "--name=j", "--rw=read", "--directory=procdir", "--filename=comm", "--size=4k", "--runtime=1"],
                   setup: [.symlink("procdir", to: "/proc/self")], stderr: ["procdir|/proc"]),
        run("target: /dev/null for writing", ["--rw=write", "--filename=/dev/null"], ["/dev/null"], checks: [.privateDev]),
        run("target: /dev/zero", ["--rw=read", "--filename=/dev/zero"], ["/dev/zero"]),
        run("target: a FIFO", ["--rw=write", "--filename=t.fifo"], ["t.fifo"], setup: [.fifo("t.fifo")]).with(timeout: 8),
        run("target: a directory", ["--rw=read", "--filename=tdir"], ["tdir"], setup: [.dir("tdir")]),
        run("target: the pool's data file (read)", ["--rw=read", "--filename=p/data"], ["p/data"], setup: [.pool], checks: [.poolOK("p")]),
        run("target: the pool's journal (write)", ["--rw=write", "--filename=p/journal"], ["p/journal"], setup: [.pool], checks: [.poolOK("p")]),
        run("target: the pool's data file through a symlinked directory", ["--rw=write", "--filename=pl/data"], ["pl/data"],
            setup: [.pool, .symlink("pl", to: "p")], checks: [.poolOK("p")]),
        run("target: a job file laid out inside the pool", ["--rw=write", "--filename=p/t.dat"], ["p/t.dat"], setup: [.pool], checks: [.poolOK("p")]),
        CorpusCase(name: "target: --directory is the pool", args: ["run", "--name=j", "--directory=p", "--size=1m", "--runtime=1"],
                   setup: [.pool], stderr: ["@p"], checks: [.poolOK("p")]),
        run("target: --target pool with a missing volume", ["--target", "pool:p/missing"], ["missing"], setup: [.pool], checks: [.poolOK("p")]),
        run("target: --target without pool:", ["--target", "p/a"], ["p/a"], setup: [.pool], checks: [.poolOK("p")]),
        run("target: --target missing pool", ["--target", "pool:nopool/a"], ["nopool"]),
        run("target: --target a snapshot for writing", ["--rw=write", "--target", "pool:p/s1"], ["s1"], setup: [.pool], checks: [.poolOK("p")]),
        run("target: offset beyond 2^63", ["--offset=9223372036854775808"], ["offset|t.dat"]),
        run("target: size beyond the disk", ["--size=16p"], ["t.dat|space"]),
    ]

    static let dryRun: [CorpusCase] = [
        run("dry-run: bad --volume", ["--dry-run", "--volume", "nope:size=1g"], ["nope"]),
        run("dry-run: bad --volume size", ["--dry-run", "--volume", "gp3:size=-1"], ["size", "-1"]),
        run("dry-run: bad --instance", ["--dry-run", "--volume", "gp3:size=100g", "--instance", "nope.large"], ["nope.large"]),
        run("dry-run: --output into a missing directory", ["--dry-run", "--output", "nodir/x.json"], ["nodir"]),
        run("dry-run: --output into a pool", ["--dry-run", "--output", "p/x.json"], ["--output"], setup: [.pool], checks: [.poolOK("p")]),
        run("dry-run: --write-series into a pool", ["--dry-run", "--write-series", "p/s.jsonl"], ["--write-series"], setup: [.pool], checks: [.poolOK("p")]),
        run("dry-run: --target missing pool", ["--dry-run", "--target", "pool:nopool/a"], ["nopool"]),
        run("dry-run: bs=1g size=16m", ["--dry-run", "--size=16m", "--bs=1g"], ["@bs", "size"]),
        run("dry-run: target symlinked into /proc", ["--dry-run", "--filename=comm.lnk"], ["comm.lnk|/proc"],
            setup: [.symlink("comm.lnk", to: "/proc/self/comm")]),
        run("dry-run: --profiles nodir", ["--dry-run", "--volume", "gp3:size=100g", "--profiles", "nodir"], ["nodir"]),
        run("dry-run: --output-format=json is JSON", ["--dry-run", "--output-format=json"], [], expect: .code(0), checks: [.stdoutJSON]),
        run("dry-run: --output-format=xml", ["--dry-run", "--output-format=xml"], ["xml"]),
    ]
}

extension CorpusCase {
    func with(args: [String]) -> CorpusCase { var c = self; c.args = args; return c }
    func with(stderr: [String]) -> CorpusCase { var c = self; c.stderr = stderr; return c }
    func with(timeout: Double) -> CorpusCase { var c = self; c.timeout = timeout; return c }
    func with(cleanEnvironment: Bool) -> CorpusCase { var c = self; c.cleanEnvironment = cleanEnvironment; return c }
    func adding(setup s: Setup) -> CorpusCase { var c = self; c.setup.append(s); return c }
}
