import BlockLabCore
import Glibc

/// An I/O backend over a mapped target (a thin volume whose logical offsets map to places
/// in a data file), wrapping the engine's own backend: the job loop issues one I/O and sees
/// one completion, as on any target. Underneath, each I/O becomes one kernel operation per
/// chunk it touches; a read of never-written chunks is zero-filled without I/O; a write to
/// a chunk shared with an older read-only view first copies the old chunk with a linked read and write
/// (io_uring runs the chain in order without a round trip to us); an I/O that touches a
/// chunk whose copy is still in flight waits for it (the copy rewrites the whole chunk).
/// A sync is the target's commit: what is in flight drains, then data and mappings are made
/// durable, then the I/Os that arrived meanwhile go out.
final class MappedBackend<Inner: IOBackend>: IOBackend, MappedFigures {
    static var performsInSubmit: Bool { Inner.performsInSubmit }
    let inner: Inner
    let target: MappedTarget
    private let chunk: UInt64
    private let depth: Int
    /// Copy-on-write staging, `maxChunksPerIO` chunks per slot (writable targets only).
    private let scratch: UnsafeMutableRawPointer?
    private let maxChunksPerIO: Int

    /// Per slot: kernel operations still out, the first error among them, emulated delay.
    private struct TagState {
        var left: Int32 = 0; var error: Int32 = 0; var delayNs: UInt64 = 0; var length: UInt32 = 0
        /// Bytes the kernel must move for the I/O's data pieces, and bytes it reported.
        var expected: UInt64 = 0; var moved: UInt64 = 0
    }
    private let state: UnsafeMutablePointer<TagState>
    private struct Request { var tag: Int32; var direction: IODirection; var offset: UInt64; var length: UInt32; var buffer: UnsafeMutableRawPointer }
    /// I/Os waiting for a copy to land or for a commit, in arrival order.
    private var waiting: [Request] = []
    /// The other half of `waiting`'s double buffer (retries swap, never allocate).
    private var retrying: [Request] = []
    /// Logical chunks with a copy in flight, and the slot doing it.
    private var copying: [(chunk: UInt64, tag: Int32)] = []
    /// Completions to hand out without asking the kernel.
    private let ready: UnsafeMutablePointer<Completion>
    private var readyCount = 0
    private let innerOut: UnsafeMutablePointer<Completion>
    private let innerCapacity: Int
    /// Slots with kernel operations out, and whether operations wait to be submitted.
    private var inFlight = 0
    private var innerQueued = false
    /// Syncs asked for and not yet answered (one commit answers them all).
    private var syncsPending = 0
    private(set) var copies: UInt64 = 0
    private(set) var commits: UInt64 = 0
    /// Why the target refused a write (allocation failed), for the job's error message.
    private(set) var failure: String?
    /// A piece failed: what was mapped since the last commit may hold neither old nor new
    /// data, so it is abandoned and nothing is committed any more.
    private(set) var poisoned = false

    /// - sqesPerIO: most kernel operations one I/O can need (three per chunk it spans).
    init(inner: Inner, target: MappedTarget, depth: Int, sqesPerIO: Int) throws {
        self.inner = inner
        self.target = target
        self.depth = depth
        chunk = UInt64(target.chunkSize)
        if target.isReadOnly {
            maxChunksPerIO = 0
            scratch = nil
        } else {
            maxChunksPerIO = sqesPerIO / 3
            var p: UnsafeMutableRawPointer?
            guard posix_memalign(&p, 4096, Self.scratchBytes(depth: depth, sqesPerIO: sqesPerIO, chunkSize: target.chunkSize)) == 0, let p else {
                throw BlockLabError.runtime("cannot allocate copy-on-write staging for iodepth \(depth); lower iodepth")
            }
            scratch = p
        }
        state = .allocate(capacity: depth)
        state.initialize(repeating: TagState(), count: depth)
        // Every slot's completion plus the syncs answered with them (at most one per write).
        ready = .allocate(capacity: 2 * depth + 1)
        innerCapacity = depth * sqesPerIO * 2 + 8
        innerOut = .allocate(capacity: innerCapacity)
        waiting.reserveCapacity(depth)
        retrying.reserveCapacity(depth)
        copying.reserveCapacity(depth * max(1, maxChunksPerIO))
    }

