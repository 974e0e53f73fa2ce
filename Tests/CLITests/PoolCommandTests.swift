import BlockLabCore
import Foundation
import Glibc
import SnapStore
import SnapStoreHarness
import Testing
@testable import BlockLabCLI

/// `blocklab pool` argument checks and a held pool.
@Suite struct PoolCommandTests {
    func usageMessage(_ args: [String]) throws -> String? {
        var command = try BlockLabCommand.parseAsRoot(args)
        do {
            try command.run()
        } catch let e as BlockLabError {
            return e.exitCode == 2 ? e.description : nil
        }
        return nil
    }

    @Test func crashTestNeedsAPositiveKillCount() throws {
        let dir = NSTemporaryDirectory() + "blocklab-kills-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for args in [["--kills", "0"], ["--kills=-1"]] {
            let m = try usageMessage(["pool", "crash-test", dir + "/pool"] + args)
            #expect(m?.contains("--kills") == true, "\(args): \(m ?? "no usage error")")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/pool"))
        let m = try usageMessage(["pool", "crash-test", dir + "/pool", "--kills", "1", "--max-delay-ms", "99999999"])
        #expect(m?.contains("--max-delay-ms") == true, "\(m ?? "no usage error")")
        #expect(!FileManager.default.fileExists(atPath: dir + "/pool"))
    }

    /// A pool is never made on a kernel filesystem (mkdir there creates kernel objects) nor
    /// inside another pool.
    @Test func poolCreateRefusesKernelFilesystemsAndPools() throws {
        let dir = NSTemporaryDirectory() + "blocklab-pc-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Pool.create(path: dir + "/outer")
        for path in ["/sys/fs/blocklab-test-pool", "/proc/blocklab-test-pool", dir + "/outer/inner"] {
            let m = try usageMessage(["pool", "create", path])
            #expect(m != nil, "\(path): no usage error")
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func checkOfAPoolInUseIsAUsageErrorNotCorrupt() throws {
        let dir = NSTemporaryDirectory() + "blocklab-held-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Pool.create(path: dir + "/pool")
        let holder = try Pool(path: dir + "/pool")
        let m = try usageMessage(["pool", "check", dir + "/pool"])
        #expect(m?.contains("in use by another process") == true, "\(m ?? "no usage error")")
        try holder.close()
        #expect(try usageMessage(["pool", "check", dir + "/pool"]) == nil)
    }
}
