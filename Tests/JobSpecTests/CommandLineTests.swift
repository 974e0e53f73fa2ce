import BlockLabCore
import Testing
@testable import JobSpec

@Suite struct CommandLineTests {
    @Test func optionsBeforeFirstNameAreGlobal() throws {
        let jobs = try JobParser.parse(arguments: [
            "--size=1g", "--bs=8k", "--filename=/dev/x",
            "--name=a", "--rw=randread", "--bs=4k", "--time_based", "--runtime=10",
            "--name=b", "--rw=write", "--iodepth=4",
        ], environment: [:])
        #expect(jobs.map(\.name) == ["a", "b"])
        #expect(jobs[0].rw == .randread && jobs[0].blockSize[0] == .fixed(4096) && jobs[0].timeBased)
        #expect(jobs[0].runtimeNs == 10 * NS.perSecond)
        #expect(jobs[1].rw == .write && jobs[1].blockSize[0] == .fixed(8192) && jobs[1].iodepth == 4)
        #expect(jobs[1].size == 1 << 30 && jobs[1].filename == "/dev/x" && !jobs[1].timeBased)
        #expect(jobs[0].origin == "command line")
        #expect(jobs[0].globalOptions.map(\.key) == ["size", "bs", "filename"])
        #expect(value(jobs[0], "bs") == "4k")
    }

    @Test func jobFilesAreAppendedWithCommandLineGlobalsAsDefaults() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let f1 = dir.write("one.fio", "[f1]\nrw=write\n")
        let f2 = dir.write("two.fio", "[global]\niodepth=2\n[f2]\nrw=read\nsize=2m\n")
        let jobs = try JobParser.parse(arguments: ["--size=1m", "--filename=/tmp/x", f1, "--name=c", "--rw=randrw", f2],
                                       environment: [:])
        #expect(jobs.map(\.name) == ["c", "f1", "f2"])
        #expect(jobs[1].size == 1 << 20 && jobs[1].filename == "/tmp/x" && jobs[1].rw == .write)
        #expect(jobs[2].size == 2 << 20 && jobs[2].iodepth == 2)
        #expect(jobs[1].origin == f1 + ":1")
    }

    @Test func errorsNameTheCommandLineOption() throws {
        let cases: [([String], String)] = [
            (["--name=a", "--size=1m", "--bs=0"], "command line: option --bs: block size must be greater than 0"),
            (["--name=a", "--size=1m", "--xyz=1"], "command line: option --xyz: unknown option"),
            (["--name=a", "--size=1m", "--iodepht=4"], "did you mean 'iodepth'?"),
            (["--size=1m", "--rw=read"], "command line: no job defined: fio requires --name=NAME"),
            (["--name", "--size=1m"], "command line: option --name: needs a value"),
            (["--name=a", "--size"], "command line: option --size: needs a value (--size=VALUE)"),
            (["--name=a", "--rw=randread"], "command line: job 'a': option size: you need to specify size="),
            (["--name=a", "--size=1m", "-x"], "unexpected argument '-x'"),
            ([], "no job given"),
        ]
        for (args, expected) in cases {
            let m = usageMessage { try JobParser.parse(arguments: args, environment: [:]) }
            #expect(m?.contains(expected) == true, "\(args): got \(m ?? "no error")")
        }
    }
}
