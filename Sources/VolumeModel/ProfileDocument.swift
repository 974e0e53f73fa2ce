import BlockLabCore
import Foundation
import Yams

/// A profile file read with Yams and flattened to `section.key` -> value, so every check
/// can name the file and the exact key that is wrong.
struct ProfileDocument {
    let file: String
    private(set) var numbers: [String: Double] = [:]
    private(set) var strings: [String: String] = [:]
    private(set) var lists: [String: [[String: Any]]] = [:]
    private(set) var keys: [String] = []

    init(file: String) throws {
        self.file = file
        let text = try InputFile.text(file, limit: InputLimits.maxJobFileBytes, what: "profile")
        let any: Any?
        do { any = try Yams.load(yaml: text) } catch {
            throw BlockLabError.usage("\(file): not valid YAML: \(error)")
        }
        guard let root = any as? [String: Any] else { throw BlockLabError.usage("\(file): expected a mapping at the top level") }
        try flatten(root, prefix: "")
    }

    private mutating func flatten(_ dict: [String: Any], prefix: String) throws {
        for (k, v) in dict {
            let key = prefix.isEmpty ? k : "\(prefix).\(k)"
            if !(v is [String: Any]) { keys.append(key) }
            switch v {
            case let d as [String: Any]: try flatten(d, prefix: key)
            case let b as Bool: strings[key] = b ? "true" : "false"
            case let i as Int: numbers[key] = Double(i)
            case let x as Double: numbers[key] = x
            case let s as String: strings[key] = s
            case let l as [Any]: lists[key] = l.compactMap { $0 as? [String: Any] }
            default: throw BlockLabError.usage("\(file): \(key): unsupported value")
            }
        }
    }

    /// Rejects keys outside `allowed` (a key is allowed if it or a parent section is listed).
    func checkKeys(_ allowed: Set<String>) throws {
        for k in keys where !allowed.contains(k) {
            let parts = k.split(separator: ".")
            let hasAllowedParent = (1..<max(1, parts.count)).contains { allowed.contains(parts[0..<$0].joined(separator: ".") + ".*") }
            if !hasAllowedParent && !allowed.contains(String(parts[0]) + ".*") {
                throw BlockLabError.usage("\(file): unknown key '\(k)'")
            }
        }
    }

    func string(_ key: String) throws -> String {
        guard let s = strings[key] else { throw BlockLabError.usage("\(file): missing key '\(key)' (a string)") }
        return s
    }

    func optionalString(_ key: String) -> String? { strings[key] }

    /// The largest number a profile may give unless a key says otherwise: far above any AWS
    /// figure (260,000 IOPS, 65,536 GiB, 5.4 million credits), low enough that the products the
    /// rules form (IOPS x operation size, MiB/s x 2^20) stay within 64 bits.
    static let maxNumber = 1e9

    /// A required number that must be > 0 (or >= 0 when `allowZero`), at most `limit`.
    func number(_ key: String, allowZero: Bool = false, atMost limit: Double = maxNumber) throws -> Double {
        guard let v = numbers[key] else {
            if strings[key] != nil { throw BlockLabError.usage("\(file): \(key): expected a number, got '\(strings[key]!)'") }
            throw BlockLabError.usage("\(file): missing key '\(key)' (a number)")
        }
        guard v.isFinite, allowZero ? v >= 0 : v > 0 else {
            throw BlockLabError.usage("\(file): \(key): must be \(allowZero ? "0 or more" : "greater than 0"), got \(v)")
        }
        guard v <= limit else { throw BlockLabError.usage("\(file): \(key): must be at most \(limit), got \(v)") }
        return v
    }

    func optionalNumber(_ key: String, atMost limit: Double = maxNumber) throws -> Double? {
        numbers[key] == nil && strings[key] == nil ? nil : try number(key, atMost: limit)
    }

    func integer(_ key: String, atMost limit: Double = maxNumber) throws -> UInt64 {
        let v = try number(key, atMost: limit)
        guard v == v.rounded(), let n = InputLimits.uint64(v) else {
            throw BlockLabError.usage("\(file): \(key): must be a whole number, got \(v)")
        }
        return n
    }
}
