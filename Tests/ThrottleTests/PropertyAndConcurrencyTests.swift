import BlockLabCore
import Dispatch
import Testing
@testable import Throttle
import ThrottleReference

private let S: UInt64 = 1_000_000_000

@Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
func admittedWorkNeverExceedsRateTimesWindowPlusBurst(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let rate = UInt64.random(in: 1...5000, using: &rng)
    let burst = UInt64.random(in: 1...200, using: &rng)
    let b = TokenBucket(rate: rate, burst: burst, epoch: 0)
    var events: [(t: UInt64, cost: UInt64)] = []
    var now: UInt64 = 0
    for _ in 0..<3000 {
        now += UInt64.random(in: 0...(4 * S / rate), using: &rng)
        let cost = UInt64.random(in: 1...burst, using: &rng)
        guard let go = b.reserve(cost: cost, arrival: now, allowDebt: false) else { Issue.record("too large"); return }
        #expect(go >= now)
        events.append((go, cost))
    }
    events.sort { $0.t < $1.t }
    // Every window [events[i].t, events[j].t]: work <= burst + tokens emitted in it (+1 for the grid).
    var prefix: [UInt64] = [0]
    for e in events { prefix.append(prefix.last! + e.cost) }
    for _ in 0..<2000 {
        let i = Int.random(in: 0..<events.count, using: &rng)
        let j = Int.random(in: i..<events.count, using: &rng)
        let window = events[j].t - events[i].t
        let work = prefix[j + 1] - prefix[i]
        let allowed = burst + (window.multipliedFullWidth(by: rate).low / S) + 1
        #expect(work <= allowed, "window \(window) ns work \(work) allowed \(allowed)")
    }
}

@Test func sharedBucketFromSeveralThreadsAdmitsExactlyTheRightTotal() {
    let threads = 4, perThread = 20_000
    let b = TokenBucket(rate: 1000, burst: 100, epoch: 0)
    let goTimes = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads * perThread)
    defer { goTimes.deallocate() }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        for i in 0..<perThread {
            // A clock that does not move: everything queues.
            goTimes[t * perThread + i] = b.admit(cost: 1, now: 0).goTime(now: 0)!
        }
    }
    let sorted = goTimes.sorted()
    #expect(sorted.filter { $0 == 0 }.count == 100)
    // The go-times are exactly the grid points, each handed out once: nothing lost or doubled.
    var expected = [UInt64](repeating: 0, count: 100)
    for k in 1...UInt64(threads * perThread - 100) { expected.append((k * S + 999) / 1000) }
    #expect(sorted == expected)
}

@Test func sharedDualBucketFromSeveralThreadsIsExactInBothDimensions() {
    let threads = 4, perThread = 10_000
    let b = DualTokenBucket(ops: GCRA(rate: 500, burst: 10), bytes: GCRA(rate: 1_000_000, burst: 4096), epoch: 0)
    let lastGo = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads)
    defer { lastGo.deallocate() }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        var last: UInt64 = 0
        for _ in 0..<perThread { last = max(last, b.admit(opCost: 1, byteCost: 4096, now: 0).goTime(now: 0)!) }
        lastGo[t] = last
    }
    // 40,000 ops of 4 KiB: bytes bind (244 ops/s < 500). The last go-time is the exact one.
    let total: UInt64 = UInt64(threads * perThread)
    let bytesGo = GCRA(rate: 1_000_000, burst: 4096).elapsedUntil(tokens: total * 4096 - 4096)
    #expect(lastGo.max()! == bytesGo)
    #expect(b.balance(now: bytesGo).bytes == 0)
}

@Test(arguments: [11, 12, 13] as [UInt64])
func exclusiveBucketsAnswerExactlyAsSharedOnes(seed: UInt64) {
    // The same random sequence on each storage (plain words, 64-bit exchange for one
    // dimension, 128-bit exchange for two): identical go-times, balances and full-times.
    var rng = SplitMix64(seed: seed)
    for dims in [(true, true), (true, false), (false, true)] {
        let ops = dims.0 ? GCRA(rate: UInt64.random(in: 1...5000, using: &rng), burst: UInt64.random(in: 1...50, using: &rng)) : nil
        let bytes = dims.1 ? GCRA(rate: UInt64.random(in: 1000...10_000_000, using: &rng), burst: 1 << 20) : nil
        let shared = DualTokenBucket(ops: ops, bytes: bytes, initialOps: 3, initialBytes: 4096, epoch: 7, sharing: .shared)
        let plain = DualTokenBucket(ops: ops, bytes: bytes, initialOps: 3, initialBytes: 4096, epoch: 7, sharing: .exclusive)
        var now: UInt64 = 0
        for _ in 0..<2000 {
            now += UInt64.random(in: 0...(S / 1000), using: &rng)
            let oc = UInt64.random(in: 1...2, using: &rng), bc = UInt64.random(in: 512...(1 << 19), using: &rng)
            #expect(shared.peek(opCost: oc, byteCost: bc, arrival: now) == plain.peek(opCost: oc, byteCost: bc, arrival: now))
            #expect(shared.reserve(opCost: oc, byteCost: bc, arrival: now, allowDebt: true)
                    == plain.reserve(opCost: oc, byteCost: bc, arrival: now, allowDebt: true))
            #expect(shared.balance(now: now) == plain.balance(now: now))
        }
        #expect(shared.fullAt() == plain.fullAt())
    }
}

@Test func sharedOneDimensionBucketFromSeveralThreadsIsExact() {
    // A gp2-style credit bucket (operations only) uses a 64-bit exchange: same exactness.
    let threads = 4, perThread = 10_000
    let b = DualTokenBucket(ops: GCRA(rate: 300, burst: 1000), bytes: nil, epoch: 0)
    let lastGo = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads)
    defer { lastGo.deallocate() }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        var last: UInt64 = 0
        for _ in 0..<perThread { last = max(last, b.reserve(opCost: 1, byteCost: 0, arrival: 0, allowDebt: false)!) }
        lastGo[t] = last
    }
    let total = UInt64(threads * perThread)
    #expect(lastGo.max()! == GCRA(rate: 300, burst: 1000).elapsedUntil(tokens: total - 1000))
    #expect(b.balance(now: lastGo.max()!).ops == 0)
}
