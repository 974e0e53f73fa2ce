import BlockLabCore
import Engine

/// The live line on a terminal: progress, current IOPS and bandwidth per direction, ETA.
final class StatusLine: @unchecked Sendable {
    let enabled: Bool
    let clock: MonotonicClock
    private var last: (t: UInt64, ios: [UInt64], bytes: [UInt64])?
    private let start: UInt64

    static let clear = "\r\u{1B}[K"

    init(enabled: Bool, clock: MonotonicClock) {
        self.enabled = enabled
        self.clock = clock
        start = clock.now()
    }

    /// Progress of the slowest-to-finish measure we have: bytes for bounded jobs, time for
    /// time-based ones.
    private func progressPercent(_ snaps: [JobProgress.Snapshot], now: UInt64) -> Double {
        let planned = snaps.reduce(UInt64(0)) { $0 + $1.plannedBytes }
        let moved = snaps.reduce(UInt64(0)) { $0 + $1.bytes[0] + $1.bytes[1] }
        if planned > 0 { return min(100, Double(moved) * 100 / Double(planned)) }
        if let d = snaps.map(\.deadline).max(), d > start, now < d { return Double(now - start) * 100 / Double(d - start) }
        return 0
    }

    func draw(_ jobs: [JobProgress], write: (String) -> Void) {
        let now = clock.now()
        let snaps = jobs.map { $0.snapshot() }
        let ios = [snaps.reduce(0) { $0 + $1.ios[0] }, snaps.reduce(0) { $0 + $1.ios[1] }]
        let bytes = [snaps.reduce(0) { $0 + $1.bytes[0] }, snaps.reduce(0) { $0 + $1.bytes[1] }]
        defer { last = (now, ios, bytes) }
        guard let last, now > last.t else { return }
        let dt = Double(now - last.t) / 1e9
        var parts: [String] = []
        for (i, label) in ["r", "w"].enumerated() where ios[i] > last.ios[i] {
            let iops = Double(ios[i] - last.ios[i]) / dt
            let bw = Double(bytes[i] - last.bytes[i]) / dt
            parts.append("\(label): \(Units.formatDecimal(iops / 1000, places: 1))k IOPS \(Units.formatRate(bw))")
        }
        let done = snaps.filter(\.finished).count
        var eta = ""
        let deadlines = snaps.map(\.deadline).filter { $0 > now }
        if let d = deadlines.max() {
            eta = " ETA \((d - now + NS.perSecond - 1) / NS.perSecond)s"
        } else {
            let planned = snaps.reduce(UInt64(0)) { $0 + $1.plannedBytes }
            let moved = bytes[0] + bytes[1]
            if planned > 0, moved > 0, moved < planned {
                let elapsed = Double(now - start)
                let seconds = elapsed * Double(planned - moved) / Double(moved) / 1e9
                if seconds < 1e9 { eta = " ETA \(UInt64(seconds) + 1)s" } // a first trickle says nothing yet
            }
        }
        let percent = Units.formatDecimal(progressPercent(snaps, now: now), places: 0)
        write("\(StatusLine.clear)[\(done)/\(jobs.count) done, \(percent)%] \(parts.joined(separator: ", "))\(eta)")
    }
}
