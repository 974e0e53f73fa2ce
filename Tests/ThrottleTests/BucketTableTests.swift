import BlockLabCore
import Foundation
import Synchronization
import Testing
@testable import Throttle
import ThrottleReference

private let S: UInt64 = 1_000_000_000

/// A table over a plain state array, for tests.
private struct Booked {
    let table: BucketTable
    var state: [UInt64]
    mutating func reserve(ops: UInt64, bytes: UInt64, at t: UInt64) -> (go: UInt64, heldBy: UInt32) {
        var next = state
        let r = state.withUnsafeBufferPointer { s in
            next.withUnsafeMutableBufferPointer { table.reserve(src: s.baseAddress!, dst: $0.baseAddress!, ops: ops, bytes: bytes, arrival: t) }
        }
        state = next
        return r
    }
}

@Test func tableBooksEveryGroupAtTheCommonTime() {
    let a = GCRA(rate: 1000, burst: 1), c = GCRA(rate: 10, burst: 1)
    var t = Booked(table: BucketTable(groups: [[.init(gcra: a, word: 0, chargesBytes: false, epoch: 0)],
                                               [.init(gcra: c, word: 1, chargesBytes: false, epoch: 0)]]), state: [0, 0])
    let r1 = t.reserve(ops: 1, bytes: 0, at: 0)
    let r2 = t.reserve(ops: 1, bytes: 0, at: 0)
    #expect(r1.go == 0 && r1.heldBy == 0)
    #expect(r2.go == S / 10)
    #expect(r2.heldBy == 0b11) // `a` moved it to 1 ms, then `c` to 100 ms
    // `a` was booked at 100 ms, not at 1 ms: it is free again only at 101 ms.
    #expect(a.schedule(k: t.state[0], cost: 1, elapsed: 0, allowDebt: false)!.go == S / 10 + S / 1000)
    // A group that charges bytes ignores operations, and a zero cost leaves a word as it was.
    var b = Booked(table: BucketTable(groups: [[.init(gcra: GCRA(rate: 100, burst: 100), word: 0, chargesBytes: true, epoch: 5)]]), state: [0])
    #expect(b.reserve(ops: 7, bytes: 0, at: 9).go == 9 && b.state == [0])
    #expect(b.reserve(ops: 0, bytes: 150, at: 9).go == 9) // over the burst: a full bucket lets it go, into debt by 50
    #expect(b.reserve(ops: 0, bytes: 1, at: 9).go == 5 + 51 * S / 100) // the debt and this byte are emitted first
    // A limit charged nothing never holds a request, even one that arrives before its epoch.
    var late = Booked(table: BucketTable(groups: [[.init(gcra: GCRA(rate: 1, burst: 1), word: 0, chargesBytes: true, epoch: S)]]), state: [0])
    #expect(late.reserve(ops: 1, bytes: 0, at: 0) == (0, 0))
    #expect(late.reserve(ops: 0, bytes: 1, at: 0).go == S) // a charged one counts from its epoch
}

