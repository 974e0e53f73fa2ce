import BlockLabCore

/// Linux I/O priorities as fio sets them (`prio`, `prioclass`, and the io_uring/libaio
/// engines' `cmdprio*` options). A priority value is the kernel's: class in bits 13-15,
/// hint in bits 3-12 (Linux 6.5+), level in bits 0-2.
public enum IOPriority {
    public static let classShift = 13
    public static let hintShift = 3
    /// Classes: 0 none (taken as best effort, as fio), 1 real-time, 2 best effort, 3 idle.
    public static let realTime = 1, bestEffort = 2, idle = 3
    public static let maxLevel = 7
    public static let maxClass = 3
    /// fio's IOPRIO_MAX_PRIO_HINT (10 bits).
    public static let maxHint = 1023

    /// fio's ioprio_value: class 0 means best effort.
    public static func value(class c: Int, level: Int, hint: Int = 0) -> UInt16 {
        UInt16(((c == 0 ? bestEffort : c) << classShift) | (hint << hintShift) | level)
    }

    public static func priorityClass(_ v: UInt16) -> Int { Int(v >> UInt16(classShift)) }
    public static func level(_ v: UInt16) -> Int { Int(v & 7) }
    public static func hint(_ v: UInt16) -> Int { Int((v >> UInt16(hintShift)) & UInt16(maxHint)) }
    public static func withoutHint(_ v: UInt16) -> UInt16 { v & ~UInt16(maxHint << hintShift) }
}

/// One `cmdprio_bssplit` entry: I/Os of `size` bytes get a priority `percent` % of the time;
/// `prio` nil takes cmdprio_class/cmdprio (fio's short form).
public struct CmdPrioSplit: Equatable, Sendable {
    public var size: UInt64
    public var percent: Int
    public var prio: UInt16?
    public init(size: UInt64, percent: Int, prio: UInt16?) {
        self.size = size
        self.percent = percent
        self.prio = prio
    }
}

/// The io_uring/libaio engines' per-I/O priority options, per direction (read, write).
public struct CmdPrioOptions: Sendable, Equatable {
    public var percentage: [Int] = [0, 0]
    /// 0: not given (real-time, as fio, when a percentage or split asks for priorities).
    public var classes: [Int] = [0, 0]
    public var levels: [Int] = [0, 0]
    /// `cmdprio_bssplit`, entries with a non-zero percentage only (as fio keeps them).
    public var bssplit: [[CmdPrioSplit]]?
    public init() {}

    /// Some I/Os get their own priority.
    public var active: Bool { bssplit != nil || percentage != [0, 0] }
    /// An option of this group was given at all (for the engine check).
    public var given = false
    /// A split entry carries a hint (the 5-field form).
    public var usesHints: Bool { bssplit?.contains { $0.contains { ($0.prio.map(IOPriority.hint) ?? 0) != 0 } } ?? false }
}

/// A job's priorities resolved as fio's cmdprio.c resolves them: per direction, the distinct
/// priority values (index 0 the job's own, fio's ts->ioprio) and how each I/O picks one.
public struct PriorityPlan: Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        /// No I/O of this direction gets a priority of its own.
        case none
        /// `percent` % of I/Os get the value at `index`.
        case percentage(percent: Int, index: UInt8)
        /// Per block size: the entries' cumulative percentages and value indexes.
        case split([(size: UInt64, entries: [(upTo: Int, index: UInt8)])])

        public static func == (a: Rule, b: Rule) -> Bool {
            switch (a, b) {
            case (.none, .none): return true
            case let (.percentage(p, i), .percentage(q, j)): return p == q && i == j
            case let (.split(x), .split(y)):
                return x.count == y.count && zip(x, y).allSatisfy { l, r in
                    l.size == r.size && l.entries.count == r.entries.count
                        && zip(l.entries, r.entries).allSatisfy { $0.upTo == $1.upTo && $0.index == $1.index }
                }
            default: return false
            }
        }
    }
    /// The job's own priority value (prio/prioclass; 0 when neither is given, as fio).
    public var base: UInt16
    /// Per direction (read, write): the values I/Os can carry; index 0 is `base`.
    public var values: [[UInt16]]
    public var rules: [Rule]

    /// The plan, or nil when every I/O carries the job's own priority.
    public static func make(_ s: JobSpec) -> PriorityPlan? {
        let base = s.basePriority ?? 0
        let c = s.cmdPrio
        guard c.active else { return nil }
        var plan = PriorityPlan(base: base, values: [[base], [base]], rules: [.none, .none])
        for d in 0..<2 where d == 0 ? s.rw.reads : s.rw.writes {
            // fio: a class not given is real-time.
            let implicit = IOPriority.value(class: c.classes[d] == 0 ? IOPriority.realTime : c.classes[d], level: c.levels[d])
            func index(_ v: UInt16) -> UInt8 {
                if let i = plan.values[d].firstIndex(of: v), i > 0 { return UInt8(i) }
                plan.values[d].append(v)
                return UInt8(plan.values[d].count - 1)
            }
            if let split = c.bssplit {
                let entries = split[d]
                guard !entries.isEmpty else { continue }
                var groups: [(size: UInt64, entries: [(upTo: Int, index: UInt8)])] = []
                for size in Array(Set(entries.map(\.size))).sorted() {
                    var upTo = 0
                    var list: [(upTo: Int, index: UInt8)] = []
                    for e in entries where e.size == size {
                        upTo += e.percent
                        list.append((upTo, index(e.prio ?? implicit)))
                    }
                    groups.append((size, list))
                }
                plan.rules[d] = .split(groups)
            } else if c.percentage[d] > 0 {
                plan.rules[d] = .percentage(percent: c.percentage[d], index: index(implicit))
            }
        }
        return plan
    }
}

