import BlockLabCore
import Foundation
import Testing

@Suite struct InputLimitsTests {
    @Test(arguments: ["99999999999999999999", "1025p", "17000000t", "0x1fffffffffffffff", "0xfffffffffffffffffffff",
                      "99999999999999999999.5k", "1048576.5t"])
    func sizesAboveTwoToTheSixtyAreTooLarge(text: String) {
        do {
            _ = try Units.parseSize(text, what: "x.fio:2: option size")
            Issue.record("'\(text)' should not parse")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
            #expect(e.description.contains("x.fio:2: option size: size '\(text)' is too large"), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(arguments: ["99999999999999999999", "18446744073s", "36501d", "99999999999999999999.5", "3155760001s", "1e400"])
    func durationsAboveAHundredYearsAreTooLong(text: String) {
        do {
            _ = try Units.parseDuration(text, defaultUnitNs: NS.perSecond, what: "--runtime")
            Issue.record("'\(text)' should not parse")
        } catch let e as BlockLabError {
            #expect(e.exitCode == 2)
            #expect(e.description.hasPrefix("--runtime: "), "\(e)")
            #expect(e.description.contains("'\(text)'"), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func theLimitsParse() throws {
        #expect(try Units.parseSize("1024p", what: "s") == 1 << 60)
        #expect(try Units.parseSize("0x1000000000000000", what: "s") == 1 << 60)
        #expect(try Units.parseDuration("36500d", defaultUnitNs: NS.perSecond, what: "r") == 36500 * 86_400 * NS.perSecond)
        #expect(InputLimits.maxDurationNs < UInt64(Int64.max) / 2)
    }

    @Test func nonAsciiDigitsAreMalformed() {
        #expect(throws: BlockLabError.self) { try Units.parseSize("\u{0663}k", what: "s") }
        #expect(throws: BlockLabError.self) { try Units.parseDuration("\u{00bd}s", defaultUnitNs: 1, what: "r") }
    }

    @Test func doublesConvertOnlyWhenInRange() {
        #expect(InputLimits.uint64(.nan) == nil)
        #expect(InputLimits.uint64(.infinity) == nil)
        #expect(InputLimits.uint64(-1) == nil)
        #expect(InputLimits.uint64(1e308) == nil)
        #expect(InputLimits.uint64(18_446_744_073_709_551_616.0) == nil)
        #expect(InputLimits.uint64(5.7) == 5)
        #expect(InputLimits.uint64(100, atMost: 99) == nil)
    }

    @Test func controlCharactersAreEscaped() {
        #expect(Text.escaped("a\u{1b}[31mb\u{0}c\u{7f}\u{202e}") == "a\\u{1b}[31mb\\u{0}c\\u{7f}\\u{202e}")
        #expect(Text.escaped("plain é") == "plain é")
        let once = Text.escaped("x\u{1b}y")
        #expect(Text.escaped(once) == once)
    }

    @Test func inputFilesAreRegularAndBounded() throws {
        #expect(throws: BlockLabError.usage("/dev/zero: profile is not a regular file (a character device)")) {
            try InputFile.read("/dev/zero", limit: 100, what: "profile")
        }
        let path = NSTemporaryDirectory() + "inputlimits-\(getpid()).txt"
        defer { unlink(path) }
        try "0123456789".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try InputFile.text(path, limit: 10, what: "f") == "0123456789")
        #expect(throws: BlockLabError.self) { try InputFile.read(path, limit: 9, what: "f") }
        #expect(throws: BlockLabError.self) { try InputFile.read("/proc/self/environ", limit: 1 << 20, what: "f") }
        #expect(throws: BlockLabError.self) { try InputFile.read("/sys/kernel/mm/transparent_hugepage/enabled", limit: 1 << 20, what: "f") }
    }
}
