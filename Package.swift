// swift-tools-version: 6.0
// BlockLab: block-storage performance lab. One module per concern; data flows one way:
// job spec -> plan (targets, engine table, shapers from VolumeModel's emulation plan) ->
// engine -> samples -> result model (Metrics) -> reports. See ARCHITECTURE.md.
import PackageDescription

let package = Package(
    name: "BlockLab",
    products: [
        .executable(name: "blocklab", targets: ["blocklab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // liburing (Debian liburing-dev) found through pkg-config.
        .systemLibrary(name: "CURing", pkgConfig: "liburing", providers: [.apt(["liburing-dev"])]),
        // ioctl and other macros Swift cannot import.
        .target(name: "CSupport"),
        // Shared vocabulary: units, errors, clocks, JSON values, atomic files, the shaper protocol.
        .target(name: "BlockLabCore", dependencies: ["CSupport"]),
        // fio job files and command lines -> typed JobSpec.
        .target(name: "JobSpec", dependencies: ["BlockLabCore"]),
        // What to do next: offsets, block sizes, read/write mix (pure, deterministic).
        .target(name: "Workload", dependencies: ["BlockLabCore", "JobSpec"]),
        // Data patterns and checksums for verify=.
        .target(name: "Verify", dependencies: ["BlockLabCore", .product(name: "Crypto", package: "swift-crypto")]),
        // Histograms, samples, results, fio-compatible JSON and text output.
        .target(name: "Metrics", dependencies: ["BlockLabCore", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        // io_uring and psync engines, targets, job threads.
        .target(name: "Engine", dependencies: ["BlockLabCore", "JobSpec", "Workload", "Verify", "Metrics", "CURing", "CSupport"]),
        // Token buckets, GCRA, credit buckets, bucket tables over a lock-free multi-word cell
        // (know nothing of EBS or io_uring).
        .target(name: "Throttle", dependencies: ["BlockLabCore"]),
        // Reference buckets (token, dual, credit) over the same GCRA: the oracles the tests
        // and benchmarks hold Throttle's bucket tables against; the product does not use them.
        .target(name: "ThrottleReference", dependencies: ["BlockLabCore", "Throttle"]),
        // EBS volume/instance models, I/O accounting, latency models, virtual-clock simulator.
        .target(name: "VolumeModel", dependencies: ["BlockLabCore", "CSupport", "Throttle", "JobSpec", "Workload", "Metrics", "Yams"]),
        // `blocklab recommend`: needs (flags, a result, a recorded series) -> sized, priced
        // candidates replayed through the volume models -> ranked options.
        .target(name: "Recommend", dependencies: ["BlockLabCore", "Metrics", "VolumeModel"]),
        // Copy-on-write block store: thin volumes, snapshots, restore, checker.
        .target(name: "SnapStore", dependencies: ["BlockLabCore", "CSupport", .product(name: "Crypto", package: "swift-crypto")],
                exclude: ["README.md"]),
        // The pool's crash test (`pool crash-test`, `make crash-test`) and benchmark hooks
        // (`make bench`): harnesses over SnapStore, kept out of the library.
        .target(name: "SnapStoreHarness", dependencies: ["BlockLabCore", "CSupport", "SnapStore",
                                                         .product(name: "Crypto", package: "swift-crypto")]),
        // The lab: the standard workloads on the local target and emulated volumes, and the
        // snapshot experiment, under one run directory (plan, ETA, manifest; runs go through
        // an executor the CLI supplies, so the lab knows nothing of engines).
        .target(name: "Lab", dependencies: ["BlockLabCore", "CSupport", "Metrics", "SnapStore", "VolumeModel", "Compare", "Report", "Recommend"]),
        // `compare`: BlockLab and fio results read by content, grouped by workload and target,
        // medians with order-statistic intervals, Mann-Whitney U, bootstrap tail differences.
        .target(name: "Compare", dependencies: ["BlockLabCore"]),
        // `report`: one self-contained HTML page (inline SVG) from results, series files, a
        // comparison, prices and a recommendation.
        .target(name: "Report", dependencies: ["BlockLabCore", "Compare"]),
        // `run --repeat N`: each job N times, round-robin in alternating order, as one series.
        .target(name: "Repetition", dependencies: ["BlockLabCore", "JobSpec", "Metrics", "Engine", "VolumeModel"]),
        // Subcommands; thin glue over the modules above.
        .target(name: "BlockLabCLI", dependencies: [
            "BlockLabCore", "JobSpec", "Workload", "Metrics", "Engine", "Throttle", "VolumeModel", "SnapStore", "Recommend", "SnapStoreHarness", "Compare", "Report", "Lab", "Repetition",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "blocklab", dependencies: ["BlockLabCLI"]),
        // `make bench`: BlockLab vs fio side by side, plus microbenchmarks.
        .executableTarget(name: "blocklab-bench", dependencies: ["BlockLabCore", "CSupport", "Throttle", "ThrottleReference", "VolumeModel", "Recommend", "SnapStore", "SnapStoreHarness", "Metrics", "Compare"]),

        // Each test target names every module it imports, so a change to one rebuilds it.
        .testTarget(name: "CoreTests", dependencies: ["BlockLabCore"]),
        .testTarget(name: "JobSpecTests", dependencies: ["BlockLabCore", "JobSpec"]),
        .testTarget(name: "WorkloadTests", dependencies: ["BlockLabCore", "JobSpec", "Workload"]),
        .testTarget(name: "VerifyTests", dependencies: ["BlockLabCore", "Verify"]),
        .testTarget(name: "MetricsTests", dependencies: ["BlockLabCore", "Metrics"]),
        .testTarget(name: "EngineTests", dependencies: ["BlockLabCore", "JobSpec", "Metrics", "Engine", "VolumeModel"]),
        .testTarget(name: "ThrottleTests", dependencies: ["BlockLabCore", "Throttle", "ThrottleReference"]),
        .testTarget(name: "VolumeModelTests", dependencies: ["BlockLabCore", "JobSpec", "Workload", "Metrics", "Throttle", "VolumeModel"]),
        .testTarget(name: "RecommendTests", dependencies: ["BlockLabCore", "Metrics", "VolumeModel", "Recommend"]),
        .testTarget(name: "SnapStoreTests", dependencies: ["BlockLabCore", "SnapStore", "SnapStoreHarness"]),
        .testTarget(name: "LabTests", dependencies: ["BlockLabCore", "Lab", "VolumeModel", "Yams"]),
        .testTarget(name: "CLITests", dependencies: ["BlockLabCore", "BlockLabCLI", "Metrics", "Repetition", "SnapStore", "SnapStoreHarness"]),
        .testTarget(name: "CompareTests", dependencies: ["BlockLabCore", "Compare"], exclude: ["Fixtures", "Golden"]),
        // Opens the HTML report in headless Chromium (`make deps` installs it).
        .testTarget(name: "ReportTests", dependencies: ["BlockLabCore", "Compare", "Report"], exclude: ["Fixtures"]),
        // The malformed-input corpus: runs the built `blocklab` executable as a subprocess.
        .testTarget(name: "CorpusTests"),
    ],
    swiftLanguageModes: [.v5]
)

// libFuzzer targets (`make fuzz`), declared only when BLOCKLAB_FUZZ=1 so that a normal
// `swift build` / `swift test` neither builds them nor needs -sanitize=fuzzer.
if Context.environment["BLOCKLAB_FUZZ"] == "1" {
    package.targets.append(.target(name: "CFuzzDriver", path: "Sources/Fuzz/CFuzzDriver"))
    for (name, deps) in [("FuzzJobFile", ["BlockLabCore", "JobSpec", "Workload"]),
                         ("FuzzVolumeSpec", ["BlockLabCore", "VolumeModel"]),
                         ("FuzzSeries", ["BlockLabCore", "VolumeModel"]),
                         ("FuzzJournal", ["BlockLabCore", "SnapStore"]),
                         ("FuzzResults", ["BlockLabCore", "Compare", "Report"]),
                         ("FuzzCloudWatch", ["BlockLabCore", "Recommend"])] {
        package.targets.append(.executableTarget(name: name, dependencies: (deps + ["CFuzzDriver"]).map { .target(name: $0) },
                                                 path: "Sources/Fuzz/\(name)"))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
