import Throttle

/// An instance's EBS limits, shared by every volume attached to it (pass the same object
/// to each volume's shaper): a peak limiter at the maximum IOPS and bandwidth, and for
/// burstable instances a credit bucket (both dimensions) sized 30 min × (max − baseline).
public final class InstanceLimits: @unchecked Sendable {
    public let profile: InstanceProfile
    public let peak: DualTokenBucket
    public let credits: CreditTracker?

    /// - sharing: `.exclusive` when one job thread in all uses this instance (see `Sharing`).
    public init(profile p: InstanceProfile, epoch: UInt64, sharing: Sharing = .shared) {
        profile = p
        peak = DualTokenBucket(ops: GCRA(rate: p.maxIOPS, burst: max(1, p.maxIOPS / 100)),
                               bytes: GCRA(rate: p.maxBytesPerSec, burst: max(Units1MiB, p.maxBytesPerSec / 100)),
                               initialOps: 1, initialBytes: Units1MiB, epoch: epoch, sharing: sharing) // see VolumeShaper
        if let cap = p.creditCapacity {
            credits = CreditTracker(CreditBucket(
                name: "instance", opCredits: cap.ops > 0 ? (p.baselineIOPS, cap.ops, cap.ops) : nil,
                byteCredits: cap.bytes > 0 ? (p.baselineBytesPerSec, cap.bytes, cap.bytes) : nil, epoch: epoch, sharing: sharing))
        } else {
            credits = nil
        }
    }
}

let Units1MiB: UInt64 = 1 << 20