    deinit {
        state.deallocate(); ready.deallocate(); innerOut.deallocate()
        free(scratch)
    }

    /// Copy-on-write staging: a chunk per piece of every slot's I/O.
    static func scratchBytes(depth: Int, sqesPerIO: Int, chunkSize: Int) -> Int {
        depth * (sqesPerIO / 3) * chunkSize
    }

    var enterCalls: UInt64 { inner.enterCalls }
    var submitOnly: (ios: UInt64, inline: UInt64) { inner.submitOnly }
    var features: [(String, JSONValue)] { inner.features }
    var ioPriority: UInt16 {
        get { inner.ioPriority }
        set { inner.ioPriority = newValue }
    }
    var failureDetail: String? { failure }

    func prepare(tag: Int32, direction: IODirection, offset: UInt64, length: UInt32, buffer: UnsafeMutableRawPointer) {
        let r = Request(tag: tag, direction: direction, offset: offset, length: length, buffer: buffer)
        if syncsPending > 0 || (!copying.isEmpty && touchesCopy(r)) {
            waiting.append(r)
        } else {
            issue(r)
        }
    }

    /// The loop never asks for copies itself: they are this backend's business.
    func prepareCopy(tag: Int32, from: UInt64, to: UInt64, length: UInt32, scratch: UnsafeMutableRawPointer) {
        inner.prepareCopy(tag: tag, from: from, to: to, length: length, scratch: scratch)
        innerQueued = true
    }

    func prepareSync(datasync: Bool) { syncsPending += 1 }

    private func touchesCopy(_ r: Request) -> Bool {
        let first = r.offset / chunk
        let last = (r.offset + UInt64(max(r.length, 1)) - 1) / chunk
        return copying.contains { $0.chunk >= first && $0.chunk <= last }
    }

    private func issue(_ r: Request) {
        let s = state + Int(r.tag)
        s.pointee = TagState(length: r.length)
        let length = Int(r.length)
        var done = 0
        var piece = 0
        while done < length {
            let offset = r.offset + UInt64(done)
            if r.direction == .read {
                let seg = target.mapRead(offset: offset, length: length - done)
                s.pointee.delayNs += seg.penaltyNs
                if seg.kind == .zero {
                    memset(r.buffer + done, 0, seg.length)
                } else {
                    inner.prepare(tag: r.tag, direction: .read, offset: seg.physicalOffset, length: UInt32(seg.length), buffer: r.buffer + done)
                    s.pointee.left += 1
                    s.pointee.expected += UInt64(seg.length)
                }
                done += seg.length
            } else {
                let seg: MappedSegment
                do {
                    seg = try target.mapWrite(offset: offset, length: length - done)
                } catch {
                    if failure == nil { failure = "\(target.label): \(error)" }
                    s.pointee.error = -EIO
                    poison()
                    break
                }
                if seg.copyLength > 0, let scratch {
                    let stage = scratch + (Int(r.tag) * maxChunksPerIO + piece) * Int(chunk)
                    inner.prepareCopy(tag: r.tag, from: seg.copyFrom, to: seg.copyTo, length: UInt32(seg.copyLength), scratch: stage)
                    s.pointee.left += 2
                    s.pointee.expected += 2 * UInt64(seg.copyLength)
                    copies += 1
                    copying.append((offset / chunk, r.tag))
                }
                s.pointee.delayNs += seg.penaltyNs
                inner.prepare(tag: r.tag, direction: .write, offset: seg.physicalOffset, length: UInt32(seg.length), buffer: r.buffer + done)
                s.pointee.left += 1
                s.pointee.expected += UInt64(seg.length)
                done += seg.length
            }
            piece += 1
        }
        if s.pointee.left == 0 {
            finish(r.tag)
        } else {
            inFlight += 1
            innerQueued = true
        }
    }