/// The rule the table implements, written with independent buckets: plan every group in
/// order at the running go-time, then reserve each at the final one.
private func reference(_ groups: [DualTokenBucket], ops: UInt64, bytes: UInt64, arrival: UInt64) -> (go: UInt64, heldBy: UInt32) {
    var g = arrival, held: UInt32 = 0
    for (i, b) in groups.enumerated() {
        let t = b.peek(opCost: ops, byteCost: bytes, arrival: g)
        if t > g { held |= 1 << UInt32(i); g = t }
    }
    for b in groups { #expect(b.reserve(opCost: ops, byteCost: bytes, arrival: g, allowDebt: true) == g) }
    return (g, held)
}

@Test(arguments: 0..<12)
func tableMatchesIndependentBucketsExactly(seed: Int) {
    var rng = SplitMix64(seed: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
    let groupCount = Int(rng.next() % 4) + 1
    var limits: [[BucketTable.Limit]] = [], buckets: [DualTokenBucket] = [], state: [UInt64] = []
    for _ in 0..<groupCount {
        let epoch = rng.next() % (S / 10)
        func dim() -> (GCRA, UInt64)? {
            guard rng.next() % 3 != 0 else { return nil }
            let g = GCRA(rate: 1 + rng.next() % 1_000_000, burst: 1 + rng.next() % 5000)
            return (g, rng.next() % (g.burst + 1))
        }
        var o = dim(), b = dim()
        if o == nil && b == nil { o = (GCRA(rate: 300, burst: 7), 3) }
        var group: [BucketTable.Limit] = []
        for (d, bytes) in [(o, false), (b, true)] {
            guard let (g, start) = d else { continue }
            group.append(.init(gcra: g, word: state.count, chargesBytes: bytes, epoch: epoch))
            state.append(g.initialState(balance: start))
        }
        limits.append(group)
        buckets.append(DualTokenBucket(ops: o?.0, bytes: b?.0, initialOps: o?.1, initialBytes: b?.1, epoch: epoch, sharing: .exclusive))
    }
    var t = Booked(table: BucketTable(groups: limits), state: state)
    // From the latest epoch on (a run's instance and volume start before its first I/O).
    var now: UInt64 = S / 10
    for i in 0..<4000 {
        // Mostly forward, sometimes a burst at one instant, sometimes an earlier arrival
        // (another thread's clock read), sometimes a long idle gap.
        switch rng.next() % 10 {
        case 0: now += rng.next() % (20 * S)
        case 1: now = max(S / 10, now - rng.next() % 1000)
        case 2: break
        default: now += rng.next() % (S / 1000)
        }
        let ops = rng.next() % 3, bytes = rng.next() % 2 == 0 ? 0 : rng.next() % 8000
        let want = reference(buckets, ops: ops, bytes: bytes, arrival: now)
        let got = t.reserve(ops: ops, bytes: bytes, at: now)
        #expect(got.go == want.go && got.heldBy == want.heldBy, "admit \(i) at \(now): \(got) != \(want)")
        if got.go != want.go { return }
    }
}

@Test func cellUpdatesAreAtomicAcrossThreadsAndThePool() {
    // Nine words that must always be equal; twelve OS threads add 1 to each, 30,000 times,
    // while this thread takes snapshots. Only two slots own blocks (slots: 2): the other
    // ten threads use the overflow pool, which must be left with at most the current block.
    let cell = MultiWordCell(initial: [UInt64](repeating: 0, count: 9), slots: 2, exclusive: false)
    let threads = 12, per = 30_000
    let torn = Atomic<Int>(0)
    let done = DispatchGroup()
    for t in 0..<threads {
        done.enter()
        Thread {
            var buf = [UInt64](repeating: 0, count: 18), claimed = -1
            buf.withUnsafeMutableBufferPointer { b in
                let src = b.baseAddress!, dst = src + 9
                for _ in 0..<per {
                    while true {
                        let token = cell.read(into: src)
                        if (1..<9).contains(where: { src[$0] != src[0] }) { torn.add(1, ordering: .relaxed) }
                        for i in 0..<9 { dst[i] = src[i] + 1 }
                        if cell.publish(token, from: dst, slot: t, claimed: &claimed) { break }
                    }
                }
            }
            if claimed != -1 { torn.add(1_000_000, ordering: .relaxed) } // a pool block kept after publishing
            done.leave()
        }.start()
    }
    var snapshotsTorn = 0
    for _ in 0..<20_000 where Set(cell.snapshot()).count != 1 { snapshotsTorn += 1 }
    done.wait()
    #expect(torn.load(ordering: .relaxed) == 0 && snapshotsTorn == 0)
    #expect(cell.snapshot() == [UInt64](repeating: UInt64(threads * per), count: 9))
    #expect(cell.poolBusy.load(ordering: .relaxed).nonzeroBitCount <= 1)
    cell.set([(2, 7)], slot: 0)
    #expect(cell.snapshot()[2] == 7 && cell.snapshot()[3] == UInt64(threads * per))
}

@Test func exclusiveCellUpdatesInPlace() {
    let cell = MultiWordCell(initial: [1, 2, 3], exclusive: true)
    var buf = [UInt64](repeating: 0, count: 3), claimed = -1
    let token = buf.withUnsafeMutableBufferPointer { cell.read(into: $0.baseAddress!) }
    #expect(buf == [1, 2, 3])
    buf[1] = 9
    #expect(buf.withUnsafeBufferPointer { cell.publish(token, from: $0.baseAddress!, slot: 0, claimed: &claimed) })
    #expect(cell.snapshot() == [1, 9, 3])
}
