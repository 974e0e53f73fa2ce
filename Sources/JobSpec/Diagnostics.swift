import BlockLabCore

/// Collects every problem of the input in one pass (each with its file:line), so a job file
/// with ten mistakes takes one edit, not ten runs. Parsing goes on past a bad option (the
/// option is skipped); the collected messages are thrown together at the end.
struct Diagnostics {
    private(set) var messages: [String] = []
    private var seen: Set<String> = []

    /// At most this many are listed (a file of garbage should not flood the terminal).
    static let maxListed = 50

    /// Runs `body`; a usage error it throws is recorded (once: a [global] option is applied
    /// for every job, and its problem is the same each time) instead of ending the parse.
    mutating func record(_ body: () throws -> Void) {
        do { try body() } catch BlockLabError.usage(let m) { add(m) } catch { add("\(error)") }
    }

    mutating func add(_ message: String) {
        guard seen.insert(message).inserted else { return }
        messages.append(message)
    }

    var isEmpty: Bool { messages.isEmpty }

    /// Throws the collected problems as one usage error: one per line, then their count.
    func throwIfAny() throws {
        guard !messages.isEmpty else { return }
        throw BlockLabError.usage(Self.render(messages))
    }

    static func render(_ messages: [String]) -> String {
        guard messages.count > 1 else { return messages[0] }
        // In the order of the files' lines (reading finds some problems before building
        // finds the others); files in the order first met, messages without a line last.
        var fileOrder: [String: Int] = [:]
        let keyed = messages.enumerated().map { i, m -> (file: Int, line: Int, index: Int, text: String) in
            guard let (file, line) = place(m) else { return (Int.max, 0, i, m) }
            let f = fileOrder[file] ?? { fileOrder[file] = fileOrder.count; return fileOrder.count - 1 }()
            return (f, line, i, m)
        }
        let sorted = keyed.sorted { ($0.file, $0.line, $0.index) < ($1.file, $1.line, $1.index) }.map(\.text)
        var lines = Array(sorted.prefix(maxListed))
        if messages.count > maxListed { lines.append("... and \(messages.count - maxListed) more") }
        lines.append("(\(messages.count) problems)")
        return lines.joined(separator: "\n")
    }

    /// `path:LINE: ...` -> (path, LINE): the first `:digits:` in the message.
    static func place(_ message: String) -> (String, Int)? {
        let chars = Array(message.prefix(4096))
        var i = 0
        while i < chars.count {
            if chars[i] == ":" {
                var j = i + 1
                while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
                if j > i + 1, j < chars.count, chars[j] == ":", let n = Int(String(chars[(i + 1)..<j])) {
                    return (String(chars[..<i]), n)
                }
            }
            i += 1
        }
        return nil
    }
}
