import Foundation
import Testing
import Yams

/// The fleet recipes under deploy/ stay valid: the Kubernetes Job is an Indexed Job running
/// `blocklab lab` once per node, writing per-host results to shared storage.
@Suite struct DeployTests {
    static let root = LabEndToEndTests.root

    @Test func kubernetesIndexedJobRunsTheLabOncePerNode() throws {
        let text = try String(contentsOfFile: Self.root + "/deploy/k8s/lab-indexed-job.yaml", encoding: .utf8)
        let doc = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(doc["kind"] as? String == "Job")
        let spec = try #require(doc["spec"] as? [String: Any])
        #expect(spec["completionMode"] as? String == "Indexed")
        #expect(spec["completions"] as? Int == spec["parallelism"] as? Int)
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        // Never two pods on one node: a required anti-affinity on the host name, matching the
        // pods' own label.
        let anti = try #require(((pod["affinity"] as? [String: Any])?["podAntiAffinity"] as? [String: Any])?["requiredDuringSchedulingIgnoredDuringExecution"] as? [[String: Any]])
        let term = try #require(anti.first)
        #expect(term["topologyKey"] as? String == "kubernetes.io/hostname")
        let podLabels = ((spec["template"] as? [String: Any])?["metadata"] as? [String: Any])?["labels"] as? [String: String]
        let selector = (term["labelSelector"] as? [String: Any])?["matchLabels"] as? [String: String]
        #expect(selector != nil && selector == podLabels)
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let args = (container["args"] as? [String] ?? []).joined(separator: " ")
        #expect(args.contains("blocklab lab") && args.contains("--results-dir /shared/results/$NODE_NAME"))
        let mounts = (container["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["mountPath"] as? String }
        #expect(Set(mounts) == ["/scratch", "/shared"])
    }

    @Test func slurmArrayScriptIsValidShellAndRunsTheLab() throws {
        let path = Self.root + "/deploy/slurm/lab-array.sh"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("blocklab lab --quick") && text.contains("#SBATCH --exclusive"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-n", path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }
}
