import BlockLabCore
import Foundation
import JobSpec
import Testing
@testable import Engine

@Suite struct CPUPlacementTests {
    func spec(_ args: String) throws -> JobSpec {
        try JobParser.parse(arguments: ["--name=p", "--size=1m"] + args.split(separator: " ").map(String.init), environment: [:])[0]
    }

    @Test func cpuListsParseAsFioWritesThem() throws {
        #expect(try spec("--cpus_allowed=0,5,8-11").cpusAllowed == [0, 5, 8, 9, 10, 11])
        #expect(try spec("--cpus_allowed=3-3,1,1").cpusAllowed == [1, 3])
        #expect(try spec("--cpus_allowed=1 --cpus_allowed_policy=split").cpusAllowedPolicy == .split)
        for (bad, option) in [("--cpus_allowed=4-2", "cpus_allowed"), ("--cpus_allowed=a", "cpus_allowed"), ("--cpus_allowed=1,", "cpus_allowed"),
                              ("--cpus_allowed=1-2-3", "cpus_allowed"), ("--cpus_allowed=4096", "cpus_allowed"),
                              ("--cpus_allowed_policy=even", "cpus_allowed_policy"), ("--pin_threads=maybe", "pin_threads")] {
            do {
                _ = try spec(bad)
                Issue.record("\(bad) was accepted")
            } catch let e as BlockLabError {
                #expect(e.exitCode == 2 && e.description.contains(option), "\(bad): \(e)")
            }
        }
    }

    @Test func automaticPinningOnlyForALoneThread() throws {
        let plain = try spec("")
        #expect(CPUPlacement(threads: [(plain, 0)], allowed: [0, 1]).choices == [.auto(0, lone: true)])
        // Several threads, more threads than CPUs, or pin_threads=0: left to the scheduler.
        let two = CPUPlacement(threads: [(plain, 0), (plain, 1)], allowed: [2, 5])
        #expect(two.choices == [.none, .none] && two.reasons.allSatisfy { $0?.contains("left to the scheduler") == true })
        #expect(CPUPlacement(threads: [(plain, 0), (plain, 1), (plain, 2)], allowed: [0, 1]).choices == [.none, .none, .none])
        #expect(CPUPlacement(threads: [(try spec("--pin_threads=0"), 0)], allowed: [0, 1]).choices == [.none])
    }

    @Test func cpusAllowedDecidesForItsJob() throws {
        let shared = try spec("--cpus_allowed=0-1")
        let split = try spec("--cpus_allowed=0-1 --cpus_allowed_policy=split")
        let plain = try spec("")
        let p = CPUPlacement(threads: [(split, 0), (split, 1), (split, 2), (shared, 0), (plain, 0)], allowed: [0, 1])
        // split: one CPU per clone, round-robin; shared: the whole set; a job without the
        // option beside one that has it is left alone.
        #expect(p.choices == [.set([0]), .set([1]), .set([0]), .set([0, 1]), .none])
        #expect(throws: BlockLabError.self) { try CPUPlacement.check(try spec("--cpus_allowed=0,4095"), allowed: [0, 1]) }
        try CPUPlacement.check(shared, allowed: [0, 1])
    }

    @Test func anUnavailableCPUIsBadInputBeforeAnyFileIsLaidOut() throws {
        let scratch = Scratch()
        var j = job("pin", file: scratch.file("never.dat"), rw: .randwrite, bs: 4096, size: 1 << 20)
        j.cpusAllowed = [4095]
        do {
            _ = try Runner.run([j], options: quietOptions())
            Issue.record("CPU 4095 was accepted")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2 && e.description.contains("cpus_allowed"), "\(e)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("never.dat")))
    }

    @Test func aRunRecordsItsThreadsCPU() throws {
        let scratch = Scratch()
        var j = job("pin", file: scratch.file("pin.dat"), rw: .randread, bs: 4096, size: 1 << 20)
        let allowed = CPUPlacement.allowedCPUs()
        j.cpusAllowed = [allowed.last!]
        let out = try Runner.run([j], options: quietOptions())
        #expect(out.errors.isEmpty)
        let cpu = out.result.jobs[0].engine?.cpu
        #expect(cpu == .int(Int64(allowed.last!)))
    }
}

/// Where a depth-1 thread goes: the CPU its device's completion interrupts land on, read
/// from /proc/interrupts.
@Suite struct CompletionCPUTests {
    static let interrupts = """
                   CPU0       CPU1
         35:          0          1 PCI-MSIX-0000:00:02.0   0-edge      virtio1-config
         36:         12    1830884 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0
         42:          0      16715 PCI-MSIX-0000:00:04.0   2-edge      virtio10-tx
         50:        900          3 PCI-MSIX-0000:00:05.0   1-edge      nvme0q1
        NMI:          0          0   Non-maskable interrupts
        """

    @Test func countsTheDevicesQueuesOnly() {
        #expect(CompletionCPU.perCPU(interrupts: Self.interrupts, device: "virtio1") == [12, 1_830_885])
        #expect(CompletionCPU.perCPU(interrupts: Self.interrupts, device: "nvme0") == [900, 3])
        #expect(CompletionCPU.perCPU(interrupts: Self.interrupts, device: "sda") == [0, 0])
    }

    @Test func aLoneThreadGoesWhereItsCompletionsLandAndSaysWhy() {
        var spec = JobSpec(name: "q", origin: "test")
        spec.iodepth = 1
        let choice = CompletionCPU.Choice(cpu: 1, why: "completion interrupts of vda (virtio1) land on CPU 1")
        let placed = CPUPlacement(threads: [(spec, 0)], allowed: [0, 1], completionCPU: choice)
        #expect(placed.choices == [.auto(1, lone: false)] && placed.reasons == [choice.why])
        // Not an allowed CPU: the old rule (the CPU it starts on).
        let elsewhere = CPUPlacement(threads: [(spec, 0)], allowed: [0], completionCPU: choice)
        #expect(elsewhere.choices == [.auto(0, lone: true)])
        // Two threads: left to the scheduler, the completion CPU ignored.
        let two = CPUPlacement(threads: [(spec, 0), (spec, 1)], allowed: [0, 1], completionCPU: choice)
        #expect(two.choices == [.none, .none])
    }
}