extension JobSpec {
    /// The priority `prio`/`prioclass` give the job's threads (nil: neither given, the
    /// thread keeps what it inherited, as fio).
    public var basePriority: UInt16? {
        guard ioPrio != nil || ioPrioClass != nil else { return nil }
        return IOPriority.value(class: ioPrioClass ?? 0, level: ioPrio ?? 0)
    }

    /// Any I/O of the job would be in the real-time class (needs CAP_SYS_ADMIN or CAP_SYS_NICE).
    public var usesRealTimePriority: Bool {
        if ioPrioClass == IOPriority.realTime { return true }
        guard let plan = PriorityPlan.make(self) else { return false }
        for d in 0..<2 {
            let used: Set<UInt8>
            switch plan.rules[d] {
            case .none: used = []
            case .percentage(_, let i): used = [i]
            case .split(let groups): used = Set(groups.flatMap { $0.entries.map(\.index) })
            }
            if used.contains(where: { IOPriority.priorityClass(plan.values[d][Int($0)]) == IOPriority.realTime }) { return true }
        }
        return false
    }
}

extension Value {
    /// fio's cmdprio_bssplit for one direction: `bs/perc[/class/level[/hint]]:...`; entries of
    /// 0 % are dropped (fio keeps none of them), each block size's percentages add up to at most 100.
    static func cmdPrioSplit(_ text: String, _ opt: RawOption) throws -> [CmdPrioSplit] {
        var out: [CmdPrioSplit] = []
        var totals: [UInt64: Int] = [:]
        let entries = text.split(separator: ":", omittingEmptySubsequences: false)
        // fio's BSSPLIT_MAX (it also keeps the value indexes small).
        guard entries.count <= 64 else { throw fail(opt, "at most 64 entries per direction (as fio), got \(entries.count)") }
        for entry in entries {
            // fio stops at an empty entry.
            if entry.isEmpty { break }
            let fields = entry.split(separator: "/", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
            guard !fields[0].isEmpty, [1, 2, 4, 5].contains(fields.count) || (fields.count == 2 && fields[1].isEmpty) else {
                throw fail(opt, "expected bs/percent[/class/level[/hint]] entries such as 64k/40:1m/60/1/0, got '\(entry)'")
            }
            let size = try Value.size(fields[0], opt)
            guard size > 0, size <= UInt64(UInt32.max) else { throw fail(opt, "block size '\(fields[0])' out of range in '\(entry)'") }
            func number(_ i: Int, _ what: String, max: Int) throws -> Int {
                guard let n = Int(fields[i]), n >= 0 else {
                    throw fail(opt, "\(what) must be a whole number 0-\(max), got '\(fields[i])' in '\(entry)'")
                }
                return n
            }
            // fio clamps the percentage to 100, the class to 3, the level to 7 and the hint to 1023.
            let percent = fields.count >= 2 && !fields[1].isEmpty ? min(try number(1, "percent", max: 100), 100) : 0
            var prio: UInt16?
            if fields.count >= 4 {
                let c = min(try number(2, "class", max: IOPriority.maxClass), IOPriority.maxClass)
                let l = min(try number(3, "level", max: IOPriority.maxLevel), IOPriority.maxLevel)
                let h = fields.count == 5 ? min(try number(4, "hint", max: IOPriority.maxHint), IOPriority.maxHint) : 0
                prio = IOPriority.value(class: c, level: l, hint: h)
            }
            guard percent > 0 else { continue }
            totals[size, default: 0] += percent
            if totals[size]! > 100 {
                throw fail(opt, "the percentages for block size \(size) add up to \(totals[size]!), more than 100")
            }
            out.append(CmdPrioSplit(size: size, percent: percent, prio: prio))
        }
        return out
    }
}

extension RawOption {
    /// The same option with one part of its value (a read,write pair's half), for messages.
    func with(value: String) -> RawOption {
        var o = self
        o.value = value
        return o
    }
}

extension JobBuilder {
    /// fio refuses cmdprio_* with an engine that is not io_uring or libaio ("Bad option"),
    /// and cmdprio_percentage together with cmdprio_bssplit.
    static func validatePriorities(_ s: JobSpec, place: String) throws {
        let c = s.cmdPrio
        guard c.given else { return }
        if s.ioengine.name != EngineCatalog.ioUring.name {
            throw BlockLabError.usage("\(place): the cmdprio options (per-I/O priorities) are options of fio's io_uring and libaio engines; fio refuses them with ioengine=\(s.ioengineRequested) (use prio= and prioclass= to set the priority of all of the job's I/O)")
        }
        if c.bssplit != nil && c.percentage != [0, 0] {
            throw BlockLabError.usage("\(place): cmdprio_percentage and cmdprio_bssplit are mutually exclusive (as in fio)")
        }
    }
}