    /// Every piece of `tag`'s I/O is done: one completion for the loop.
    private func finish(_ tag: Int32) {
        let s = state[Int(tag)]
        ready[readyCount] = Completion(tag: tag, result: s.error < 0 ? s.error : Int32(bitPattern: s.length), delayNs: s.delayNs)
        readyCount += 1
    }

    /// Issues the waiting I/Os that may go now, in order.
    private func retryWaiting() {
        guard !waiting.isEmpty else { return }
        swap(&waiting, &retrying)
        for r in retrying {
            if syncsPending > 0 || (!copying.isEmpty && touchesCopy(r)) { waiting.append(r) } else { issue(r) }
        }
        retrying.removeAll(keepingCapacity: true)
    }

    private func poison() {
        guard !poisoned else { return }
        poisoned = true
        target.abandonPending()
    }

    /// Commits once nothing is in flight (data before mappings), then lets the waiting go.
    /// After a failure nothing is committed: the syncs fail.
    private func commitIfDrained() {
        guard syncsPending > 0, inFlight == 0 else { return }
        var result: Int32 = -EIO
        if !poisoned {
            commits += 1
            do {
                try target.commit()
                result = 0
            } catch {
                if failure == nil { failure = "\(target.label): commit: \(error)" }
                poison()
            }
        }
        for _ in 0..<syncsPending {
            ready[readyCount] = Completion(tag: syncTag, result: result)
            readyCount += 1
        }
        syncsPending = 0
        retryWaiting()
    }

    func submitAndReap(submit: Bool, minComplete: Int, deadline: UInt64, now: UInt64,
                       out: UnsafeMutablePointer<Completion>, max: Int) throws -> Int {
        commitIfDrained()
        if innerQueued || inFlight > 0 {
            // The loop counts its own I/Os; one of ours completing may need several kernel
            // completions, so wait for one and let the loop come back.
            let wait = readyCount == 0 && minComplete > 0 && inFlight > 0 ? 1 : 0
            let n = try inner.submitAndReap(submit: innerQueued || submit, minComplete: wait, deadline: deadline, now: now,
                                            out: innerOut, max: innerCapacity)
            innerQueued = false
            var landed = false
            for i in 0..<n {
                let c = innerOut[i]
                let s = state + Int(c.tag)
                s.pointee.left -= 1
                if c.result < 0 && s.pointee.error == 0 { s.pointee.error = c.result }
                if c.result < 0 { poison() } else { s.pointee.moved += UInt64(c.result) }
                guard s.pointee.left == 0 else { continue }
                inFlight -= 1
                if s.pointee.error == 0 && s.pointee.moved < s.pointee.expected {
                    // A short piece: the I/O did not move all its bytes.
                    s.pointee.error = -EIO
                    if failure == nil { failure = "\(target.label): short transfer (\(s.pointee.moved) of \(s.pointee.expected) bytes)" }
                    poison()
                }
                if copying.contains(where: { $0.tag == c.tag }) {
                    copying.removeAll { $0.tag == c.tag }
                    landed = true
                }
                finish(c.tag)
            }
            if landed { retryWaiting() }
            commitIfDrained()
        }
        let n = Swift.min(readyCount, max)
        for i in 0..<n { out[i] = ready[i] }
        if n < readyCount {
            for i in n..<readyCount { ready[i - n] = ready[i] }
        }
        readyCount -= n
        return n
    }
}

/// What a mapped backend did, for the result (read through the loop's backend).
protocol MappedFigures {
    var copies: UInt64 { get }
    var commits: UInt64 { get }
    /// Something failed: the target's uncommitted mappings were abandoned.
    var poisoned: Bool { get }
}
