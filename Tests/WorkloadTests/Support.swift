import BlockLabCore
import JobSpec
@testable import Workload

/// A job from fio-style arguments, e.g. `job("--rw=randread --bs=4k --size=1m")`.
func job(_ args: String) throws -> JobSpec {
    try JobParser.parse(arguments: ["--name=t"] + args.split(separator: " ").map(String.init), environment: [:])[0]
}

func planner(_ args: String, region: Range<UInt64>? = nil, timeBased: Bool = false, salt: UInt64 = 0) throws -> IOPlanner {
    let spec = try job(args)
    let r = region ?? (spec.offset..<(spec.offset + spec.size!))
    return try IOPlanner(spec: spec, region: r, timeBased: timeBased, seedSalt: salt)
}

/// Everything a bounded planner produces.
func drain(_ p: inout IOPlanner, limit: Int = 10_000_000) -> [PlannedIO] {
    var out: [PlannedIO] = []
    while let io = p.next() {
        out.append(io)
        if out.count >= limit { break }
    }
    return out
}

func take(_ p: inout IOPlanner, _ n: Int) -> [PlannedIO] {
    var out: [PlannedIO] = []
    out.reserveCapacity(n)
    for _ in 0..<n {
        guard let io = p.next() else { break }
        out.append(io)
    }
    return out
}

func totalBytes(_ ios: [PlannedIO]) -> UInt64 { ios.reduce(0) { $0 + UInt64($1.length) } }
