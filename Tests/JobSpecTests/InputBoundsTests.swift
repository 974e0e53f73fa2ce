import BlockLabCore
import Foundation
import Testing
@testable import JobSpec

/// Numbers from outside are range-checked before arithmetic; files are read bounded; text
/// from input is escaped in messages. Every case is a usage error (exit code 2) naming the
/// file, line and option or value.
@Suite struct InputBoundsTests {
    static let cases: [(text: String, message: String)] = [
        ("[j]\nsize=16m\nruntime=99999999999999999999\n", "t.fio:3: option runtime: duration '99999999999999999999' is too long (at most 100 years)"),
        ("[j]\nsize=16m\ntime_based\nruntime=18446744073s\n", "t.fio:4: option runtime: duration '18446744073s' is too long"),
        ("[j]\nsize=16m\nruntime=99999999999999999999.5\n", "t.fio:3: option runtime: duration '99999999999999999999.5' is too long"),
        ("[j]\nsize=16m\nramp_time=36600d\n", "t.fio:3: option ramp_time: duration '36600d' is too long"),
        ("[j]\nsize=16m\nthinktime=4000000000000000000000\n", "t.fio:3: option thinktime: duration '4000000000000000000000' is too long"),
        ("[j]\nsize=99999999999999999999\n", "t.fio:2: option size: size '99999999999999999999' is too large (at most 1024p"),
        ("[j]\nsize=1025p\n", "t.fio:2: option size: size '1025p' is too large"),
        ("[j]\nsize=17000000t\n", "t.fio:2: option size: size '17000000t' is too large"),
        ("[j]\nsize=0x1fffffffffffffff\n", "t.fio:2: option size: size '0x1fffffffffffffff' is too large"),
        ("[j]\nsize=0xfffffffffffffffffffff\n", "t.fio:2: option size: size '0xfffffffffffffffffffff' is too large"),
        ("[j]\nsize=99999999999999999999.5k\n", "t.fio:2: option size: size '99999999999999999999.5k' is too large"),
        ("[j]\nsize=1m\noffset=2000p\n", "t.fio:3: option offset: size '2000p' is too large"),
        ("[j]\nsize=1m\nio_size=2000p\n", "t.fio:3: option io_size: size '2000p' is too large"),
        ("[j]\nsize=1m\nrate=2000p\n", "t.fio:3: option rate: size '2000p' is too large"),
        ("[j]\nsize=1\u{0663}m\n", "t.fio:2: option size: malformed size"),
        ("[j]\nsize=1m\niodepth=99999999999999999999\n", "t.fio:3: option iodepth: must be at most 65536, got 99999999999999999999"),
        ("[j]\nsize=1m\niodepth=65537\n", "t.fio:3: option iodepth: must be at most 65536, got 65537"),
        ("[j]\nsize=1m\nnumjobs=4097\n", "t.fio:3: option numjobs: must be at most 4096"),
        ("[j]\nsize=1m\nloops=99999999999999999999\n", "t.fio:3: option loops: must be at most"),
        ("[j]\nsize=1m\niodepth_batch_complete_max=70000\n", "t.fio:3: option iodepth_batch_complete_max: must be at most 65536"),
        ("[j]\nsize=1m\nrandseed=99999999999999999999\n", "t.fio:3: option randseed: must be at most 18446744073709551615"),
        ("[j]\nsize=1m\nnumber_ios=0x1ffffffffffffffff\n", "t.fio:3: option number_ios: must be at most"),
        ("[j]\nsize=1m\nrate_iops=99999999999999999999\n", "t.fio:3: option rate_iops: expected a whole number"),
        ("[j]\nsize=1m\nrate_process=bursty\n", "t.fio:3: option rate_process: expected linear or poisson, got 'bursty'"),
        ("[j]\nsize=1m\nfilename=${NOPE}\n", "t.fio:3: environment variable NOPE is not set"),
        ("[${NOPE}]\nsize=1m\n", "t.fio:1: environment variable NOPE is not set"),
        ("[j]\nsize=1m\nfilename=${1X}\n", "t.fio:3: malformed variable name '${1X}'"),
        ("[j]\nsize=1m\nfilename=${:-x}\n", "t.fio:3: empty variable name"),
        ("[j]\nsize=1m\nbo\u{1b}[31mgus=1\n", "t.fio:3: option bo\\u{1b}[31mgus: unknown option"),
        ("[j]\nsize=1\u{0}m\n", "t.fio:2: option size: unknown size suffix in '1\\u{0}m'"),
        ("[j\u{1b}]2J\nsize=1m\n", "t.fio:1: unterminated section header '[j\\u{1b}]2J'"),
        ("size=\u{1b}[2J\n[j]\n", "t.fio:1: option 'size=\\u{1b}[2J' outside of a [section]"),
        ("[j]\nsize=1m\ndescription=\u{202e}evil\nbogus\n", "t.fio:4: option bogus"),
        ("include /proc/self/environ\n[j]\nsize=1m\n", "t.fio:1: include /proc/self/environ: /proc/self/environ: job file is not a regular file (on proc)"),
        ("include /dev/zero\n[j]\nsize=1m\n", "t.fio:1: include /dev/zero: /dev/zero: job file is not a regular file"),
        ("include /tmp\n[j]\nsize=1m\n", "t.fio:1: include /tmp: /tmp: job file is not a regular file (a directory)"),
    ]

