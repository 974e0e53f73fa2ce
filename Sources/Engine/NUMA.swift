import BlockLabCore
import Foundation
import JobSpec

/// fio's `numa_cpu_nodes` and `numa_mem_policy` against this machine's NUMA nodes (sysfs):
/// a node the machine lacks is an error (fio fails such a job too); the CPU nodes become
/// the job's CPU set. On a machine with one node all memory is that node's, so a memory
/// policy naming it changes nothing; with several nodes BlockLab does not bind memory and
/// says so rather than run unbound.
enum NUMA {
    static let root = "/sys/devices/system/node"

    /// The online nodes (`/sys/devices/system/node/online`, e.g. `0` or `0-3`); [0] when
    /// the kernel has no NUMA support (one node).
    static func onlineNodes() -> [Int] {
        guard let text = try? String(contentsOfFile: root + "/online", encoding: .utf8) else { return [0] }
        return parseList(text) ?? [0]
    }

    static func cpus(ofNode n: Int) -> [Int]? {
        guard let text = try? String(contentsOfFile: "\(root)/node\(n)/cpulist", encoding: .utf8) else { return nil }
        return parseList(text)
    }

    /// `0-3,8` -> [0, 1, 2, 3, 8].
    static func parseList(_ text: String) -> [Int]? {
        var out: [Int] = []
        for part in text.trimmingWhitespace().split(separator: ",") {
            let ends = part.split(separator: "-").map { Int($0) }
            guard (1...2).contains(ends.count), let lo = ends.first!, let hi = ends.last!, lo <= hi, hi - lo < 65536 else { return nil }
            out += Array(lo...hi)
        }
        return out
    }

    static func apply(_ spec: inout JobSpec, allowed: [Int]) throws {
        guard spec.numaCPUNodes != nil || spec.numaMemNodes != nil else { return }
        let nodes = onlineNodes()
        let at = "\(spec.origin): job '\(spec.name)'"
        func check(_ list: [Int], _ option: String) throws {
            let missing = list.filter { !nodes.contains($0) }
            guard missing.isEmpty else {
                throw BlockLabError.usage("\(at): \(option): NUMA node \(missing.map(String.init).joined(separator: ",")) does not exist "
                    + "(this machine has node\(nodes.count > 1 ? "s" : "") \(nodes.map(String.init).joined(separator: ","))); fio fails such a job too")
            }
        }
        if let mem = spec.numaMemNodes {
            try check(mem, "numa_mem_policy")
            if nodes.count > 1 {
                throw BlockLabError.usage("\(at): numa_mem_policy: binding memory to NUMA nodes is not supported (this machine has \(nodes.count) nodes)")
            }
        }
        if let cpuNodes = spec.numaCPUNodes {
            try check(cpuNodes, "numa_cpu_nodes")
            let cpus = Set(cpuNodes.compactMap(cpus(ofNode:)).flatMap { $0 }).intersection(allowed).sorted()
            guard !cpus.isEmpty else {
                throw BlockLabError.usage("\(at): numa_cpu_nodes: none of node \(cpuNodes.map(String.init).joined(separator: ","))'s CPUs may be used by this process")
            }
            // One node holding every CPU this process may use: nothing to restrict.
            if spec.cpusAllowed == nil && cpus != allowed.sorted() { spec.cpusAllowed = cpus }
        }
    }
}
