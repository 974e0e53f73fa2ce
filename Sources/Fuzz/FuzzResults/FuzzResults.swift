// libFuzzer target: a result file as `compare` and `report` read it (BlockLab's JSON, fio's
// JSON and json+, a series file) -> samples -> the comparison in every format -> the HTML
// page. Any input must read or give a usage error naming the file, never a trap. Built only
// with BLOCKLAB_FUZZ=1 (`make fuzz`).
import BlockLabCore
import CFuzzDriver
import Compare
import Glibc
import Report

@_cdecl("FuzzResults_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}

/// The reader takes paths, so each input is written to one file in memory-backed /dev/shm.
let path = "/dev/shm/blocklab-fuzz-results-\(getpid()).json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot write \(path)") }
    _ = write(fd, data, size)
    close(fd)
    // Both latencies: each has its own parsing path.
    for latency in LatencyChoice.allCases {
        do {
            let read = try ResultReader.read([path], latency: latency)
            guard !read.samples.isEmpty else { return 0 }
            let c = try Comparison.make(read.samples)
            for style in CompareRenderer.Style.allCases { _ = CompareRenderer.render(c, style: style) }
            _ = c.regressions(beyond: 5)
            _ = HTMLReport.render(HTMLReport.Input(results: read, comparison: c, title: "fuzz"))
        } catch let e as BlockLabError {
            guard case .usage = e else { fatalError("unexpected error: \(e)") }
        } catch {
            fatalError("unexpected error type: \(error)")
        }
    }
    return 0
}
