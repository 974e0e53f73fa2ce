import BlockLabCore
import Foundation
import Testing
@testable import VolumeModel

/// Several OS threads on shared cells: every booking exact, every I/O counted once.
struct SharedCellTests {
    @Test func volumesOnOneInstanceFromManyThreads() throws {
        // Three io2 volumes (20,000 IOPS each) on one m5.4xlarge (18,750 IOPS, no burst), nine
        // threads at once: the go-times are exactly the instance's grid, n / 18,750 s.
        let inst = InstanceLimits(profile: try store.instance(named: "m5.4xlarge"), epoch: 0, volumes: 3)
        let vols = try (0..<3).map { _ in VolumeShaper(volume: try resolve("io2:size=100g,iops=20000"), instance: inst, epoch: 0) }
        let threads = 9, per = 4000
        nonisolated(unsafe) let go = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads * per)
        defer { go.deallocate() }
        let done = DispatchGroup()
        for t in 0..<threads {
            done.enter()
            Thread {
                for i in 0..<per {
                    go[t * per + i] = vols[t % 3].admit(direction: .read, offset: UInt64((t * per + i) * 2) << 20, length: 16384, now: 0)
                }
                done.leave()
            }.start()
        }
        done.wait()
        let n = UInt64(threads * per)
        #expect(go.sorted() == (0..<n).map { ($0 * 1_000_000_000 + 18_749) / 18_750 })
        #expect(vols.map { $0.accounting.totals.ebsOps }.reduce(0, +) == n)
        #expect(vols.map { $0.accounting.totals.rawIOs }.reduce(0, +) == n)
    }

    @Test func threadSlotsHandedOverAcrossWavesOfThreads() throws {
        // Four waves of 80 threads on one gp3 volume (3,000 IOPS): slots are given back and
        // taken again, and the threads beyond 64 use the cell's overflow pool.
        let shaper = VolumeShaper(volume: try resolve("gp3:size=100g"), epoch: 0)
        let waves = 4, threads = 80, per = 250
        nonisolated(unsafe) let go = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: waves * threads * per)
        defer { go.deallocate() }
        for w in 0..<waves {
            let done = DispatchGroup()
            for t in 0..<threads {
                done.enter()
                Thread {
                    let base = (w * threads + t) * per
                    for i in 0..<per {
                        go[base + i] = shaper.admit(direction: .read, offset: UInt64((base + i) * 2) << 20, length: 16384, now: 0)
                    }
                    done.leave()
                }.start()
            }
            done.wait()
            Thread.sleep(forTimeInterval: 0.05) // let exiting threads run their key destructors
        }
        let n = UInt64(waves * threads * per)
        #expect(go.sorted() == (0..<n).map { ($0 * 1_000_000_000 + 2999) / 3000 })
        #expect(shaper.accounting.totals.ebsOps == n && shaper.accounting.totals.rawIOs == n)
    }
}
