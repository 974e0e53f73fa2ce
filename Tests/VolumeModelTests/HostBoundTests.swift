import BlockLabCore
import Foundation
import Testing
@testable import VolumeModel

@Test func hostBoundComparesWithWhatTheModelAllowsAtTheQueueDepth() throws {
    let shaper = VolumeShaper(volume: try resolve("gp3:size=500g"), epoch: 0)
    let mean = shaper.latency.meanNs
    // The table's mean is the lognormal's (floor + excess median × e^(σ²/2)), near 1 ms for gp3.
    let excess = shaper.latency.spec.medianUs - shaper.latency.spec.floorUs
    let sigma = log((shaper.latency.spec.p99Us - shaper.latency.spec.floorUs) / excess) / 2.326_347_874
    let lognormalMeanNs = (shaper.latency.spec.floorUs + excess * exp(sigma * sigma / 2)) * 1000
    #expect(abs(mean - lognormalMeanNs) < lognormalMeanNs * 0.02)
    let depth1 = 1e9 / mean
    // Depth 1 at 95 % of 1 / latency: the model held it there, not the host.
    #expect(shaper.hostBound(observedIOPS: 0.95 * depth1, observedBytesPerSec: 0.95 * depth1 * 16384, elapsedNs: 10 * S, iodepth: 1) == nil)
    // Without the depth, the old check against the envelope alone flags it.
    #expect(shaper.hostBound(observedIOPS: 0.95 * depth1, observedBytesPerSec: 0.95 * depth1 * 16384, elapsedNs: 10 * S) != nil)
    // Half of what depth 1 allows: the host was slower than the emulated device.
    let slow = shaper.hostBound(observedIOPS: 0.5 * depth1, observedBytesPerSec: 0.5 * depth1 * 16384, elapsedNs: 10 * S, iodepth: 1)
    #expect(slow?.contains("queue depth 1") == true)
    // Deep queues: the envelope (3,000 IOPS) is the lower bound again.
    #expect(shaper.hostBound(observedIOPS: 2950, observedBytesPerSec: 2950 * 16384, elapsedNs: 10 * S, iodepth: 64) == nil)
    #expect(shaper.hostBound(observedIOPS: 1500, observedBytesPerSec: 1500 * 16384, elapsedNs: 10 * S, iodepth: 64) != nil)
}
