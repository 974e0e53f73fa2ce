import Testing
@testable import VolumeModel

private let KiB: UInt64 = 1024

@Test func awsExamplesOfOperationCounting() {
    let ssd = EBSAccounting(opSize: 256 * KiB, chargeFullOps: false)
    #expect(ssd.account(offset: 0, length: 1 << 20).ops == 4)            // 1 MiB = 4 SSD ops

    let seq = EBSAccounting(opSize: 256 * KiB, chargeFullOps: false)
    var ops: UInt64 = 0
    for i: UInt64 in 0..<8 { ops += seq.account(offset: 10 << 20 + i * 32 * KiB, length: 32 << 10).ops }
    #expect(ops == 1)                                                    // 8 sequential 32 KiB = 1

    let rnd = EBSAccounting(opSize: 256 * KiB, chargeFullOps: false)
    ops = 0
    for i: UInt64 in 0..<8 { ops += rnd.account(offset: i * 1 << 20, length: 32 << 10).ops }
    #expect(ops == 8)                                                    // 8 random 32 KiB = 8

    let hdd = EBSAccounting(opSize: 1 << 20, chargeFullOps: true)
    ops = 0
    for i: UInt64 in 0..<8 { ops += hdd.account(offset: i * 128 * KiB, length: 128 << 10).ops }
    #expect(ops == 1)                                                    // HDD 8 sequential 128 KiB = 1
    #expect(hdd.totals.chargedBytes == 1 << 20)
}

@Test func hddSmallRandomIOCostsAWholeOperationOfCredit() {
    let hdd = EBSAccounting(opSize: 1 << 20, chargeFullOps: true)
    let r = hdd.account(offset: 7 << 30, length: 4096)
    #expect(r.ops == 1 && r.bytes == 1 << 20)
    #expect(hdd.totals == .init(rawIOs: 1, rawBytes: 4096, ebsOps: 1, chargedBytes: 1 << 20))
}

@Test func splitAndMergeAcrossOperationBoundaries() {
    // 384 KiB sequential I/Os on SSD: 1st = 2 ops (256 + open 128); 2nd fills it (128) then 256 = 1 more.
    let a = EBSAccounting(opSize: 256 * KiB, chargeFullOps: false)
    #expect(a.account(offset: 0, length: 384 << 10).ops == 2)
    #expect(a.account(offset: 384 * KiB, length: 384 << 10).ops == 1)
    // A full operation is closed: the next sequential I/O opens a new one.
    #expect(a.account(offset: 768 * KiB, length: 4096).ops == 1)
    #expect(a.totals.rawBytes == 772 * KiB && a.totals.ebsOps == 4)
}
