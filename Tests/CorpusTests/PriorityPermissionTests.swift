import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real-time I/O priority class needs CAP_SYS_ADMIN or CAP_SYS_NICE: without them the
/// binary says so and stops before any I/O (exit 2), where fio fails the job at ioprio_set.
/// Run as root with both capabilities dropped (setpriv), so CI's root can check it.
@Suite struct PriorityPermissionTests {
    func run(_ args: [String]) throws -> (Int32, String) {
        let bin = try Harness.binary.get()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--bounding-set=-sys_admin,-sys_nice", "--inh-caps=-sys_admin,-sys_nice", bin] + args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: getuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0))
    func realTimeWithoutCapabilitiesIsRefusedBeforeAnyIO() throws {
        let dir = try Harness.makeTempDir("prio-caps")
        defer { Harness.removeTree(dir) }
        let file = dir + "/t.dat"
        let (rc, err) = try run(["run", "--quiet", "--name=rt", "--filename=" + file, "--size=1m", "--rw=read", "--prioclass=1"])
        #expect(rc == 2 && err.contains("needs CAP_SYS_ADMIN or CAP_SYS_NICE"), "\(rc): \(err)")
        #expect(access(file, F_OK) != 0, "a refused run wrote its file")
        // cmdprio's default class is real-time too.
        let (rc2, err2) = try run(["run", "--quiet", "--name=c", "--filename=" + file, "--size=1m", "--rw=randread",
                                   "--cmdprio_percentage=10"])
        #expect(rc2 == 2 && err2.contains("cmdprio_class (real-time"), "\(rc2): \(err2)")
        // Best effort and idle need no capability.
        let (rc3, err3) = try run(["run", "--quiet", "--name=i", "--filename=" + file, "--size=1m", "--rw=read",
                                   "--prioclass=3", "--cmdprio_percentage=10", "--cmdprio_class=2", "--output=" + dir + "/o.json"])
        #expect(rc3 == 0, "\(rc3): \(err3)")
    }
}
