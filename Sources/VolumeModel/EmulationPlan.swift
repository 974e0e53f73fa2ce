import BlockLabCore
import JobSpec
import Metrics
import Throttle

/// The EBS volumes and instances a set of jobs emulates, decided once: every `volume=` and
/// `instance=` text is parsed and resolved against the profiles a single time, checked
/// against the jobs (regions, thread counts, the largest I/O) before anything runs, turned
/// into shapers, and afterwards used to judge which runs never reached the envelope
/// (host-bound). `run` and `simulate` both go through it; the engine only receives the
/// shapers, as data.
///
/// Which jobs share a volume: a volume stands for a target, so jobs naming the same volume
/// spec on the same file share one emulated volume (its credits carry from a fill phase to
/// a read phase), and a job's numjobs clones always share theirs. Jobs with no filename
/// (fio names their files per job) each have their own.
public final class EmulationPlan {
    /// One emulated volume and the jobs that admit to it.
    public struct Volume {
        public let spec: VolumeSpec
        public let resolved: ResolvedVolume
        public let instance: String?
        /// Indices (into the jobs given) of the jobs on this volume.
        public fileprivate(set) var jobs: [Int]
        /// Job threads that will admit to it (numjobs summed).
        public fileprivate(set) var threads: Int
        /// The largest I/O any of its jobs issues.
        public fileprivate(set) var largestIO: UInt64
    }

    public private(set) var volumes: [Volume] = []
    /// For each job, the volume it emulates (nil: a plain run).
    public private(set) var volumeOfJob: [Int?]
    /// Instance profiles by name, and the job threads on each.
    private var instanceProfiles: [String: InstanceProfile] = [:]
    private var instanceThreads: [String: Int] = [:]
    /// "origin: job 'name'" per job, for messages.
    private var jobLabels: [String]
    /// Per job, the I/Os one clone keeps in flight (iodepth within what its engine keeps).
    private var queueDepths: [Int]
    /// How many distinct volume specs were parsed and resolved (each exactly once).
    public private(set) var resolutions = 0
    /// The shapers made by `shapers(...)`, per volume, kept for judging host-bound.
    public private(set) var shapers: [VolumeShaper] = []

    /// Plans the volumes of `jobs` (each job's own `volume=`/`instance=`, already
    /// overridden by the command line's where given).
    public init(jobs: [JobSpec], store: ProfileStore) throws {
        volumeOfJob = Array(repeating: nil, count: jobs.count)
        jobLabels = jobs.map { "\($0.origin): job '\($0.name)'" }
        queueDepths = jobs.map(\.effectiveDepth)
        var resolvedByText: [String: (VolumeSpec, ResolvedVolume)] = [:]
        var byTarget: [String: Int] = [:]
        for (index, job) in jobs.enumerated() {
            if let name = job.instance {
                guard job.volume != nil else {
                    throw BlockLabError.usage("\(job.origin): --instance applies an instance's EBS limit to an EBS volume; give --volume too")
                }
                if instanceProfiles[name] == nil { instanceProfiles[name] = try store.instance(named: name) }
            }
            guard let text = job.volume else { continue }
            let (spec, base): (VolumeSpec, ResolvedVolume)
            if let known = resolvedByText[text] {
                (spec, base) = known
            } else {
                spec = try VolumeSpec.parse(text)
                base = try spec.resolve(in: store)
                resolutions += 1
                resolvedByText[text] = (spec, base)
            }
            var resolved = base
            // Instance store is local: its instance lends it its disks' envelope, and its EBS
            // limits never apply to it.
            var instance = job.instance
            if resolved.profile.rules == .instanceStore, let name = instance {
                try resolved.attachLocal(instance: instanceProfiles[name]!)
                instance = nil
            }
            if let name = instance { instanceThreads[name, default: 0] += job.numjobs }
            if let size = job.size {
                let (end, overflow) = job.offset.addingReportingOverflow(size)
                if overflow || end > resolved.sizeBytes {
                    throw BlockLabError.usage("\(job.origin): job '\(job.name)': offset=\(job.offset) size=\(size) lies outside the "
                        + "emulated \(resolved.name) volume (\(Units.formatBytes(resolved.sizeBytes)))")
                }
            }
            let key = job.filename.map { "\(text)\u{0}\(job.instance ?? "")\u{0}\(job.directory ?? "")\u{0}\($0)" }
            if let key, let v = byTarget[key] {
                volumes[v].jobs.append(index)
                volumes[v].threads += job.numjobs
                volumes[v].largestIO = max(volumes[v].largestIO, UInt64(job.maxBlockSize))
                volumeOfJob[index] = v
            } else {
                volumes.append(Volume(spec: spec, resolved: resolved, instance: instance, jobs: [index],
                                      threads: job.numjobs, largestIO: UInt64(job.maxBlockSize)))
                volumeOfJob[index] = volumes.count - 1
                if let key { byTarget[key] = volumes.count - 1 }
            }
        }
    }

