import CSupport
import Glibc
import Synchronization

/// Statistics counters (raw I/Os and bytes, throttled time) bumped on every admit without
/// a locked instruction. On x86-64 each locked read-modify-write cost 15-20 ns here, more
/// than all the bucket arithmetic, and these counters are only read a few times a second.
/// So each thread adds into its own stripe (64-byte line) with a plain load and store: one
/// writer per stripe, read by summing the stripes with atomic loads. Threads get a stripe
/// from `ThreadSlot` (64 slots, returned at thread exit); any thread beyond those shares an
/// overflow stripe updated with locked adds, so counts stay exact in every case.
final class PerThreadCounters: @unchecked Sendable {
    let fields: Int
    private let stride: Int
    private let cells: UnsafeMutablePointer<Atomic<UInt64>>
    private var count: Int { (ThreadSlot.slots + 1) * stride }

    init(fields: Int) {
        self.fields = fields
        stride = (fields + 7) / 8 * 8
        cells = .allocate(capacity: (ThreadSlot.slots + 1) * stride)
        for i in 0..<(ThreadSlot.slots + 1) * stride { (cells + i).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: count)
        cells.deallocate()
    }

    /// Adds `value` to `field` in the calling thread's stripe (`slot` from `ThreadSlot.current`).
    @inline(__always)
    func add(_ field: Int, _ value: UInt64, slot: Int) {
        let p = cells + (slot * stride + field)
        if slot < ThreadSlot.slots {
            p.pointee.store(p.pointee.load(ordering: .relaxed) &+ value, ordering: .relaxed)
        } else {
            p.pointee.wrappingAdd(value, ordering: .relaxed)
        }
    }

    /// Adds to the first four fields at once (one stripe lookup).
    @inline(__always)
    func add(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64, slot: Int) {
        let p = cells + (slot &* stride)
        if slot < ThreadSlot.slots {
            p[0].store(p[0].load(ordering: .relaxed) &+ a, ordering: .relaxed)
            p[1].store(p[1].load(ordering: .relaxed) &+ b, ordering: .relaxed)
            p[2].store(p[2].load(ordering: .relaxed) &+ c, ordering: .relaxed)
            p[3].store(p[3].load(ordering: .relaxed) &+ d, ordering: .relaxed)
        } else {
            p[0].wrappingAdd(a, ordering: .relaxed)
            p[1].wrappingAdd(b, ordering: .relaxed)
            p[2].wrappingAdd(c, ordering: .relaxed)
            p[3].wrappingAdd(d, ordering: .relaxed)
        }
    }

    /// The sum over all threads.
    func total(_ field: Int) -> UInt64 {
        var sum: UInt64 = 0
        for s in 0...ThreadSlot.slots { sum &+= (cells + (s * stride + field)).pointee.load(ordering: .relaxed) }
        return sum
    }
}

/// A small per-thread index (0..<64, or 64 for "shared"), read from a C thread-local and
/// given back through a pthread key's destructor when the thread exits, so slots are
/// reused. Handing a slot over is ordered by the release/acquire on `used`, so the next
/// owner sees the previous owner's counts.
enum ThreadSlot {
    static let slots = 64
    private static let used = Atomic<UInt64>(0)
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { p in
            guard let p else { return }
            let i = Int(bitPattern: p) - 1
            bl_set_thread_slot(0) // runs on the exiting thread: later updates there claim afresh
            if i < ThreadSlot.slots { _ = ThreadSlot.used.bitwiseAnd(~(UInt64(1) << UInt64(i)), ordering: .releasing) }
        }
        return k
    }()

    @inline(__always)
    static var current: Int {
        let s = bl_get_thread_slot()
        if s != 0 { return Int(s) - 1 }
        return claim()
    }

    private static func claim() -> Int {
        var m = used.load(ordering: .relaxed)
        var slot = slots
        while m != .max {
            let i = (~m).trailingZeroBitCount
            let r = used.compareExchange(expected: m, desired: m | (1 << UInt64(i)), ordering: .acquiringAndReleasing)
            if r.exchanged { slot = i; break }
            m = r.original
        }
        // The key's value only gives the slot back at thread exit; reads use the C thread-local.
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: slot + 1))
        bl_set_thread_slot(Int32(slot + 1))
        return slot
    }
}
