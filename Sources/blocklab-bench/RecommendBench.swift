import BlockLabCore
import Foundation
import Recommend
import VolumeModel

/// `blocklab-bench recommend`: a 14-day per-minute series (20,160 intervals, a daily cycle of
/// 800-3,000 IOPS of 16 KiB, 30 % writes) recommended against every candidate type, as the
/// issue's speed target states it (under 2 s on the project machine). Reported, not asserted:
/// the lead measures on a quiet machine.
func recommendBench(profiles: String, rounds: Int) throws -> [String] {
    let store = ProfileStore(directory: profiles)
    let prices = try store.prices(region: "us-east-1")
    var demand: [DemandInterval] = []
    var rng = SplitMix64(seed: 14)
    for m in 0..<(14 * 24 * 60) {
        let hour = Double((m / 60) % 24)
        let iops = 800 + 2200 * max(0, sin((hour - 6) / 24 * 2 * Double.pi))
        let ios = UInt64(iops * 60 * (0.9 + 0.2 * Double(rng.next() % 1000) / 1000))
        let w = ios * 3 / 10
        demand.append(DemandInterval(startNs: UInt64(m) * 60 * NS.perSecond, durationNs: 60 * NS.perSecond,
                                     ios: [ios - w, w], bytes: [(ios - w) * 16384, w * 16384]))
    }
    let needs = Needs(demand: demand, steady: false, pattern: .random, capacityGiB: 500, latencyTargetUs: nil, latencyPercentile: 99,
                      durability: .none, queueDepth: 32, source: "bench")
    var times: [Double] = []
    var chosen = ""
    for _ in 0..<max(1, rounds) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = try Recommender(store: store, prices: prices).recommend(needs)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        chosen = "\(r.chosen.label) \(Recommender.money(r.chosen.monthlyCost)), \(r.options.count) options, \(r.rejected.count) rejected"
    }
    times.sort()
    return ["recommend: 14 days per minute (20,160 intervals) against every candidate (instance store on every profiled type included)",
            "  median \(Units.formatDecimal(times[times.count / 2], places: 3)) s, best \(Units.formatDecimal(times[0], places: 3)) s over \(times.count) rounds (target < 2 s)",
            "  chosen: \(chosen)"]
}
