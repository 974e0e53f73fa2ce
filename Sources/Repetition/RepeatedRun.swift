import BlockLabCore
import Engine
import JobSpec
import Metrics
import VolumeModel

/// `blocklab run --repeat N`: every job N times, as one series a comparison can judge.
///
/// Each job runs alone, round-robin with the others and in alternating order (A B C, C B A,
/// ...), so a drift of the machine over time is spread over every variant instead of landing
/// on the last one. Each run gets a fresh plan and fresh shapers, so an emulated volume starts
/// every repetition in its initial state. Files are laid out once, by a job's first run.
public struct RepeatedRun {
    public var jobs: [JobSpec]
    public var repetitions: Int
    public var options: RunOptions
    public var store: ProfileStore

    public init(jobs: [JobSpec], repetitions: Int, options: RunOptions, store: ProfileStore) {
        self.jobs = jobs
        self.repetitions = repetitions
        self.options = options
        self.store = store
    }

    public struct Output {
        /// Every repetition's results, each marked with the series and its repetition.
        public var result: RunResult
        /// `--write-series` lines, each with its repetition.
        public var seriesLines: [String] = []
        public var errors: [String] = []
        /// Host-bound warnings from the emulated volumes, and what the jobs reported without
        /// failing (error_dump).
        public var warnings: [String] = []
        public var interrupted = false
    }

    /// Checks every job (targets, volumes, instances) before any I/O, then runs the series.
    public func run(seriesID: String = RepeatedRun.newSeriesID()) throws -> Output {
        var singles = try jobs.map { job -> (RunPlan, EmulationPlan?) in
            let p = try Runner.prepare([job], options: options)
            let e = job.volume != nil || job.instance != nil ? try EmulationPlan(jobs: [job], store: store) : nil
            try e?.check(regionEnds: p.regionEnds)
            return (p, e)
        }
        var out = Output(result: RunResult(jobs: [], timestampMs: WallClock.nowEpochMilliseconds()))
        repetitions: for rep in 0..<repetitions {
            for index in Self.order(jobs: jobs.count, repetition: rep) {
                try Runner.layOut(&singles[index].0, options: options)
                let (single, emulation) = singles[index]
                let shapers = try emulation?.shapers(regionEnds: single.regionEnds, clock: options.clock) ?? []
                let ran = try Runner.run(single, shapers: shapers, options: options)
                var part = ran.result
                out.warnings += emulation?.markHostBound(&part) ?? []
                for var r in part.jobs {
                    r.specIndex = index
                    r.series = SeriesMark(id: seriesID, repetition: rep, repetitions: repetitions)
                    out.result.jobs.append(r)
                }
                out.seriesLines += ran.series.map { "{\"repetition\":\(rep)," + $0.dropFirst() }
                out.errors += ran.errors
                out.warnings += ran.notices
                if ran.interrupted { out.interrupted = true; break repetitions }
            }
        }
        out.result.extras = [("interrupted", .bool(out.interrupted)), ("series", .object([
            ("id", .string(seriesID)), ("repetitions", .int(Int64(repetitions))),
            ("order", .string("round-robin, alternating direction")),
        ]))]
        return out
    }

    /// The job indices of repetition `rep`: in order on even repetitions, reversed on odd.
    public static func order(jobs: Int, repetition rep: Int) -> [Int] {
        rep % 2 == 0 ? Array(0..<jobs) : Array((0..<jobs).reversed())
    }

    /// A series id unique enough to tell one invocation's results from another's.
    public static func newSeriesID() -> String {
        var g = SystemRandomNumberGenerator()
        return String(WallClock.nowEpochMilliseconds(), radix: 36) + "-" + String(g.next() & 0xffff_ffff, radix: 36)
    }
}
