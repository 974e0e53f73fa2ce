import Testing
@testable import Throttle
import ThrottleReference

private let S: UInt64 = 1_000_000_000

@Test func dualWaitIsTheLongerDimension() {
    let b = DualTokenBucket(ops: GCRA(rate: 100, burst: 1), bytes: GCRA(rate: 1000, burst: 1000), epoch: 0)
    #expect(b.admit(opCost: 1, byteCost: 1000, now: 0) == .go)
    // ops free again at 10 ms, bytes at 1 s: wait for bytes.
    #expect(b.admit(opCost: 1, byteCost: 1000, now: 0) == .wait(until: S))
    // Both dimensions were booked at 1 s, so ops are next free at 1.01 s.
    #expect(b.admit(opCost: 1, byteCost: 0, now: 0) == .wait(until: S + S / 100))
    #expect(b.admit(opCost: 1, byteCost: 2000, now: 0) == .tooLarge)
}

@Test func dualUnlimitedDimensionIsIgnored() {
    let b = DualTokenBucket(ops: nil, bytes: GCRA(rate: 10, burst: 10), epoch: 0)
    for _ in 0..<100 { #expect(b.admit(opCost: 1, byteCost: 0, now: 0) == .go) }
    #expect(b.admit(opCost: 1, byteCost: 10, now: 0) == .go)
    #expect(b.admit(opCost: 1, byteCost: 1, now: 0) == .wait(until: S / 10))
}

@Test func gp2StyleCreditBurstLastsBalanceOverBurstMinusBaseline() {
    // 100 GiB gp2: baseline 300, burst 3,000, 5.4 M credits.
    let credits = CreditBucket(name: "io", opCredits: (rate: 300, capacity: 5_400_000, start: 5_400_000), byteCredits: nil, epoch: 0)
    #expect(CreditBucket.burstDuration(balance: 5_400_000, burstRate: 3000, baselineRate: 300) == 2000 * S)
    #expect(credits.burstBalancePercent(now: 0) == 100)
    // Spend at 3,000/s for 1,000 s (earning 300/s): half the credits are gone.
    var allOnTime = true
    for i: UInt64 in 0..<3_000_000 where credits.bucket.reserve(opCost: 1, byteCost: 0, arrival: i * S / 3000, allowDebt: false) != i * S / 3000 {
        allOnTime = false
    }
    #expect(allOnTime)
    #expect(credits.burstBalancePercent(now: 1000 * S) == 50)
    #expect(credits.balance(now: 1000 * S) == 2_700_000)
    // Idle: refills at baseline until full again.
    #expect(credits.bucket.fullAt() == 10_000 * S) // 3 M credits taken, 300/s: full at 10,000 s
    #expect(credits.burstBalancePercent(now: 10_000 * S) == 100)
}
