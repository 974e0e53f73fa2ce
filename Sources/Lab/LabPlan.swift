import BlockLabCore
import Glibc

/// The lab: one experiment that runs a standard set of workloads on the local target
/// (standing for instance store) and on emulated EBS volumes, then a snapshot experiment,
/// with every result under one run directory. This file is the plan: what runs, on what,
/// in which order, for how long. It does no I/O; `LabRunner` carries it out.

/// One workload: a fio job file whose filename, size and runtime the lab sets through
/// `${LAB_FILE}`, `${LAB_SIZE}` and `${LAB_RUNTIME}`.
public struct LabWorkload: Sendable, Equatable {
    /// The file's stem, e.g. "db-70-30".
    public var name: String
    /// The job file.
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    /// The lab's workloads: every `*.fio` in `directory`, in name order, or those named in
    /// `only` (in that order).
    public static func load(directory: String, only: [String]? = nil) throws -> [LabWorkload] {
        var st = stat()
        guard stat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw BlockLabError.usage("lab: workload directory \(Text.escaped(directory)) does not exist")
        }
        guard let dir = opendir(directory) else {
            throw BlockLabError.usage("lab: cannot read \(Text.escaped(directory)): \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".fio") && !name.hasPrefix(".") { names.append(String(name.dropLast(4))) }
        }
        names.sort()
        guard !names.isEmpty else { throw BlockLabError.usage("lab: no *.fio workloads in \(Text.escaped(directory))") }
        if let only {
            for n in only where !names.contains(n) {
                throw BlockLabError.usage("lab: --workloads: no workload '\(Text.escaped(n))' (known: \(names.joined(separator: ", ")))")
            }
            names = only
        }
        return names.map { LabWorkload(name: $0, path: "\(directory)/\($0).fio") }
    }
}

/// Where a workload runs: the local target as it is, or shaped like an EBS volume.
public struct LabTarget: Sendable, Equatable {
    /// "local" or the volume type ("gp2", ...).
    public var name: String
    /// The `--volume` spec; nil for the local target.
    public var volume: String?

    public init(name: String, volume: String?) {
        self.name = name
        self.volume = volume
    }
}

public enum LabMode: String, Sendable, CaseIterable {
    /// `make demo`'s size: a few seconds per run.
    case quick
    /// Longer runs and repetitions, for statistics worth comparing.
    case full
}

public struct LabOptions: Sendable {
    public var mode: LabMode = .quick
    /// Volume types to emulate, beside the local target.
    public var volumes: [String] = ["gp2", "gp3", "io2", "st1", "sc1"]
    /// Size of every emulated volume, GiB.
    public var volumeSizeGiB: UInt64 = 500
    /// An instance whose EBS limits apply to the emulated volumes.
    public var instance: String?
    /// Workload names to run (nil: all).
    public var workloads: [String]?
    /// Include the snapshot experiment.
    public var snapshots = true
    /// Per-run seconds and repetitions (nil: the mode's).
    public var runtimeSeconds: UInt64?
    public var repeats: Int?
    /// Bytes of the file (or device region) each run works on (nil: the mode's).
    public var fileBytes: UInt64?

    public init() {}

    public var effectiveRuntimeSeconds: UInt64 { runtimeSeconds ?? (mode == .quick ? 3 : 10) }
    /// Full runs repeat 6 times: compare's confidence intervals need 6 samples, its tests 4.
    public var effectiveRepeats: Int { repeats ?? (mode == .quick ? 1 : 6) }
    public var effectiveFileBytes: UInt64 { fileBytes ?? (mode == .quick ? 256 * Units.MiB : 4 * Units.GiB) }
    /// The snapshot experiment's volume.
    /// The snapshot experiment's volume: large enough that the slowest background load AWS
    /// offers (100 MiB/s) takes longer than the first-touch run.
    public var snapshotVolumeBytes: UInt64 { mode == .quick ? 256 * Units.MiB : 2 * Units.GiB }

