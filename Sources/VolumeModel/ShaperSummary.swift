import BlockLabCore
import Throttle

extension VolumeShaper {
    /// `blocklab.volume` in results: the model, its limits, throttled time, raw vs EBS-counted
    /// I/O, and for each credit bucket when it ran empty and when it was full again.
    public func summary(now: UInt64) -> JSONValue {
        _ = sample(now: now) // closes refilled credit episodes
        let v = volume
        func opt(_ x: UInt64?) -> JSONValue { x.map { .uint($0) } ?? .null }
        var model: [(String, JSONValue)] = [
            ("type", .string(v.name)), ("rules", .string(v.profile.rules.rawValue)), ("source", .string(v.profile.source)),
            ("size_gib", .uint(v.sizeGiB)), ("ebs_op_size", .uint(v.profile.opSize)),
            ("baseline_iops", opt(v.baselineIOPS)), ("peak_iops", opt(v.peakIOPS)),
            ("baseline_bytes_per_sec", opt(v.baselineBytesPerSec)), ("peak_bytes_per_sec", opt(v.peakBytesPerSec)),
            ("latency_us", .object([
                ("floor", .double(v.profile.latency.floorUs)), ("median", .double(v.profile.latency.medianUs)),
                ("p99", .double(v.profile.latency.p99Us)), ("documented", .string(v.profile.latency.documented)),
                ("note", .string(v.profile.latency.note)),
            ])),
        ]
        for (k, text) in v.profile.notes.sorted(by: { $0.key < $1.key }) { model.append((k, .string(text))) }
        if let l = v.local {
            // Instance store on a known instance: its disks' envelope, never its EBS limits.
            model.append(("local_envelope", .object([("instance", .string(l.instance)), ("read_iops_4k", .uint(l.readIOPS)),
                                                     ("write_iops_4k", .uint(l.writeIOPS))])))
        }
        var out: [(String, JSONValue)] = [("model", .object(model))]
        if let i = instance?.profile {
            out.append(("instance", .object([
                ("type", .string(i.name)), ("source", .string(i.source)),
                ("baseline_iops", .uint(i.baselineIOPS)), ("max_iops", .uint(i.maxIOPS)),
                ("baseline_bytes_per_sec", .uint(i.baselineBytesPerSec)), ("max_bytes_per_sec", .uint(i.maxBytesPerSec)),
                ("burst_minutes_per_24h", .uint(i.burstMinutes)),
                // Limits this run's volumes can never reach, so not booked per I/O.
                ("never_binding", .array(instance!.unbooked.map { .string($0) })),
            ])))
        }
        let t = accounting.totals
        out.append(("throttled_ns", .uint(throttledNs)))
        out.append(("raw_ios", .uint(t.rawIOs)))
        out.append(("raw_bytes", .uint(t.rawBytes)))
        out.append(("ebs_ops", .uint(t.ebsOps)))
        out.append(("ebs_charged_bytes", .uint(t.chargedBytes)))
        var buckets: [JSONValue] = []
        for (name, tracker) in [("volume", credits), ("instance", instance?.credits)] {
            guard let tracker else { continue }
            buckets.append(Self.creditJSON(name: name, tracker: tracker, now: now, epoch: epoch))
        }
        out.append(("credit_buckets", .array(buckets)))
        return .object(out)
    }

    static func creditJSON(name: String, tracker: CreditTracker, now: UInt64, epoch: UInt64) -> JSONValue {
        let cap: [(String, JSONValue)] = tracker.limits.map { l in
            (l.bytes ? "bytes" : "ops", .object([("rate", .uint(l.rate)), ("capacity", .uint(l.capacity))]))
        }
        let episodes: [JSONValue] = tracker.history().map { e in
            .object([("empty_ns", .uint(e.empty - epoch)), ("full_again_ns", e.full.map { .uint($0 - epoch) } ?? .null)])
        }
        return .object([
            ("name", .string(name)), ("limits", .object(cap)),
            ("burst_balance_start_pct", .double(tracker.startPercent)),
            ("burst_balance_pct", .double(tracker.burstBalancePercent(now: now))),
            ("episodes", .array(episodes)),
        ])
    }
}
