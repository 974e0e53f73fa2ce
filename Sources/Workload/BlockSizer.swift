import BlockLabCore
import JobSpec

/// Picks each I/O's length for one direction from its `BlockSizeRule`, without allocating.
struct BlockSizer: Sendable {
    private enum Kind {
        case fixed(UInt32)
        /// `lowest + granularity x below(choices)`.
        case range(lowest: UInt32, granularity: UInt32, choices: UInt64)
        /// 100 entries, one per percent, each the size for that percent (bssplit).
        case split(table: [UInt32])
    }
    private let kind: Kind
    /// The sizes this direction can produce, ascending (for fitting at a region's end).
    private let sizes: [UInt32]
    let minimum: UInt32
    let maximum: UInt32
    /// The expected length (for ETA estimates).
    let mean: Double

    /// `granularity`: bsrange picks multiples of it (blockalign, else the range minimum, as fio).
    init(rule: BlockSizeRule, granularity: UInt32?) {
        switch rule {
        case .fixed(let s):
            kind = .fixed(s)
            sizes = [s]
        case .range(let lo, let hi):
            // In 64 bits: lo + g - 1 overflows 32 near 4 GiB.
            let g = UInt64(max(1, granularity ?? lo))
            let first = (UInt64(lo) + g - 1) / g * g, last = UInt64(hi) / g * g
            if first > last || first == 0 {
                kind = .fixed(lo)
                sizes = [lo]
            } else {
                // `sizes` lists the choices only when few (bsrange=1-4g has four billion);
                // `largest(atMost:)` computes the rest.
                kind = .range(lowest: UInt32(first), granularity: UInt32(g), choices: (last - first) / g + 1)
                sizes = (last - first) / g < 4096 ? Array(stride(from: UInt32(first), through: UInt32(last), by: Int(g))) : [UInt32(first), UInt32(last)]
            }
        case .split(let parts):
            var table: [UInt32] = []
            for p in parts { table += Array(repeating: p.size, count: p.percent) }
            if table.count < 100 { table += Array(repeating: parts.last?.size ?? 4096, count: 100 - table.count) }
            kind = .split(table: Array(table.prefix(100)))
            sizes = Array(Set(parts.filter { $0.percent > 0 }.map(\.size))).sorted()
        }
        minimum = sizes.first ?? 4096
        maximum = sizes.last ?? 4096
        switch kind {
        case .fixed(let s): mean = Double(s)
        case .range(let lowest, let g, let choices): mean = Double(lowest) + Double(g) * Double(choices - 1) / 2
        case .split(let table): mean = Double(table.reduce(0) { $0 + UInt64($1) }) / 100
        }
    }

    var isFixed: Bool { minimum == maximum }

    @inline(__always)
    func next(_ rng: inout Xoshiro256) -> UInt32 {
        switch kind {
        case .fixed(let s): return s
        case .range(let lowest, let g, let choices): return lowest + g * UInt32(rng.below(choices))
        case .split(let table): return table[Int(rng.below(100))]
        }
    }

    /// The largest size this direction can produce that is at most `limit`; 0 if none.
    @inline(__always)
    func largest(atMost limit: UInt64) -> UInt32 {
        if case .range(let lowest, let g, let choices) = kind {
            guard limit >= UInt64(lowest) else { return 0 }
            let k = min(choices - 1, (limit - UInt64(lowest)) / UInt64(g))
            return UInt32(UInt64(lowest) + k * UInt64(g))
        }
        var i = sizes.count - 1
        while i >= 0 {
            if UInt64(sizes[i]) <= limit { return sizes[i] }
            i -= 1
        }
        return 0
    }
}
