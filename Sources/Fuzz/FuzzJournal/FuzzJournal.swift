// libFuzzer target: a snapshot pool's journal bytes -> replay into a pool state. Any bytes
// must replay or throw (damage, torn tail), never trap or allocate without bound. Built only
// with BLOCKLAB_FUZZ=1 (`make fuzz`).
import BlockLabCore
import CFuzzDriver
import SnapStore

/// SwiftPM links an executable's entry point as FuzzJournal_main; hand over to libFuzzer.
@_cdecl("FuzzJournal_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? Journal.replay(bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