    /// Every job's region must lie within its emulated volume (jobs with `size=` were
    /// already checked by `init`; the others end where their target does).
    public func check(regionEnds: [UInt64]) throws {
        for volume in volumes {
            for j in volume.jobs where j < regionEnds.count && regionEnds[j] > volume.resolved.sizeBytes {
                throw BlockLabError.usage("\(jobLabels[j]): its region ends at \(Units.formatBytes(regionEnds[j])), beyond the emulated "
                    + "\(volume.resolved.name) volume (\(Units.formatBytes(volume.resolved.sizeBytes))); give size= (and offset=) within it")
            }
        }
    }

    /// Builds one shaper per volume (an instance's limits shared by every volume attached
    /// to it, as on EC2) and returns, per job, the shaper it admits to.
    /// - regionEnds: per job, where its byte range ends on its target (known once targets
    ///   are resolved; jobs with `size=` were already checked by `init`).
    public func shapers(regionEnds: [UInt64], clock: MonotonicClock) throws -> [IOShaper?] {
        try check(regionEnds: regionEnds)
        var instances: [String: InstanceLimits] = [:]
        for (name, profile) in instanceProfiles {
            let attached = volumes.filter { $0.instance == name }
            instances[name] = InstanceLimits(profile: profile, epoch: clock.now(), sharing: Self.sharing(threads: instanceThreads[name]),
                                             attached: attached.map { Upstream(volume: $0.resolved, largestIO: $0.largestIO) },
                                             volumes: attached.count)
        }
        shapers = volumes.map { volume in
            VolumeShaper(volume: volume.resolved, instance: volume.instance.flatMap { instances[$0] }, epoch: clock.now(),
                         sharing: Self.sharing(threads: volume.threads))
        }
        return volumeOfJob.map { $0.map { shapers[$0] } }
    }

    /// The plan for `simulate`: every job (a phase) and a replayed series play on one
    /// volume, admitted from one thread.
    public init(simulating text: String, instance: String?, jobs: [JobSpec], replaysSeries: Bool, store: ProfileStore) throws {
        let spec = try VolumeSpec.parse(text)
        var resolved = try spec.resolve(in: store)
        resolutions = 1
        var instance = instance
        if let name = instance, resolved.profile.rules == .instanceStore {
            try resolved.attachLocal(instance: store.instance(named: name))
            instance = nil
        }
        volumes = [Volume(spec: spec, resolved: resolved, instance: instance, jobs: Array(jobs.indices), threads: 1,
                          largestIO: jobs.map { UInt64($0.maxBlockSize) }.max() ?? 0)]
        volumeOfJob = jobs.map { _ in 0 }
        jobLabels = jobs.map { "\($0.origin): job '\($0.name)'" }
        queueDepths = jobs.map(\.effectiveDepth)
        if let instance { instanceProfiles[instance] = try store.instance(named: instance) }
        self.replaysSeries = replaysSeries
    }

    private var replaysSeries = false

    /// The one shaper of a simulation, on the virtual clock (epoch 0). A replayed series
    /// has no I/O size, so then the instance books all its limits.
    public func simulationShaper() -> VolumeShaper {
        let volume = volumes[0]
        let inst = volume.instance.flatMap { instanceProfiles[$0] }.map {
            InstanceLimits(profile: $0, epoch: 0, sharing: .exclusive,
                           attached: replaysSeries || volume.jobs.isEmpty ? nil : [Upstream(volume: volume.resolved, largestIO: volume.largestIO)],
                           volumes: 1)
        }
        let shaper = VolumeShaper(volume: volume.resolved, instance: inst, epoch: 0, sharing: .exclusive)
        shapers = [shaper]
        return shaper
    }

    /// An instance's profile as the plan resolved it.
    public func instanceProfile(named name: String) -> InstanceProfile? { instanceProfiles[name] }

    /// Exclusive only when exactly one thread uses it (unknown: shared, safe).
    static func sharing(threads: Int?) -> Sharing { threads == 1 ? .exclusive : .shared }

    /// Why a job never reached its emulated envelope, or nil. `jobIndex` is the job's index
    /// in the jobs the plan was made from, `clones` how many of its clones the figures sum
    /// (a reporting group's); the queue depth is known from the plan.
    public func hostBound(jobIndex: Int, clones: Int = 1, iops: Double, bytesPerSec: Double, elapsedNs: UInt64) -> String? {
        guard jobIndex < volumeOfJob.count, let v = volumeOfJob[jobIndex], v < shapers.count else { return nil }
        return shapers[v].hostBound(observedIOPS: iops, observedBytesPerSec: bytesPerSec, elapsedNs: elapsedNs,
                                    iodepth: queueDepths[jobIndex] * max(1, clones))
    }

    /// Marks the results whose run never reached its emulated envelope (it measured the
    /// host, not the volume) and returns a warning for each.
    public func markHostBound(_ run: inout RunResult) -> [String] {
        var warnings: [String] = []
        for i in run.jobs.indices {
            let r = run.jobs[i]
            guard let index = r.specIndex,
                  let why = hostBound(jobIndex: index, clones: r.jobCount, iops: r.read.iops + r.write.iops,
                                      bytesPerSec: r.read.bwBytesPerSec + r.write.bwBytesPerSec,
                                      elapsedNs: r.jobRuntimeNs / UInt64(max(1, r.jobCount))) else { continue }
            run.jobs[i].hostBound = why
            warnings.append("warning: \(r.name): host-bound: \(why)")
        }
        return warnings
    }
}
