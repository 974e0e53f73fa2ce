// libFuzzer target: `--volume` spec text -> VolumeSpec -> resolved against every volume
// profile in profiles/. Any input must resolve or give a usage error, never a trap.
// Built only with BLOCKLAB_FUZZ=1 (`make fuzz`); BLOCKLAB_PROFILES names the profiles directory.
import BlockLabCore
import CFuzzDriver
import Foundation
import VolumeModel

let store = ProfileStore(directory: ProcessInfo.processInfo.environment["BLOCKLAB_PROFILES"] ?? "profiles")
let profiles: [VolumeProfile] = store.names("volumes").compactMap { try? store.volume(named: $0) }

/// SwiftPM links an executable's entry point as FuzzVolumeSpec_main; hand over to libFuzzer.
@_cdecl("FuzzVolumeSpec_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    precondition(!profiles.isEmpty, "no volume profiles found: set BLOCKLAB_PROFILES")
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let spec = try VolumeSpec.parse(text)
        for p in profiles {
            do {
                let v = try spec.resolve(profile: p)
                _ = v.sizeBytes
            } catch let e as BlockLabError {
                guard case .usage = e else { fatalError("not a usage error: \(e)") }
            }
        }
    } catch let e as BlockLabError {
        guard case .usage = e else { fatalError("not a usage error: \(e)") }
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
