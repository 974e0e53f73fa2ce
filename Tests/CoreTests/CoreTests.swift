import BlockLabCore
import Foundation
import Testing

@Suite struct UnitsTests {
    @Test(arguments: [
        ("4k", UInt64(4096)), ("4K", 4096), ("4KiB", 4096), ("4kb", 4096), ("1M", 1 << 20), ("10G", 10 << 30),
        ("1t", 1 << 40), ("512", 512), ("0x1000", 4096), ("1.5g", 3 << 29), ("0", 0),
    ])
    func sizes(text: String, bytes: UInt64) throws {
        #expect(try Units.parseSize(text, what: "bs") == bytes)
    }

    @Test(arguments: ["", "k", "4q", "4 kk", "-1", "1.2.3k", "0xZZ", "99999999999999999999"])
    func malformedSizesNameTheOption(text: String) {
        do {
            _ = try Units.parseSize(text, what: "job.fio:3: option size")
            Issue.record("'\(text)' should not parse")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
            #expect(e.description.hasPrefix("job.fio:3: option size"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func durationsUseTheOptionsDefaultUnit() throws {
        #expect(try Units.parseDuration("5", defaultUnitNs: NS.perSecond, what: "runtime") == 5 * NS.perSecond)
        #expect(try Units.parseDuration("5", defaultUnitNs: NS.perMicrosecond, what: "thinktime") == 5_000)
        #expect(try Units.parseDuration("250ms", defaultUnitNs: NS.perSecond, what: "runtime") == 250 * NS.perMillisecond)
        #expect(try Units.parseDuration("2m", defaultUnitNs: NS.perSecond, what: "runtime") == 120 * NS.perSecond)
        #expect(try Units.parseDuration("1h", defaultUnitNs: NS.perSecond, what: "runtime") == 3600 * NS.perSecond)
        #expect(try Units.parseDuration("1d", defaultUnitNs: NS.perSecond, what: "runtime") == 86400 * NS.perSecond)
        #expect(try Units.parseDuration("1.5s", defaultUnitNs: NS.perSecond, what: "runtime") == 1_500 * NS.perMillisecond)
        #expect(throws: BlockLabError.self) { try Units.parseDuration("5 weeks", defaultUnitNs: NS.perSecond, what: "runtime") }
    }

    @Test func formatting() {
        #expect(Units.formatBytes(4096) == "4KiB")
        #expect(Units.formatBytes(1_572_864) == "1.50MiB")
        #expect(Units.formatBytes(100) == "100B")
        #expect(Units.formatDecimal(-0.5, places: 1) == "-0.5")
        #expect(Units.formatDecimal(2.345, places: 2) == "2.35" || Units.formatDecimal(2.345, places: 2) == "2.34")
        #expect(Units.formatDuration(850) == "850ns")
        #expect(Units.formatDuration(4_560_000) == "4.56ms")
    }
}

@Suite struct JSONValueTests {
    @Test func keepsKeyOrderAndEscapes() throws {
        let v = JSONValue.object([("z", .int(-1)), ("a", .string("q\"\n\u{1}")), ("m", .array([.double(1.5), .null, .bool(true)]))])
        let text = v.serialized(indent: 0)
        #expect(text == #"{"z":-1,"a":"q\"\n\u0001","m":[1.500000,null,true]}"#)
        let back = try #require(try JSONSerialization.jsonObject(with: Data(v.serialized().utf8)) as? [String: Any])
        #expect(back["a"] as? String == "q\"\n\u{1}")
        #expect(v["z"] == .int(-1))
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(JSONValue.array([.double(.nan), .double(.infinity)]).serialized(indent: 0) == "[null,null]")
    }
}

@Suite struct AtomicFileTests {
    @Test func replacesWholeFilesAndLeavesNoTemporaries() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/blocklab-atomic-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write("first", to: dir + "/r.json")
        try AtomicFile.write("second", to: dir + "/r.json")
        #expect(try String(contentsOfFile: dir + "/r.json", encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.json"])
    }

    @Test func missingDirectoryFailsWithoutCreatingAnything() {
        #expect(throws: SystemError.self) { try AtomicFile.write("x", to: "/nonexistent-blocklab-dir/r.json") }
    }
}

@Suite struct ClockTests {
    @Test func fakeClockMovesOnlyWhenTold() {
        let c = FakeClock(100)
        #expect(c.now() == 100)
        c.advance(by: 50)
        #expect(c.now() == 150)
        c.set(200)
        #expect(c.now() == 200)
    }

    @Test func systemClockIsMonotonic() {
        var last = SystemClock.shared.now()
        for _ in 0..<1000 {
            let t = SystemClock.shared.now()
            #expect(t >= last)
            last = t
        }
    }
}
