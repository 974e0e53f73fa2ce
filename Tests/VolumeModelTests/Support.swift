import BlockLabCore
@testable import VolumeModel

let S: UInt64 = 1_000_000_000

/// The repository's profiles/ directory.
let store: ProfileStore = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
    return ProfileStore(directory: path + "/profiles")
}()

func resolve(_ spec: String) throws -> ResolvedVolume {
    try VolumeSpec.parse(spec).resolve(in: store)
}

/// The message of the BlockLabError.usage a closure throws ("" if none or another error).
func usageMessage(_ body: () throws -> Void) -> String {
    do { try body() } catch BlockLabError.usage(let m) { return m } catch { return "other error: \(error)" }
    return ""
}
