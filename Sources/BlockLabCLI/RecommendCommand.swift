import ArgumentParser
import BlockLabCore
import Foundation
import Recommend
import VolumeModel

/// `blocklab recommend`: parses the needs and prints the recommendation. The logic is the
/// Recommend module; `--validate` reuses `blocklab run`'s session on the emulated volume.
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Recommend the cheapest EBS volume (or instance store) that meets a workload's needs.",
        discussion: """
            Needs from flags, a result, or a recorded series; every candidate (gp2, gp3, io1, io2, st1, sc1, RAID 0 of \
            them, instance store) is sized, priced and replayed through BlockLab's volume models. Examples:
              blocklab recommend --iops 6000 --mibps 250 --capacity 500g
              blocklab recommend --iops 80000 --bs 4k --capacity 100g --latency-target 1ms --percentile 99
              blocklab recommend --from results/run.json --capacity 2t --instance m6i.large --current gp2:size=2000g
              blocklab recommend --series cloudwatch.csv --capacity 1t --format json
            """)

    @Option(help: "I/Os per second needed.") var iops: String?
    @Option(help: "Throughput needed, MiB/s.") var mibps: String?
    @Option(help: "I/O size, e.g. 16k (default: what --iops and --mibps imply, else 16k).") var bs: String?
    @Option(name: .customLong("read-pct"), help: "Percentage of I/Os that are reads (default 100).") var readPct: String?
    @Flag(help: "Random I/O (the default).") var random = false
    @Flag(help: "Sequential I/O (merged into 256 KiB / 1 MiB EBS operations).") var sequential = false
    @Option(help: "Data to hold, e.g. 500g, 2t.") var capacity: String?
    @Option(help: "Growth to provision for, percent of --capacity.") var growth: String?
    @Option(name: .customLong("latency-target"), help: "Latency target at --percentile, e.g. 2ms.") var latencyTarget: String?
    @Option(help: "Percentile of the latency target (default 99).") var percentile: String?
    @Option(help: "Whether data must survive: stop (default), host-failure, none (instance store allowed).") var durable: String = "stop"
    @Option(help: "I/Os the application keeps in flight (queueing latency; default 32).") var iodepth: String?
    @Option(help: "Needs measured by a BlockLab or fio JSON result.") var from: String?
    @Option(help: "Needs recorded as a series: BlockLab --write-series JSON lines, or a CloudWatch CSV/JSON export.") var series: String?
    @Option(help: "CloudWatch period when the series does not show it, e.g. 5m.") var period: String?
    @Option(help: "Instance type whose EBS limits apply (and whose instance store is a candidate).") var instance: String?
    @Option(help: "The volume in use now, e.g. gp2:size=1000g (savings and finding are against it).") var current: String?
    @Option(help: "Price region (profiles/prices/REGION.yaml).") var region: String = "us-east-1"
    @Option(help: "table or json.") var format: String = "table"
    @Option(help: "Print the chosen volume's configuration: aws-cli or terraform.") var emit: String?
    @Option(name: .customLong("volume-id"), help: "With --emit aws-cli: modify this volume instead of creating one.") var volumeID: String?
    @Flag(help: "Run the workload on the emulated recommended volume and report whether it met the needs.") var validate = false
    @Option(name: .customLong("validate-runtime"), help: "How long --validate runs (default 10s).") var validateRuntime: String = "10s"
    @Option(name: .customLong("validate-dir"), help: "Directory for --validate's scratch file (default $BLOCKLAB_SCRATCH or /var/tmp).") var validateDir: String?
    @Option(help: "Profiles directory (default: profiles/ next to the package, or in the current directory).") var profiles: String?

    func run() throws {
        let rec = try recommendation()
        if let e = emit {
            print(try rec.emit(e, volumeID: volumeID), terminator: "")
        } else {
            print(format == "json" ? rec.json().serialized() : rec.table(), terminator: format == "json" ? "\n" : "")
        }
        if validate {
            let v = try runValidation(rec)
            printError(v.note)
            print(v.text, terminator: "")
            if !v.met { throw ExitCode(1) }
        }
    }

    /// The needs parsed and checked, every candidate replayed, priced and ranked.
    func recommendation() throws -> Recommendation {
        guard format == "table" || format == "json" else { throw BlockLabError.usage("--format: expected table or json, got '\(Text.escaped(format))'") }
        guard !(random && sequential) else { throw BlockLabError.usage("--random and --sequential: give one") }
        if let e = emit, e != "aws-cli" && e != "terraform" { throw BlockLabError.usage("--emit: expected aws-cli or terraform, got '\(Text.escaped(e))'") }
        var input = NeedsInput()
        input.iops = iops; input.mibps = mibps; input.blockSize = bs; input.readPercent = readPct; input.sequential = sequential
        input.capacity = capacity; input.growth = growth; input.latencyTarget = latencyTarget; input.latencyPercentile = percentile
        input.durable = durable; input.iodepth = iodepth; input.from = from; input.series = series; input.period = period
        let store = ProfileStore(directory: profiles ?? ProfileStore.defaultDirectory(cwd: FileManager.default.currentDirectoryPath))
        try store.checkDirectory()
        let prices = try store.prices(region: region)
        let inst = try instance.map { try store.instance(named: $0) }
        let cur = try current.map { try VolumeSpec.parse($0) }
        let needs = try input.needs()
        return try Recommender(store: store, prices: prices, instance: inst, current: cur).recommend(needs)
    }

    /// Runs the needs for real on the emulated chosen volume (`blocklab run --volume ...`) in a
    /// fresh scratch directory, then judges the result.
    /// Returns the verdict's text, whether the needs were met, and a note on what ran.
    func runValidation(_ rec: Recommendation) throws -> (text: String, met: Bool, note: String) {
        let base = validateDir ?? ProcessInfo.processInfo.environment["BLOCKLAB_SCRATCH"] ?? "/var/tmp"
        _ = try Units.parseDuration(validateRuntime, defaultUnitNs: NS.perSecond, what: "--validate-runtime")
        var template = Array((base + "/blocklab-validate-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw BlockLabError.usage("--validate-dir \(Text.escaped(base)): cannot make a scratch directory there (\(String(cString: strerror(errno))))")
        }
        let dir = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = rec.chosen
        var session = RunSession(jobArguments: Validation.jobArguments(rec.needs, option: c, directory: dir, runtime: validateRuntime))
        session.format = .json
        session.outputPath = dir + "/result.json"
        session.volume = c.spec
        session.instance = c.instanceType ?? rec.instance?.name
        session.profilesDirectory = profiles
        session.quiet = true
        // The run is paced at the needed rate, below the volume's envelope by design, so the
        // host-bound judgement (made for unpaced runs) does not apply to it.
        let code = try session.execute(stdout: { _ in }, stderr: { line in
            if line.contains("host-bound") {
                printError("validate: paced at the needed rate, below the volume's envelope (the host-bound check does not apply)")
            } else {
                printError(line)
            }
        })
        guard code == 0 else { throw ExitCode(code) }
        let data = try InputFile.read(dir + "/result.json", limit: InputLimits.maxSeriesFileBytes, what: "validation result")
        let verdict = try Validation.judge(rec.needs, option: c, resultJSON: data, source: "validation result")
        let note = "validate: ran \(c.spec)\(session.instance.map { " on \($0)" } ?? "") for \(validateRuntime)"
            + (c.stripes > 1 ? " (one stripe of \(c.stripes), at its share of the demand)" : "")
        return (verdict.text, verdict.met, note)
    }
}
