import BlockLabCore
import Foundation
import JobSpec
import Testing
@testable import VolumeModel

/// Series files, volume specs, profiles and simulate's figures from outside: range-checked
/// before arithmetic, each a usage error (exit code 2) naming the file:line or key and value.
@Suite struct VolumeInputBoundsTests {
    static let seriesCases: [(line: String, message: String)] = [
        (#"{"t_ms":1000,"dur_ms":1000,"job":"a","read":{"iops":1e308,"bw_bytes":4096}}"#, "run.series:1: 'read.iops' is 1e+308, more than 10^9"),
        (#"{"t_ms":1000,"dur_ms":1000,"job":"a","write":{"iops":1,"bw_bytes":1e300}}"#, "run.series:1: 'write.bw_bytes' is 1e+300, more than 2^50"),
        (#"{"t_ms":1e300,"dur_ms":1000,"job":"a"}"#, "run.series:1: 't_ms' is 1e+300, more than 100 years"),
        (#"{"t_ms":1e300,"dur_ms":1e300,"job":"a"}"#, "run.series:1: 't_ms'"),
        (#"{"t_ms":3e12,"dur_ms":3e12,"job":"a","read":{"iops":1e9,"bw_bytes":1e9}}"#, "run.series:1: 'read': 1000000000.0 IOPS"),
        (#"{"t_ms":1000,"dur_ms":1000,"job":"a","read":{"iops":-1,"bw_bytes":4096}}"#, "run.series:1: 'read.iops' must be a number of at least 0"),
        (#"{"t_ms":1000,"dur_ms":1000,"job":"a","read":{"iops":"x","bw_bytes":4096}}"#, "run.series:1: 'read.iops' must be a number"),
    ]

    @Test(arguments: seriesCases.indices)
    func seriesNumbersAreRangeChecked(_ i: Int) {
        let (line, expected) = Self.seriesCases[i]
        let m = usageMessage { _ = try SeriesDemand.parse(text: line + "\n", path: "run.series") }
        #expect(m.contains(expected), "expected: \(expected)\ngot: \(m)")
    }

    @Test func aSeriesDemandingTooManyIOsInAllIsALimitError() {
        // Each line 10^9 IOPS for 500 s: 5 x 10^11 I/Os; the third passes 10^12.
        let lines = (1...3).map { #"{"t_ms":\#($0 * 500_000),"dur_ms":500000,"job":"a","read":{"iops":1e9,"bw_bytes":1e12}}"# }
        let m = usageMessage { _ = try SeriesDemand.parse(text: lines.joined(separator: "\n"), path: "run.series") }
        #expect(m.contains("run.series:3: the series demands more than 10^12 I/Os"), "\(m)")
    }

    @Test func hugeButValidIntervalsReplayWithoutOverflow() throws {
        // About 2^60 bytes over 10^9 I/Os in one interval: each I/O's share computed in full width.
        let line = #"{"t_ms":1000000,"dur_ms":1000000,"job":"a","read":{"iops":1e6,"bw_bytes":1.1e15},"write":{"iops":1e6,"bw_bytes":1e6}}"#
        let d = try SeriesDemand.parse(text: line, path: "s")
        #expect(d.totalIOs == 2_000_000_000)
        var phase = d.phases(volumeSize: 1 << 30)[0]
        for _ in 0..<100 { #expect(phase.streams[0].source.next() != nil) }
    }

    @Test func seriesFilesAreRegularAndBounded() {
        #expect(usageMessage { _ = try SeriesDemand.load(path: "/dev/zero") }.contains("/dev/zero: series file is not a regular file"))
        #expect(usageMessage { _ = try SeriesDemand.load(path: "/nonexistent/x.jsonl") }.contains("cannot read series file"))
    }

    static let specCases: [(spec: String, message: String)] = [
        ("gp3:size=99999999999999999999", "--volume size: size '99999999999999999999' is too large"),
        ("gp3:size=2000p", "--volume size: size '2000p' is too large"),
        ("io2:size=100g,iops=99999999999999999999", "--volume: iops must be a whole number 0-1000000000, got '99999999999999999999'"),
        ("io2:size=100g,iops=1000000001", "--volume: iops must be a whole number 0-1000000000, got '1000000001'"),
        ("gp3:size=100g,throughput=99999999999999999999", "--volume: throughput is whole MiB/s 0-1000000000"),
        ("gp3:size=100g,throughput=250m", "--volume: throughput is whole MiB/s 0-1000000000 (throughput=250 is 250 MiB/s), got '250m'"),
        ("gp2:size=100g,burst-balance=nan", "--volume: burst-balance must be a percentage 0-100, got 'nan'"),
        ("gp2:size=100g,burst-balance=inf%", "--volume: burst-balance must be a percentage 0-100, got 'inf%'"),
        ("gp3:size=100g,b\u{1b}[2J=1", "--volume: unknown key 'b\\u{1b}[2J'"),
        ("../../etc/passwd:size=1g", "--volume: malformed volume type"),
    ]

    @Test(arguments: specCases.indices)
    func volumeSpecNumbersAreRangeChecked(_ i: Int) {
        let (spec, expected) = Self.specCases[i]
        let m = usageMessage { _ = try resolve(spec) }
        #expect(m.contains(expected), "expected: \(expected)\ngot: \(m)")
    }

    @Test func largestSpecsResolveOrFailCleanlyOnEveryProfile() throws {
        for name in store.names("volumes") {
            let p = try store.volume(named: name)
            for spec in ["\(name):size=1024p", "\(name):size=1048576g,iops=1000000000", "\(name):size=1g,iops=1000000000,throughput=1000000000",
                         "\(name):size=1g,burst-balance=100"] {
                let m = usageMessage { _ = try VolumeSpec.parse(spec).resolve(profile: p) }
                #expect(m.isEmpty || m.hasPrefix("--volume"), "\(spec): \(m)")
            }
        }
    }

    @Test func aMissingProfilesDirectoryIsNamed() {
        let s = ProfileStore(directory: "nodir")
        #expect(usageMessage { _ = try s.volume(named: "gp3") }.contains("--profiles nodir: profiles directory does not exist"))
        #expect(usageMessage { _ = try s.instance(named: "m5.large") }.contains("--profiles nodir"))
        #expect(usageMessage { try s.checkDirectory() }.contains("nodir"))
    }

    @Test func outOfRangeProfileNumbersAreErrorsNamingTheKey() throws {
        let dir = NSTemporaryDirectory() + "profiles-bounds-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/volumes", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/instances", withIntermediateDirectories: true)
        let gp2 = try String(contentsOfFile: store.directory + "/volumes/gp2.yaml", encoding: .utf8)
        let local = ProfileStore(directory: dir)
        for (from, to, fragment) in [
            ("baseline_max: 16000", "baseline_max: 1e300", "iops.baseline_max: must be at most"),
            ("ebs_op_size_kib: 256", "ebs_op_size_kib: 1e18", "ebs_op_size_kib: must be at most"),
            ("{up_to_gib: 170, mibps: 128}", "{up_to_gib: -5, mibps: 128}", "throughput_tiers[0].up_to_gib"),
            ("{up_to_gib: 170, mibps: 128}", "{up_to_gib: 170, mibps: .inf}", "throughput_tiers[0].mibps"),
            ("capacity: 5400000", "capacity: .nan", "credits.capacity"),
        ] {
            try gp2.replacingOccurrences(of: from, with: to).write(toFile: dir + "/volumes/gp2.yaml", atomically: true, encoding: .utf8)
            let m = usageMessage { _ = try VolumeSpec.parse("gp2:size=100g").resolve(in: local) }
            #expect(m.contains(fragment), "\(to): \(m)")
        }
        let m5 = try String(contentsOfFile: store.directory + "/instances/m5.large.yaml", encoding: .utf8)
        for (from, to, fragment) in [("max_mbps: 593.75", "max_mbps: 1e300", "ebs.max_mbps: must be at most"),
                                     ("burst_minutes_per_24h: 30", "burst_minutes_per_24h: 1e30", "ebs.burst_minutes_per_24h: must be at most 1440")] {
            try m5.replacingOccurrences(of: from, with: to).write(toFile: dir + "/instances/m5.large.yaml", atomically: true, encoding: .utf8)
            #expect(usageMessage { _ = try local.instance(named: "m5.large") }.contains(fragment))
        }
        // A profile that is not a regular file.
        try FileManager.default.createDirectory(atPath: dir + "/volumes/dir.yaml", withIntermediateDirectories: true)
        #expect(usageMessage { _ = try local.volume(named: "dir") }.contains("profile is not a regular file"))
    }

    @Test func everyShippedProfileAndJobFileVolumeValidates() throws {
        for name in store.names("volumes") { #expect(try store.volume(named: name).name == name) }
        for name in store.names("instances") { #expect(try store.instance(named: name).name == name) }
        let jobs = store.directory + "/jobs"
        for f in try FileManager.default.contentsOfDirectory(atPath: jobs) where f.hasSuffix(".fio") {
            for j in try JobParser.parseFile(at: jobs + "/" + f, environment: ["BLOCKLAB_TARGET": "/dev/null"]) {
                if let v = j.volume { _ = try VolumeSpec.parse(v).resolve(in: store) }
                if let i = j.instance { _ = try store.instance(named: i) }
            }
        }
    }

    @Test func simulateBoundsItsRows() throws {
        let jobs = try SimulateRequest.parseJobs(arguments: ["--name=a", "--rw=randread", "--runtime=36500d"], environment: [:],
                                                 volume: "gp3:size=100g")
        let req = SimulateRequest(jobs: jobs, volume: "gp3:size=100g", instance: nil, json: false, intervalNs: S, store: store)
        let m = usageMessage { _ = try req.simulate() }
        #expect(m.contains("simulate:") && m.contains("more than 1000000 rows"), "\(m)")
        // Many 100-year jobs: their sum is a limit error, not an overflow.
        let many = try SimulateRequest.parseJobs(arguments: (0..<8).flatMap { ["--name=j\($0)", "--runtime=36500d"] }, environment: [:],
                                                 volume: "gp3:size=100g")
        let big = SimulateRequest(jobs: many, volume: "gp3:size=100g", instance: nil, json: false, intervalNs: InputLimits.maxDurationNs, store: store)
        let m2 = usageMessage { _ = try big.simulate() }
        #expect(m2.contains("command line: job 'j1': the runtimes add up to more than 100 years"), "\(m2)")
        // Few rows but absurdly many I/Os: 100 years at gp3's 3,000 IOPS.
        let long = SimulateRequest(jobs: jobs, volume: "gp3:size=100g", instance: nil, json: false, intervalNs: 36500 * 86_400 * S, store: store)
        let m3 = usageMessage { _ = try long.simulate() }
        #expect(m3.contains("at up to 3000 IOPS could be") && m3.contains("more than 100000000000"), "\(m3)")
    }

    @Test func simulateJobsWithoutSizeTakeTheVolume() throws {
        func region(_ args: [String]) throws -> Range<UInt64>? {
            let request = SimulateRequest(jobs: try SimulateRequest.parseJobs(arguments: args, environment: [:], volume: "gp3:size=100g"),
                                          volume: "gp3:size=100g", instance: nil, json: false, intervalNs: 1_000_000_000, store: store)
            return try request.regions(on: request.plan().volumes[0].resolved).first
        }
        #expect(try region(["--name=a", "--rw=randread", "--runtime=1s"]) == 0..<(100 << 30))
        #expect(try region(["--name=a", "--size=1g", "--runtime=1s"]) == 0..<(1 << 30))
    }
}
