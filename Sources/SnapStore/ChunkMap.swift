#if canImport(Glibc)
import Glibc
#endif

/// A volume's full logical -> physical map, built when the volume is opened for I/O so the
/// per-I/O lookup is O(1) and allocation-free: a two-level table whose 4096-entry pages are
/// allocated on first use (a 1 TiB thin volume with little data costs a few pages).
/// Entry: 0 = never written (reads as zeros); otherwise epoch << 32 | (physical + 1).
/// The epoch says which delta owns the chunk: the lineage's open epoch means "written since
/// the last snapshot" (write in place), anything older is shared with a snapshot (copy first),
/// and 0 means it comes from the snapshot a restored volume was created from.
final class ChunkMap {
    static let pageShift: UInt32 = 12
    static let pageMask: UInt32 = (1 << pageShift) - 1
    let chunkCount: UInt64
    let pageCount: Int
    private let pages: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>

    init(chunkCount: UInt64) {
        self.chunkCount = chunkCount
        pageCount = Int((chunkCount + UInt64(ChunkMap.pageMask)) >> UInt64(ChunkMap.pageShift))
        pages = .allocate(capacity: max(pageCount, 1))
        pages.initialize(repeating: nil, count: max(pageCount, 1))
    }

    deinit {
        for i in 0..<pageCount { pages[i].map { free($0) } }
        pages.deallocate()
    }

    @inline(__always) func get(_ c: UInt32) -> UInt64 {
        guard let page = pages[Int(c >> ChunkMap.pageShift)] else { return 0 }
        return page[Int(c & ChunkMap.pageMask)]
    }

    func set(_ c: UInt32, _ entry: UInt64) {
        let pi = Int(c >> ChunkMap.pageShift)
        if pages[pi] == nil {
            if entry == 0 { return }
            pages[pi] = calloc(Int(ChunkMap.pageMask) + 1, 8)!.assumingMemoryBound(to: UInt64.self)
        }
        pages[pi]![Int(c & ChunkMap.pageMask)] = entry
    }

    @inline(__always) static func entry(physical: UInt32, epoch: UInt32) -> UInt64 {
        UInt64(epoch) << 32 | (UInt64(physical) + 1)
    }
    @inline(__always) static func physical(_ e: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: e) &- 1 }
    @inline(__always) static func epoch(_ e: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: e >> 32) }

    /// Mapped entries in logical order (for building lists; not a hot path).
    func forEachMapped(_ body: (UInt32, UInt64) -> Void) {
        for pi in 0..<pageCount {
            guard let page = pages[pi] else { continue }
            for j in 0...Int(ChunkMap.pageMask) where page[j] != 0 {
                body(UInt32(pi) << ChunkMap.pageShift | UInt32(j), page[j])
            }
        }
    }
}

/// A fixed-size bit set (per-chunk "loaded" state of a restored volume). Pages of 2^18 bits
/// are allocated on first insert, so a huge volume restored lazily costs little until it
/// is read (and a journal naming a huge volume allocates nothing much on replay).
struct Bitmap {
    static let pageShift: UInt32 = 18
    private(set) var pages: [[UInt64]]

    init(count: UInt64) {
        pages = Array(repeating: [], count: Int((count + (1 << UInt64(Bitmap.pageShift)) - 1) >> UInt64(Bitmap.pageShift)))
    }

    @inline(__always) func contains(_ i: UInt32) -> Bool {
        let pi = Int(i >> Bitmap.pageShift)
        guard !pages[pi].isEmpty else { return false }
        return pages[pi][Int((i >> 6) & 4095)] & (1 << UInt64(i & 63)) != 0
    }

    @inline(__always) mutating func insert(_ i: UInt32) {
        let pi = Int(i >> Bitmap.pageShift)
        if pages[pi].isEmpty { pages[pi] = [UInt64](repeating: 0, count: 4096) }
        pages[pi][Int((i >> 6) & 4095)] |= 1 << UInt64(i & 63)
    }

    /// The set bits' words by page, for comparing two bitmaps (empty pages omitted).
    var fingerprint: String {
        pages.indices.filter { pages[$0].contains { $0 != 0 } }.map { "\($0):\(pages[$0])" }.joined(separator: " ")
    }
}
