import Foundation
import Testing
@testable import VolumeModel

@Test func perThreadCountersAreExactBeyondTheirSlotCount() {
    // 80 threads alive at once (more than the 64 slots: some share the locked overflow
    // stripe), each adding 1..1000 into a shared counter: the total is exact.
    let counters = PerThreadCounters(fields: 2)
    let threads = 80
    let started = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0), done = DispatchGroup()
    // Filled under the lock by the threads; a class so the closures share it (no captured var).
    final class Slots: @unchecked Sendable { var list: [Int]; init(_ n: Int) { list = [Int](repeating: -1, count: n) } }
    let box = Slots(threads)
    let lock = NSLock()
    for t in 0..<threads {
        done.enter()
        Thread {
            let slot = ThreadSlot.current
            lock.lock(); box.list[t] = slot; lock.unlock()
            started.signal()
            go.wait()
            for i in 1...1000 { counters.add(1, UInt64(i), slot: slot) }
            done.leave()
        }.start()
    }
    for _ in 0..<threads { started.wait() }
    for _ in 0..<threads { go.signal() }
    done.wait()
    #expect(counters.total(1) == UInt64(threads) * 500_500)
    #expect(counters.total(0) == 0)
    // Own slots are never shared while their threads live; the rest share the overflow.
    let slots = box.list
    let own = slots.filter { $0 < ThreadSlot.slots }
    #expect(Set(own).count == own.count)
    #expect(slots.contains(ThreadSlot.slots))
}
