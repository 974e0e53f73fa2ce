#if canImport(Glibc)
import Glibc
#endif

/// glibc's major()/minor() (function-like macros Swift cannot import).
public func deviceMajorMinor(_ rdev: dev_t) -> (major: UInt32, minor: UInt32) {
    let major = (UInt32(truncatingIfNeeded: rdev >> 8) & 0xfff) | UInt32(truncatingIfNeeded: (rdev >> 32) & ~0xfff)
    let minor = UInt32(truncatingIfNeeded: rdev & 0xff) | UInt32(truncatingIfNeeded: (rdev >> 12) & ~0xff)
    return (major, minor)
}
