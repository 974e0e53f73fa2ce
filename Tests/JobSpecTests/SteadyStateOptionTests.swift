import BlockLabCore
import Testing
@testable import JobSpec

/// fio's steadystate and latency_target options as fio 3.33 reads them.
@Suite struct SteadyStateOptionTests {
    @Test func steadystateAndItsAliases() throws {
        let j = try parse("[j]\nfilename=/tmp/x\nss=iops:10%\nss_dur=30s\nss_ramp=10s\n")[0]
        #expect(j.steadyState.metric == .iops && !j.steadyState.slope && j.steadyState.percent && j.steadyState.limit == 10)
        #expect(j.steadyState.durationSeconds == 30 && j.steadyState.rampNs == 10 * NS.perSecond && j.steadyState.enabled)
        let b = try parse("[j]\nfilename=/tmp/x\nsteadystate=bw_slope:2m\nsteadystate_duration=2m\n")[0]
        // An absolute bandwidth limit is bytes/s; a bare duration is seconds, m minutes.
        #expect(b.steadyState.metric == .bw && b.steadyState.slope && !b.steadyState.percent && b.steadyState.limit == 2 * 1_048_576)
        #expect(b.steadyState.durationSeconds == 120)
        let i = try parse("[j]\nfilename=/tmp/x\nss=iops_slope:0.5\nss_dur=5\n")[0]
        #expect(i.steadyState.limit == 0.5 && !i.steadyState.percent && i.steadyState.durationSeconds == 5)
        // fio's default criterion (iops_slope:0.01%) applies when only the duration is given,
        // and a duration under a second (fio keeps whole seconds) leaves detection off.
        let d = try parse("[j]\nfilename=/tmp/x\nss_dur=3\n")[0]
        #expect(d.steadyState.criterionName == "iops_slope" && d.steadyState.limit == 0.01 && d.steadyState.percent)
        #expect(!(try parse("[j]\nfilename=/tmp/x\nss=iops:5%\nss_dur=500ms\n")[0]).steadyState.enabled)
    }

    @Test func badSteadystateValuesAreUsageErrors() {
        #expect(usageMessage { try parse("[j]\nfilename=/tmp/x\nss=iops\n") }?.contains("threshold must be specified") == true)
        #expect(usageMessage { try parse("[j]\nfilename=/tmp/x\nss=lat:5%\n") }?.contains("expected iops, iops_slope, bw or bw_slope") == true)
        #expect(usageMessage { try parse("[j]\nfilename=/tmp/x\nss=iops:x%\n") }?.contains("could not parse the steadystate threshold") == true)
        #expect(usageMessage { try parse("[j]\nfilename=/tmp/x\nss=iops:-1\n") }?.contains("t.fio:3") == true)
        #expect(usageMessage { try parse("[j]\nfilename=/tmp/x\nss_dur=30d\n") }?.contains("at most") == true)
        // fio 3.33 has no steadystate_check_interval (fio 3.35 added it).
        #expect(usageMessage { try parse("[j]\nfilename=/tmp/x\nsteadystate_check_interval=1s\n") }?.contains("unknown option") == true)
    }

    @Test func latencyTargetOptions() throws {
        let j = try parse("[j]\nfilename=/tmp/x\nlatency_target=500000\nlatency_window=5000000\nlatency_percentile=99.9\n")[0]
        // Bare numbers are microseconds (fio's time options without a unit).
        #expect(j.latencyTarget.targetNs == 500 * NS.perMillisecond && j.latencyTarget.windowNs == 5 * NS.perSecond)
        #expect(j.latencyTarget.percentile == 99.9 && !j.latencyTarget.keepAdjusting && j.latencyTarget.enabled)
        let r = try parse("[j]\nfilename=/tmp/x\nlatency_target=2ms\nlatency_run\n")[0]
        #expect(r.latencyTarget.targetNs == 2 * NS.perMillisecond && r.latencyTarget.percentile == 100 && r.latencyTarget.keepAdjusting)
        #expect(!(try parse("[j]\nfilename=/tmp/x\n")[0]).latencyTarget.enabled)
        #expect(usageMessage { try parse("[j]\nfilename=/tmp/x\nlatency_percentile=101\n") }?.contains("percentile from 0 to 100") == true)
        #expect(usageMessage { try parse("[j]\nfilename=/tmp/x\nlatency_target=-5\n") }?.contains("negative") == true)
    }
}
