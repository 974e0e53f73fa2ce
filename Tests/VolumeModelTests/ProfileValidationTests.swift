import Foundation
import Testing
@testable import VolumeModel

/// Writes a copy of a profile with one line replaced into a scratch store.
func brokenStore(_ name: String, replacing old: String, with new: String) throws -> ProfileStore {
    let dir = NSTemporaryDirectory() + "blocklab-profiles-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: dir + "/volumes", withIntermediateDirectories: true)
    let text = try String(contentsOfFile: store.directory + "/volumes/\(name).yaml", encoding: .utf8)
    #expect(text.contains(old))
    try text.replacingOccurrences(of: old, with: new).write(toFile: dir + "/volumes/\(name).yaml", atomically: true, encoding: .utf8)
    return ProfileStore(directory: dir)
}

@Test(arguments: [
    ("gp3", "max: 80000", "max: lots", "iops.max: expected a number"),
    ("gp3", "max_per_gib: 500", "max_per_gib: -1", "iops.max_per_gib: must be greater than 0"),
    ("gp3", "rules: gp3", "rules: gp9", "rules: unknown rule family"),
    ("gp3", "media: ssd", "media: tape", "media: expected ssd"),
    ("gp2", "p99: 4000", "p99: 100", "latency_us.p99: must be above"),
    ("gp2", "start_percent: 100", "start_percent: 120", "credits.start_percent"),
    ("st1", "size_gib: {min: 125", "size_gib: {min: 99999", "size_gib.min"),
    ("st1", "burst_per_tib: 250, ", "", "missing key 'throughput_mibps.burst_per_tib'"),
    ("io2", "name: io2", "name: io2\ncolour: blue", "unknown key 'colour'"),
])
func badProfileValuesNameFileAndKey(name: String, old: String, new: String, expected: String) throws {
    let s = try brokenStore(name, replacing: old, with: new)
    let m = usageMessage { _ = try s.volume(named: name) }
    #expect(m.contains(expected), "\(m)")
    #expect(m.contains("/volumes/\(name).yaml"), "\(m)")
}

@Test func everyShippedVolumeProfileLoads() throws {
    for n in store.names("volumes") {
        let p = try store.volume(named: n)
        #expect(!p.source.isEmpty)
        #expect(p.opSize == (p.media == .hdd ? 1 << 20 : 256 << 10))
    }
}
