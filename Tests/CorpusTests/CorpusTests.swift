import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every case of the malformed-input corpus (Corpus.swift) against the real binary: the
/// expected exit status (never a crash or a hang), an stderr naming what was wrong, and
/// nothing written in the case's directory beyond what the case allows.
@Suite(.serialized) struct CorpusTests {
    @Test func theCorpusIsLargeAndItsNamesUnique() {
        #expect(Corpus.cases.count >= 160)
        var seen: Set<String> = []
        for c in Corpus.cases { #expect(seen.insert(c.name).inserted, "duplicate case name \(c.name)") }
    }

    @Test func theBinaryWasBuilt() {
        if case .failure(let e) = Harness.binary { Issue.record("\(e)") }
    }

    @Test(arguments: Corpus.cases)
    func malformedInput(_ c: CorpusCase) throws {
        guard case .success = Harness.binary else {
            Issue.record("CORPUS FAIL [\(c.name)]: blocklab binary not found; build it first (`swift build`)")
            return
        }
        let scratch = try Harness.makeTempDir("case")
        defer { Harness.removeTree(scratch) }
        let dir = scratch + "/work"
        guard mkdir(dir, 0o755) == 0 else { throw CorpusError("mkdir \(dir)") }
        do {
            try Harness.prepare(c.setup, in: dir, scratch: scratch)
        } catch {
            Issue.record("CORPUS FAIL [\(c.name)]: setup failed: \(error)")
            return
        }
        var outside: [String: Data] = [:]
        for case .contentUnchanged(let p) in c.checks { outside[p] = FileManager.default.contents(atPath: p) }
        let before = Harness.snapshot(dir)
        let r = try Harness.run(c.args, cwd: dir, scratch: scratch, c: c, timeout: c.timeout)
        let after = Harness.snapshot(dir)

        var problems: [String] = []
        if r.timedOut {
            problems.append("hung: killed after \(Int(c.timeout)) s")
        } else if r.signaled || !c.expect.accepts(r.status) {
            problems.append("expected \(c.expect), got \(r.statusText)")
        }
        let messages = c.reportsOnStdout ? r.stdout + "\n" + r.stderr : r.stderr
        for f in c.stderr where !Harness.matches(messages, f) {
            problems.append("\(c.reportsOnStdout ? "output" : "stderr") lacks '\(f)'")
        }
        if r.status != 0, !r.timedOut, messages.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append("failed with an empty stderr")
        }
        if c.stderr.contains(where: { _ in true }), r.stderr.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7f }) {
            problems.append("stderr carries raw control characters")
        }
        let changes = Harness.unexpectedChanges(before, after, allowed: c.allowed)
        if !changes.isEmpty { problems.append("wrote: " + changes.prefix(4).joined(separator: "; ") + (changes.count > 4 ? "; …" : "")) }
        for check in c.checks {
            switch check {
            case .poolOK(let p):
                let pc = try Harness.run(["pool", "check", p], cwd: dir, scratch: scratch)
                if pc.status != 0 || !pc.stdout.contains(": OK") {
                    problems.append("pool \(p) no longer checks OK: \(pc.statusText): \(Harness.head(pc.stdout + pc.stderr, lines: 2))")
                }
            case .stdoutJSON:
                if (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8), options: [.fragmentsAllowed])) == nil {
                    problems.append("stdout is not one JSON document: \(Harness.head(r.stdout, lines: 1))")
                }
            case .outputExcludes(let s):
                if (r.stdout + r.stderr).lowercased().contains(s.lowercased()) { problems.append("output leaks '\(s)'") }
            case .contentUnchanged(let p):
                let now = FileManager.default.contents(atPath: p)
                if now != outside[p] {
                    problems.append("\(p) changed")
                    Self.restore(p, outside[p])
                }
            case .privateDev:
                let lines = (r.devCheck ?? "").split(separator: "\n").map(String.init)
                if lines.count != 2 || lines[0] != "character special file" || lines[1] != "symbolic link" {
                    problems.append("(private /dev) /dev/null, /dev/stdout afterwards: \(Harness.head(r.devCheck ?? "", lines: 2))")
                }
            }
        }
        if let broken = Harness.guardDevNull() { problems.append(broken) }

        if !problems.isEmpty {
            Issue.record("""
                CORPUS FAIL [\(c.name)]: got \(r.statusText); stderr: \(Harness.head(r.stderr, lines: 2))
                  problems: \(problems.joined(separator: " | "))
                  command: blocklab \(c.args.map { Harness.head($0, lines: 1) }.joined(separator: " "))
                  stderr head: \(Harness.head(r.stderr, lines: 4))
                """)
        }
    }

    /// Puts back a sysfs selection file (`always [madvise] never`) a case changed.
    static func restore(_ path: String, _ old: Data?) {
        guard let old, let text = String(data: old, encoding: .utf8),
              let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]"), open < close else { return }
        let word = String(text[text.index(after: open)..<close])
        try? word.write(toFile: path, atomically: false, encoding: .utf8)
    }
}
