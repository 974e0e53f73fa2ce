import BlockLabCore
import Engine
import JobSpec
import Metrics

/// fio's log files for a run: named from the jobs before the run (so every path is checked
/// before any I/O), filled from the job threads' rows after it, and published together:
/// each is staged as a temporary file next to its destination and renamed only once all are
/// staged, so a failed run or write leaves none half written.
struct LogFiles {
    struct File {
        var output: OutputFile
        var kind: FioLogKind
        /// fio job numbers whose rows go in it, in order (one unless per_job_logs=0).
        var jobNumbers: [Int]
    }
    var files: [File] = []

    /// Every log file the jobs ask for, checked as outputs. Job numbers count every clone
    /// of every job from 1, as fio's.
    static func plan(_ jobs: [JobSpec]) throws -> LogFiles {
        var out = LogFiles()
        var byPath: [String: Int] = [:]
        var number = 0
        for job in jobs {
            for _ in 0..<job.numjobs {
                number += 1
                let o = job.logs
                let stems: [(String?, [FioLogKind], String)] = [
                    (o.lat, [.lat, .slat, .clat], "write_lat_log"), (o.hist, [.clatHist], "write_hist_log"),
                    (o.bw, [.bw], "write_bw_log"), (o.iops, [.iops], "write_iops_log"),
                ]
                for (stem, kinds, option) in stems {
                    guard let stem else { continue }
                    for kind in kinds {
                        let name = kind.fileName(stem: stem.isEmpty ? job.name : stem, jobNumber: number, perJob: o.perJobLogs)
                        if let i = byPath[name] {
                            out.files[i].jobNumbers.append(number)
                            continue
                        }
                        let checked = try OutputFile.check(name, what: "\(job.origin): option \(option) of job '\(job.name)'")
                        byPath[name] = out.files.count
                        out.files.append(File(output: checked, kind: kind, jobNumbers: [number]))
                    }
                }
            }
        }
        return out
    }

    var isEmpty: Bool { files.isEmpty }

    /// Writes every file from the run's rows (a job thread that never ran leaves its rows
    /// out; its file is still written, empty, as fio's). Regular files are staged and
    /// renamed only once all are complete.
    func write(_ logs: [CloneLog]) throws {
        let byNumber = Dictionary(logs.map { ($0.jobNumber, $0.data) }, uniquingKeysWith: { a, _ in a })
        var staged: [AtomicFile.Staged] = []
        defer { for s in staged { s.discard() } }
        for file in files {
            let datas = file.jobNumbers.compactMap { byNumber[$0] }
            switch file.output.kind {
            case .file:
                let s = try AtomicFile.Staged(for: file.output.path)
                staged.append(s)
                for d in datas { try FioLogText.write(file.kind, d) { try s.append($0) } }
                try s.seal()
            default:
                var bytes: [UInt8] = []
                for d in datas { try FioLogText.write(file.kind, d) { bytes += $0 } }
                try file.output.write(bytes)
            }
        }
        for s in staged { try s.publish() }
    }
}
