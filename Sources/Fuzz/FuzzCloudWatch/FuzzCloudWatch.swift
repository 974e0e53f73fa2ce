// libFuzzer target: `recommend --series` input (BlockLab series lines, a CloudWatch CSV or
// get-metric-data JSON) -> demand intervals -> the needs. Any input must parse or give a
// usage error, never a trap. Built only with BLOCKLAB_FUZZ=1 (`make fuzz`).
import BlockLabCore
import CFuzzDriver
import Recommend

@_cdecl("FuzzCloudWatch_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for period: UInt64? in [nil, 300_000_000_000] {
        do {
            let parsed = try SeriesFile.parse(text, path: "cw.csv", periodNs: period)
            var ios: UInt64 = 0
            for iv in parsed.intervals { ios = ios &+ iv.ios[0] &+ iv.ios[1] }
            _ = ios
        } catch let e as BlockLabError {
            guard case .usage = e else { fatalError("unexpected error: \(e)") }
        } catch {
            fatalError("unexpected error type: \(error)")
        }
    }
    return 0
}
