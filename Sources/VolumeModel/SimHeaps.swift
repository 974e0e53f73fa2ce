/// A binary min-heap of times (a stream's slots: when each is free again).
struct MinHeap {
    var items: [UInt64] = []
    var min: UInt64 { items[0] }
    mutating func reset(count: Int, value: UInt64) { items = Array(repeating: value, count: count) }
    /// Replaces the earliest time with `v` (a slot taken by a new I/O) and restores order.
    mutating func replaceMin(_ v: UInt64) {
        items[0] = v
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m); i = m
        }
    }
}

/// A min-heap of (completion time, bytes).
struct MinHeapPairs {
    var items: [(UInt64, UInt64)] = []
    func peek() -> (UInt64, UInt64)? { items.first }
    mutating func push(_ v: (UInt64, UInt64)) {
        items.append(v)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].0 <= items[i].0 { break }
            items.swapAt(p, i); i = p
        }
    }
    mutating func pop() -> (UInt64, UInt64)? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].0 < items[m].0 { m = l }
                if r < items.count && items[r].0 < items[m].0 { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
        return top
    }
}