    @Test(arguments: cases.indices)
    func outOfRangeAndUnsafeInputIsAUsageError(_ i: Int) {
        let (text, expected) = Self.cases[i]
        let m = usageMessage { try parse(text) }
        #expect(m?.contains(expected) == true, "input:\n\(text)\nexpected: \(expected)\ngot: \(m ?? "no error")")
        // Line breaks separate problems (one per line); nothing else below 0x20 may pass.
        #expect(m.map { !$0.unicodeScalars.contains { ($0.value < 0x20 && $0.value != 0x0a) || $0.value == 0x202e } } ?? false, "control character in \(m ?? "")")
    }

    @Test func commandLineNumbersAreRangeChecked() {
        let m = usageMessage {
            try JobParser.parse(arguments: ["--name=j", "--filename=t.dat", "--size=16m", "--runtime=99999999999999999999"], environment: [:])
        }
        #expect(m?.contains("command line: option --runtime: duration '99999999999999999999' is too long") == true, "\(m ?? "")")
        let t = usageMessage {
            try JobParser.parse(arguments: ["--name=j", "--size=16m", "--time_based", "--runtime=18446744073s"], environment: [:])
        }
        #expect(t?.contains("option --runtime") == true)
    }

    @Test func theLimitsThemselvesAreAccepted() throws {
        let j = try parse("[j]\nsize=1024p\noffset=0\nruntime=36500d\niodepth=65536\nnumjobs=4096\nrandseed=18446744073709551615\n")[0]
        #expect(j.size == InputLimits.maxBytes)
        #expect(j.runtimeNs == 36500 * 86_400 * NS.perSecond)
        #expect(j.iodepth == 65536 && j.numjobs == 4096 && j.randseed == .max)
    }

    @Test func jobFilesMustBeRegularAndBounded() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        for (path, fragment) in [("/dev/zero", "/dev/zero: job file is not a regular file (a character device)"),
                                 ("/proc/self/environ", "not a regular file (on proc)"),
                                 (dir.path, "job file is not a regular file (a directory)"),
                                 (dir.path + "/missing.fio", "cannot read job file")] {
            let m = usageMessage { try JobParser.parseFile(at: path, environment: [:]) }
            #expect(m?.contains(fragment) == true, "\(path): \(m ?? "no error")")
        }
        // A FIFO is refused without blocking on it.
        let fifo = dir.path + "/fifo.fio"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(usageMessage { try JobParser.parseFile(at: fifo, environment: [:]) }?.contains("a FIFO") == true)
        // Larger than 16 MiB (sparse): refused before reading.
        let big = dir.write("big.fio", "[j]\nsize=1m\n")
        #expect(truncate(big, off_t(InputLimits.maxJobFileBytes + 1)) == 0)
        #expect(usageMessage { try JobParser.parseFile(at: big, environment: [:]) }?.contains("job file is too large") == true)
        // Through a symlink to a regular file: accepted.
        let real = dir.write("real.fio", "[j]\nsize=1m\n")
        #expect(symlink(real, dir.path + "/link.fio") == 0)
        #expect(try JobParser.parseFile(at: dir.path + "/link.fio", environment: [:]).count == 1)
        // An include through a symlink to a device: refused with the including line.
        #expect(symlink("/dev/zero", dir.path + "/zero.inc") == 0)
        dir.write("inc.fio", "[j]\nsize=1m\ninclude zero.inc\n")
        let m = usageMessage { try JobParser.parseFile(at: dir.path + "/inc.fio", environment: [:]) }
        #expect(m?.contains("inc.fio:3: include zero.inc") == true && m?.contains("not a regular file") == true, "\(m ?? "")")
    }

    @Test func overlongMessagesAreCut() {
        let m = usageMessage { try parse("x" + String(repeating: "y", count: 100_000) + "\n[j]\nsize=1m\n") }
        #expect(m != nil && m!.count < 1100)
    }

    @Test func everyShippedJobFileParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: profilesJobs).filter { $0.hasSuffix(".fio") }.sorted()
        #expect(files.count >= 4)
        for f in files {
            let jobs = try JobParser.parseFile(at: profilesJobs + "/" + f, environment: ["BLOCKLAB_TARGET": "/dev/nvme1n1"])
            #expect(!jobs.isEmpty, "\(f)")
        }
        // The README's `blocklab run profiles/jobs/quick.fio` without BLOCKLAB_SCRATCH: /var/tmp.
        let quick = try JobParser.parseFile(at: profilesJobs + "/quick.fio", environment: [:])
        #expect(quick.allSatisfy { $0.directory == "/var/tmp" })
        let demo = try JobParser.parseFile(at: profilesJobs + "/quick.fio", environment: ["BLOCKLAB_SCRATCH": "/tmp/d"])
        #expect(demo.allSatisfy { $0.directory == "/tmp/d" })
        // The files that need a target say which variable is missing.
        let m = usageMessage { try JobParser.parseFile(at: profilesJobs + "/randread-4k.fio", environment: [:]) }
        #expect(m?.contains("environment variable BLOCKLAB_TARGET is not set") == true)
    }
}
