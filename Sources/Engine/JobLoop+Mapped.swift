import BlockLabCore
import Glibc

extension JobLoop {
    /// Issues an I/O on a mapped target: one kernel operation per chunk it touches; reads
    /// of never-written chunks are zero-filled without I/O; a write to a chunk shared with
    /// a snapshot first copies the old chunk with a linked read and write (io_uring runs
    /// the chain in order without a round trip to us).
    func issueMapped(_ slot: Int32, _ mapped: MappedTarget) {
        let p = slots + Int(slot)
        if copyingCount > 0 && touchesCopy(p.pointee.offset, Int(p.pointee.length), chunk: mapped.chunkSize) {
            blocked[blockedCount] = slot
            blockedCount += 1
            return
        }
        p.pointee.segsLeft = 0
        p.pointee.segError = 0
        p.pointee.penaltyNs = 0
        let buf = arena.buffer(Int(slot))
        let length = Int(p.pointee.length)
        var done = 0
        var piece = 0
        while done < length {
            let offset = p.pointee.offset + UInt64(done)
            if p.pointee.direction == .read {
                let seg = mapped.mapRead(offset: offset, length: length - done)
                p.pointee.penaltyNs += seg.penaltyNs
                if seg.kind == .zero {
                    memset(buf + done, 0, seg.length)
                } else {
                    backend.prepare(tag: slot, direction: .read, offset: seg.physicalOffset, length: UInt32(seg.length), buffer: buf + done)
                    p.pointee.segsLeft += 1
                }
                done += seg.length
            } else {
                let seg: MappedSegment
                do {
                    seg = try mapped.mapWrite(offset: offset, length: length - done)
                } catch {
                    failMapped("\(mapped.label): \(error)")
                    break
                }
                if seg.copyLength > 0, let scratch {
                    let stage = scratch + (Int(slot) * maxChunksPerIO + piece) * mapped.chunkSize
                    backend.prepareCopy(tag: slot, from: seg.copyFrom, to: seg.copyTo, length: UInt32(seg.copyLength), scratch: stage)
                    p.pointee.segsLeft += 2
                    copies += 1
                    copying[copyingCount] = (offset / UInt64(mapped.chunkSize), slot)
                    copyingCount += 1
                }
                p.pointee.penaltyNs += seg.penaltyNs
                backend.prepare(tag: slot, direction: .write, offset: seg.physicalOffset, length: UInt32(seg.length), buffer: buf + done)
                p.pointee.segsLeft += 1
                done += seg.length
            }
            piece += 1
        }
        recordIssued(slot, kernelOps: Int(p.pointee.segsLeft))
    }

    private func touchesCopy(_ offset: UInt64, _ length: Int, chunk: Int) -> Bool {
        let first = offset / UInt64(chunk)
        let last = (offset + UInt64(max(length, 1)) - 1) / UInt64(chunk)
        for i in 0..<copyingCount where copying[i].chunk >= first && copying[i].chunk <= last { return true }
        return false
    }

    /// `slot`'s I/O (and so its copies) completed: release its chunks and retry the I/Os
    /// that were waiting for them, in order.
    func copyLanded(_ slot: Int32) {
        var i = 0
        while i < copyingCount {
            if copying[i].slot == slot {
                copyingCount -= 1
                copying[i] = copying[copyingCount]
            } else {
                i += 1
            }
        }
        guard blockedCount > 0, let mapped else { return }
        let waiting = blockedCount
        blockedCount = 0
        for j in 0..<waiting { issueMapped(blocked[j], mapped) }
    }

    func commitMapped() throws {
        commitPending = false
        let t = clock.now()
        try mapped?.commit()
        recorder?.recordSync(latNs: clock.now() - t)
        commits += 1
    }
}
