import BlockLabCore
import CSupport
import Dispatch
import Foundation
import Throttle
import VolumeModel

/// What an admit costs when two job threads share one volume and take turns, with some
/// work between admits as in a run (an I/O submitted, a completion reaped): the cell's cache
/// lines then cross between cores on most admits. Each admit is timed with the time-stamp
/// counter (a clock read would cost as much as the admit), the timer's own cost taken off,
/// and the figure is the best of `rounds` rounds. Not held to the 100 ns budget, which the
/// single-thread figures measure: this shows what sharing across cores adds on this machine.
func throttleContention(admits: Int = 100_000, rounds: Int = 5) -> [String] {
    let store = ProfileStore(directory: ProfileStore.defaultDirectory(cwd: FileManager.default.currentDirectoryPath))
    guard let v = try? VolumeSpec.parse("gp2:size=100g").resolve(in: store), let m5 = try? store.instance(named: "m5.large") else {
        return ["throttle contention: skipped (profiles not found)"]
    }
    let c0 = DispatchTime.now().uptimeNanoseconds, t0 = bl_tsc()
    Thread.sleep(forTimeInterval: 0.2)
    let ticksPerNs = Double(bl_tsc() - t0) / Double(DispatchTime.now().uptimeNanoseconds - c0)
    var timer = UInt64.max // ticks of an empty timed region
    for _ in 0..<5 {
        var s: UInt64 = 0
        for _ in 0..<100_000 { let a = bl_tsc(); s &+= bl_tsc() &- a }
        timer = min(timer, s / 100_000)
    }
    var lines: [String] = []
    for (label, spin) in [("back to back", 0), ("~0.3 us apart", 300), ("~3 us apart", 3000)] {
        var figures: [String] = []
        for threads in [1, 2] {
            var best = Double.infinity
            for _ in 0..<rounds {
                let limits = InstanceLimits(profile: m5, epoch: 0, sharing: .shared, volumes: 1)
                let shaper = VolumeShaper(volume: v, instance: limits, epoch: 0, sharing: .shared)
                let ticks = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads)
                defer { ticks.deallocate() }
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    var sum: UInt64 = 0, x: UInt64 = 1, offset = UInt64(t) << 40
                    for i in 0..<admits {
                        offset = offset &* 6364136223846793005 &+ 1442695040888963407
                        let a = bl_tsc()
                        x &+= shaper.admit(direction: .read, offset: (offset >> 24) << 14, length: 16384, now: UInt64(i) * 1000)
                        sum &+= (bl_tsc() &- a) &- timer
                        for _ in 0..<spin { x = x &* 2862933555777941757 &+ 3037000493 } // the work between admits
                    }
                    ticks[t] = sum &+ (x & 1)
                }
                best = min(best, Double(ticks.reduce(0, &+)) / Double(threads * admits) / ticksPerNs)
            }
            figures.append("\(threads) thread\(threads == 1 ? "" : "s") \(Units.formatDecimal(best, places: 0))")
        }
        lines.append("throttle contention, gp2 on m5.large (every limit booked), admits \(label): "
            + figures.joined(separator: ", ") + " ns per admit (no budget: cache lines crossing cores)")
    }
    return lines
}