    /// Range checks on what came from outside, before anything is planned.
    public func validate() throws {
        guard (1...65_536).contains(volumeSizeGiB) else {
            throw BlockLabError.usage("lab: --size \(volumeSizeGiB) GiB: an EBS volume is 1 to 65,536 GiB")
        }
        if let r = runtimeSeconds, !(1...86_400).contains(r) {
            throw BlockLabError.usage("lab: --runtime \(r): give 1 to 86,400 seconds")
        }
        if let n = repeats, !(1...100).contains(n) {
            throw BlockLabError.usage("lab: --repeat \(n): give 1 to 100")
        }
        if let b = fileBytes, b < 16 * Units.MiB || b > InputLimits.maxBytes {
            throw BlockLabError.usage("lab: --file-size \(b): give 16 MiB or more")
        }
        if Set(volumes).count != volumes.count {
            throw BlockLabError.usage("lab: --volumes names a type twice (\(volumes.joined(separator: ","))): each run's result would replace the other's")
        }
        if let w = workloads, Set(w).count != w.count {
            throw BlockLabError.usage("lab: --workloads names a workload twice (\(w.joined(separator: ","))): each run's result would replace the other's")
        }
        for v in volumes where v.isEmpty || v.contains(",") || v.contains(":") {
            throw BlockLabError.usage("lab: --volumes: '\(Text.escaped(v))' is not a volume type (give types such as gp3,st1; --size sets the size)")
        }
    }

    /// The `--volume` spec the lab uses for a volume type. gp2 starts with a small credit
    /// balance so that running out of burst credits, and the fall to baseline, happen
    /// within one run; io2 gets 16,000 provisioned IOPS (a common database size).
    public func volumeSpec(type: String) -> String {
        let size = "size=\(volumeSizeGiB)g"
        switch type {
        case "gp2":
            // On a 500 GiB volume at full burst 2,700 credits drain at 3,000 - 1,500 IOPS in
            // 1.8 s, about 60 % of a quick run; longer runs start with proportionally more.
            let balance = mode == .quick ? "0.05" : String(format: "%.2f", min(100, 0.05 * Double(effectiveRuntimeSeconds) / 3))
            return "gp2:\(size),burst-balance=\(balance)%"
        case "io2", "io1":
            return "\(type):\(size),iops=\(min(16_000, volumeSizeGiB * 50))"
        default:
            return "\(type):\(size)"
        }
    }

    public var targets: [LabTarget] {
        [LabTarget(name: "local", volume: nil)] + volumes.map { LabTarget(name: $0, volume: volumeSpec(type: $0)) }
    }
}

/// One run of the lab: a workload on a target, one repetition.
public struct LabStep: Sendable, Equatable {
    public var workload: LabWorkload
    public var target: LabTarget
    /// 1-based.
    public var repetition: Int
    /// File name of its result in the run directory.
    public var resultName: String
}

/// Everything the lab will do, in order.
public struct LabPlan: Sendable {
    public var options: LabOptions
    public var workloads: [LabWorkload]
    public var steps: [LabStep]

    /// Repetitions outermost, so each repetition is a full pass and variants interleave; within
    /// a pass one workload runs on every target back to back (the same machine state for the
    /// figures compared side by side); the target order alternates from pass to pass.
    public init(options: LabOptions, workloads: [LabWorkload]) {
        self.options = options
        self.workloads = workloads
        var steps: [LabStep] = []
        let repeats = options.effectiveRepeats
        for rep in 1...repeats {
            let targets = rep % 2 == 1 ? options.targets : options.targets.reversed()
            for w in workloads {
                for t in targets {
                    let suffix = repeats > 1 ? "--r\(rep)" : ""
                    steps.append(LabStep(workload: w, target: t, repetition: rep, resultName: "\(w.name)--\(t.name)\(suffix).json"))
                }
            }
        }
        self.steps = steps
    }

    /// The environment a step's job file is read with.
    public func environment(for step: LabStep, file: String, base: [String: String]) -> [String: String] {
        var env = base
        env["LAB_FILE"] = file
        env["LAB_SIZE"] = String(options.effectiveFileBytes)
        env["LAB_RUNTIME"] = String(options.effectiveRuntimeSeconds)
        return env
    }
}

/// Seconds left, from the runs done so far: each run costs its runtime plus an overhead
/// (start-up, layout, writing the result) measured on the runs already done.
public struct LabETA: Sendable {
    public var runtimeSeconds: Double
    public var fixedSeconds: Double

    public init(runtimeSeconds: UInt64, fixedSeconds: Double = 0) {
        self.runtimeSeconds = Double(runtimeSeconds)
        self.fixedSeconds = fixedSeconds
    }

    /// - elapsedNs: wall time of the `done` runs so far.
    public func remainingSeconds(done: Int, total: Int, elapsedNs: UInt64) -> Double {
        let left = Double(max(0, total - done))
        let perRun = done > 0 ? max(runtimeSeconds, Double(elapsedNs) / 1e9 / Double(done)) : runtimeSeconds + 1
        return left * perRun + fixedSeconds
    }

    public static func format(seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
