// libFuzzer target: series-file text (`blocklab run --write-series`) -> SeriesDemand -> the
// replay's phases and their first I/Os. Any input must parse or give a usage error naming
// file:line, never a trap. Built only with BLOCKLAB_FUZZ=1 (`make fuzz`).
import BlockLabCore
import CFuzzDriver
import VolumeModel

/// SwiftPM links an executable's entry point as FuzzSeries_main; hand over to libFuzzer.
@_cdecl("FuzzSeries_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let d = try SeriesDemand.parse(text: text, path: "f.jsonl")
        _ = d.totalIOs
        _ = d.playedNs
        for var phase in d.phases(volumeSize: 1 << 30).prefix(8) {
            for i in phase.streams.indices {
                for _ in 0..<64 { guard phase.streams[i].source.next() != nil else { break } }
            }
        }
    } catch let e as BlockLabError {
        guard case .usage(let m) = e, m.hasPrefix("f.jsonl") else { fatalError("unexpected error: \(e)") }
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
