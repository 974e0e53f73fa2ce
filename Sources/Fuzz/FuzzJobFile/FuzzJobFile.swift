// libFuzzer target: job-file text -> JobParser -> IOPlanner. Any input must give jobs or a
// usage error (exit code 2), never a trap. Built only with BLOCKLAB_FUZZ=1 (`make fuzz`).
import BlockLabCore
import CFuzzDriver
import JobSpec
import Workload

/// SwiftPM links an executable's entry point as FuzzJobFile_main; hand over to libFuzzer.
@_cdecl("FuzzJobFile_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Includes resolve against a directory that does not exist, so the fuzzer explores the
    // parser rather than the machine's files.
    let env = ["BLOCKLAB_TARGET": "/dev/null", "SIZE": "1g", "EMPTY": ""]
    var jobs: [JobSpec] = []
    expectUsage { jobs = try JobParser.parse(text: text, path: "/nonexistent-fuzz/f.fio", environment: env) }
    // The same text as command-line arguments, one per line.
    let args = text.split(separator: "\n").prefix(64).map(String.init).filter { $0.hasPrefix("--") }
    if !args.isEmpty { expectUsage { jobs += try JobParser.parse(arguments: args, environment: env) } }
    for job in jobs {
        _ = job.describe()
        // What the engine plans from the job: bounded figures, then a few I/Os (without the
        // random map's allocation when the region has more than 2^24 blocks).
        guard let length = job.size, length > 0 else { continue }
        let region = job.offset..<(job.offset + length)
        expectUsage {
            _ = try IOPlanner.plannedBytes(spec: job, region: region)
            if length / UInt64(max(1, job.blockSize.map(\.minimum).min() ?? 1)) < 1 << 24 {
                var p = try IOPlanner(spec: job, region: region, timeBased: job.timeBased, seedSalt: 1)
                for _ in 0..<64 { guard let io = p.next() else { break }; precondition(io.offset + UInt64(io.length) <= region.upperBound) }
            }
        }
    }
    return 0
}

func expectUsage(_ body: () throws -> Void) {
    do { try body() } catch let e as BlockLabError {
        guard case .usage = e else { fatalError("not a usage error: \(e)") }
    } catch {
        fatalError("unexpected error type: \(error)")
    }
}
