#if canImport(Glibc)
import Glibc
#endif
import BlockLabCore

extension Pool {
    /// Writes a volume's or snapshot's content in order to an open stream (a pipe, a
    /// terminal, /dev/null): the whole image, zeros included, since a stream has no holes.
    /// Returns the bytes written.
    @discardableResult
    public func exportImage(_ name: String, toStream fd: Int32, label: String) throws -> UInt64 {
        let io = try open(name)
        var buf = [UInt8](repeating: 0, count: chunkSize)
        var off: UInt64 = 0
        while off < io.sizeBytes {
            let n = Int(min(UInt64(chunkSize), io.sizeBytes - off))
            try buf.withUnsafeMutableBytes { try io.read(offset: off, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n])) }
            let e = buf.withUnsafeBytes { Syscall.writeAll(fd, $0.baseAddress!, count: n) }
            if e != 0 { throw SystemError("write", errno: e, path: label) }
            off += UInt64(n)
        }
        if !readOnly { try commit() } // hydration the reads caused
        return off
    }
}
