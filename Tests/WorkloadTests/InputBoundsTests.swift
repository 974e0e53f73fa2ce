import BlockLabCore
import JobSpec
import Testing
@testable import Workload

/// Extreme values the job parser accepts must not overflow in the planner.
@Suite struct WorkloadInputBoundsTests {
    @Test func blockRangesNearFourGiBDoNotOverflow() throws {
        let s = BlockSizer(rule: .range(min: UInt32.max - 1, max: UInt32.max), granularity: nil)
        #expect(s.minimum == UInt32.max - 1)
        #expect(s.largest(atMost: UInt64(UInt32.max)) == UInt32.max - 1)
        // bsrange=1-4g: four billion choices, computed rather than listed.
        let wide = BlockSizer(rule: .range(min: 1, max: UInt32.max), granularity: nil)
        #expect(wide.minimum == 1 && wide.maximum == UInt32.max)
        #expect(wide.largest(atMost: 12345) == 12345)
        #expect(wide.largest(atMost: 0) == 0)
        let aligned = BlockSizer(rule: .range(min: 4096, max: 1 << 30), granularity: 4096)
        #expect(aligned.largest(atMost: 10_000) == 8192)
        #expect(abs(aligned.mean - Double((4096 + (1 << 30)) / 2)) < 1)
    }

    @Test func plannedFiguresSaturateForHugeRegionsAndLoops() throws {
        let spec = try job("--rw=read --bs=512 --size=1024p --loops=2147483648")
        let bytes = try IOPlanner.plannedBytes(spec: spec, region: 0..<InputLimits.maxBytes)
        #expect(bytes == .max)
        let mixed = try job("--rw=read --bsrange=512-1g --size=1024p --loops=2147483648")
        #expect(try IOPlanner.plannedBytes(spec: mixed, region: 0..<InputLimits.maxBytes) == .max)
    }

    @Test func extremeParetoAndZipfSampleInRange() throws {
        for d in ["pareto:1e-320", "pareto:0.9999999999999999", "zipf:1e300", "zipf:1e-300", "normal:100:1"] {
            var p = try planner("--rw=randread --bs=4k --size=1m --random_distribution=\(d)", timeBased: true)
            for _ in 0..<1000 {
                let io = p.next()!
                #expect(io.offset + UInt64(io.length) <= 1 << 20, "\(d)")
            }
        }
    }

    @Test func aRandomMapTooLargeToAllocateIsAUsageError() throws {
        let spec = try job("--rw=randread --bs=512 --size=1024p")
        let m = boundsUsageMessage { _ = try IOPlanner(spec: spec, region: 0..<InputLimits.maxBytes, timeBased: false, seedSalt: 0) }
        #expect(m?.contains("job 't': the random map for 2251799813685248 blocks of 512B") == true, "\(m ?? "no error")")
        // Without the map (norandommap) the same job plans.
        _ = try IOPlanner(spec: try job("--rw=randread --bs=512 --size=1024p --norandommap"), region: 0..<InputLimits.maxBytes,
                          timeBased: false, seedSalt: 0)
    }
}

fileprivate func boundsUsageMessage(_ body: () throws -> Void) -> String? {
    do { try body() } catch BlockLabError.usage(let m) { return m } catch { return "other error: \(error)" }
    return nil
}
