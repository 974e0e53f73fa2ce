import Testing
import BlockLabCore
@testable import Throttle
import ThrottleReference

private let S: UInt64 = 1_000_000_000

@Test func fullBucketLetsBurstThroughThenWaitsOneInterval() {
    let b = TokenBucket(rate: 10, burst: 5, epoch: 0)
    for _ in 0..<5 { #expect(b.admit(cost: 1, now: 0) == .go) }
    #expect(b.admit(cost: 1, now: 0) == .wait(until: S / 10))
    #expect(b.admit(cost: 1, now: 0) == .wait(until: 2 * S / 10))
}

@Test func refillsAtRateUpToBurstOnly() {
    let b = TokenBucket(rate: 10, burst: 5, epoch: 0)
    #expect(b.admit(cost: 5, now: 0) == .go)
    #expect(b.balance(now: 0) == 0)
    #expect(b.balance(now: 300_000_000) == 3)
    #expect(b.balance(now: 100 * S) == 5) // never more than the burst
    #expect(b.admit(cost: 5, now: 100 * S) == .go)
}

@Test func requestLargerThanBucketIsTooLargeAndReservesNothing() {
    let b = TokenBucket(rate: 10, burst: 5, epoch: 0)
    #expect(b.admit(cost: 6, now: 0) == .tooLarge)
    #expect(b.balance(now: 0) == 5)
    // With debt allowed it goes once the bucket is full and leaves the bucket in debt.
    #expect(b.reserve(cost: 8, arrival: 0, allowDebt: true) == 0)
    #expect(b.balance(now: 0) == -3)
    #expect(b.admit(cost: 1, now: 0) == .wait(until: 4 * S / 10))
}

@Test func startingBalanceIsHonoured() {
    let b = TokenBucket(rate: 100, burst: 1000, initialBalance: 10, epoch: 5 * S)
    #expect(b.balance(now: 5 * S) == 10)
    #expect(b.admit(cost: 10, now: 5 * S) == .go)
    #expect(b.admit(cost: 1, now: 5 * S) == .wait(until: 5 * S + S / 100))
}

@Test func clockThatDoesNotMoveQueuesFIFO() {
    // rate 3/s: the grid points are 1/3 s apart and never representable in whole ns.
    let b = TokenBucket(rate: 3, burst: 1, epoch: 0)
    #expect(b.admit(cost: 1, now: 0) == .go)
    for k: UInt64 in 1...1000 {
        // Exactly ceil(k * 1e9 / 3): the fraction is never lost, however many calls.
        #expect(b.admit(cost: 1, now: 0) == .wait(until: (k * S + 2) / 3))
    }
}

@Test func fractionalRefillCarriedOverManyStepsWithoutDrift() {
    // 7 tokens/s polled every 1 ms for 1,000 s: 1e6 calls, each a fraction of a token.
    let b = TokenBucket(rate: 7, burst: 2, epoch: 0)
    var admitted: UInt64 = 0
    var now: UInt64 = 0
    while now <= 1000 * S {
        // Ask only when a token is there (a refused request would keep its reservation).
        if b.balance(now: now) >= 1 {
            #expect(b.admit(cost: 1, now: now) == .go)
            admitted += 1
        } else {
            now += 1_000_000
        }
    }
    #expect(admitted == 7 * 1000 + 2)
}

@Test func emissionArithmeticIsExact() {
    let g = GCRA(rate: 3, burst: 1)
    #expect(g.emitted(elapsedNs: S) == 3)
    #expect(g.emitted(elapsedNs: S - 1) == 2)
    #expect(g.elapsedUntil(tokens: 1) == 333_333_334)
    #expect(g.emitted(elapsedNs: g.elapsedUntil(tokens: 1_000_000_007)) == 1_000_000_007)
    // 30 days at 7,500 MB/s: 128-bit intermediates, no overflow.
    let big = GCRA(rate: 7_500_000_000, burst: 1)
    #expect(big.emitted(elapsedNs: 30 * 86_400 * S) == 30 * 86_400 * 7_500_000_000)
}

@Test func fastDivisionMatchesTheIntegerDivision() {
    #expect(GCRA.byNs == Divisor(NS.perSecond)) // the literal reciprocal of 1e9
    var rng = SplitMix64(seed: 99)
    for i in 0..<200_000 {
        let d: UInt64 = i % 3 == 0 ? NS.perSecond : UInt64.random(in: 1...(i % 2 == 0 ? 10_000_000_000 : UInt64.max), using: &rng)
        let high = UInt64.random(in: 0..<d, using: &rng) >> UInt64.random(in: 0...63, using: &rng)
        let n = (high: high, low: UInt64.random(in: 0...UInt64.max, using: &rng))
        let expected = d.dividingFullWidth(n)
        let got = Divisor(d).divide(n)
        if got.quotient != expected.quotient || got.remainder != expected.remainder {
            Issue.record("\(n) / \(d): \(got) != \(expected)")
            return
        }
    }
}
