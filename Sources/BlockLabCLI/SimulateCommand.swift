import ArgumentParser
import BlockLabCore
import Foundation
import JobSpec
import VolumeModel

/// `blocklab simulate`: plays fio-style jobs against an emulated EBS volume on a virtual
/// clock. Thin glue: the logic is `VolumeModel.SimulateRequest`.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Play a workload against an emulated EBS volume on a virtual clock (hours in seconds).",
        discussion: """
            Jobs come from job files and fio-style options (--rw=randread --bs=16k --iodepth=32 \
            --rate_iops=3000 --runtime=1h ...); several jobs run one after another. Examples:
              blocklab simulate --name=burst --rw=randread --bs=16k --iodepth=64 --runtime=3h --volume gp2:size=100g
              blocklab simulate scan.fio --volume st1:size=500g --instance m5.large --output-format=json
              blocklab simulate --series results/run.series.jsonl --volume gp2:size=100g
            """)

    @Option(name: .long, help: "Volume spec, e.g. gp3:size=500g,iops=6000,throughput=250 or gp2:size=100g,burst-balance=5%.")
    var volume: String?

    @Option(name: .long, help: "Instance type whose EBS limits also apply, e.g. m5.large.")
    var instance: String?

    @Option(name: .customLong("output-format"), help: "table or json.")
    var outputFormat: String = "table"

    @Option(name: .long, help: "Length of one row of the series (virtual time), e.g. 60s, 5m.")
    var interval: String = "60s"

    @Option(name: .long, help: "Profiles directory (default: profiles/ next to the package, or in the current directory).")
    var profiles: String?

    @Option(name: .long, help: "Replay the per-interval demand of a series file (blocklab run --write-series) instead of jobs.")
    var series: String?

    @Argument(parsing: .allUnrecognized, help: "Job files and fio-style job options.")
    var jobArguments: [String] = []

    func run() throws {
        guard outputFormat == "table" || outputFormat == "json" else {
            throw BlockLabError.usage("--output-format: expected table or json, got '\(outputFormat)'")
        }
        let intervalNs = try Units.parseDuration(interval, defaultUnitNs: NS.perSecond, what: "--interval")
        let cwd = FileManager.default.currentDirectoryPath
        let store = ProfileStore(directory: profiles ?? ProfileStore.defaultDirectory(cwd: cwd))
        try store.checkDirectory()
        var demand: SeriesDemand?
        if let series {
            do { demand = try SeriesDemand.load(path: series) } catch BlockLabError.usage(let m) {
                throw BlockLabError.usage("--series: \(m)")
            }
        }
        let jobs = demand != nil && jobArguments.isEmpty ? [] : try SimulateRequest.parseJobs(
            arguments: jobArguments, environment: ProcessInfo.processInfo.environment, volume: volume)
        var request = SimulateRequest(jobs: jobs, volume: volume, instance: instance, json: outputFormat == "json",
                                      intervalNs: intervalNs, store: store)
        request.series = demand
        print(try request.run(), terminator: "")
    }
}
