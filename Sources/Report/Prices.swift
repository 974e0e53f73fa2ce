/// What the report needs of a price table: a volume's monthly cost by its EBS type, size and
/// what is provisioned. The table itself (its file, its checks, its maths) is VolumeModel's
/// `PriceTable`; the caller passes its `monthlyCost` here, so the report and `recommend`
/// price a volume the same way.
public struct Pricing: Sendable {
    public var region: String
    /// Where the figures come from, and when, as the table says.
    public var source: String
    /// type, size in GiB, provisioned IOPS, provisioned MiB/s -> USD a month (nil: not priced).
    public var monthlyCost: @Sendable (_ type: String, _ sizeGiB: Double, _ iops: Double?, _ mibps: Double?) -> Double?

    public init(region: String, source: String,
                monthlyCost: @escaping @Sendable (_ type: String, _ sizeGiB: Double, _ iops: Double?, _ mibps: Double?) -> Double?) {
        self.region = region
        self.source = source
        self.monthlyCost = monthlyCost
    }
}
