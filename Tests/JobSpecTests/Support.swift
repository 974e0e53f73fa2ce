import BlockLabCore
import Foundation
@testable import JobSpec

/// A scratch directory for job files, removed by `cleanup()`.
struct TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "jobspec-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The repository's `profiles/jobs` directory (found from this source file's path).
let profilesJobs: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path + "/profiles/jobs"
}()

func parse(_ text: String, env: [String: String] = [:]) throws -> [JobSpec] {
    try JobParser.parse(text: text, path: "t.fio", environment: env)
}

/// The message of the usage error `body` throws, or nil when it throws nothing (or something else).
func usageMessage(_ body: () throws -> Any) -> String? {
    do { _ = try body() } catch let BlockLabError.usage(m) { return m } catch { return nil }
    return nil
}

func value(_ spec: JobSpec, _ key: String) -> String? {
    spec.options.first { $0.key == key }?.value
}
