import BlockLabCore
import JobSpec

/// What a job thread does with an engine's backend once the engine has built it. The
/// engines sit in a table, so this is reached through protocols; the consumer names the
/// concrete backend types (see `Runner`'s `Drive`) so the job loop is specialised for each
/// (no dynamic dispatch per I/O).
protocol BackendConsumer {
    associatedtype Output
    func run<B: IOBackend>(_ backend: B) throws -> Output
}

/// One engine's driver, fio's ops table for it: its traits (JobSpec's catalog), a check
/// that it can run here at all, and how it builds its backend for a job clone.
protocol EngineDriver {
    static var traits: EngineTraits { get }
    /// Throws a usage error, before any file is laid out, when the engine cannot run here.
    static func probe() throws
    /// Throws a usage error when a clone's queue is more than this engine can hold.
    static func checkDepth(_ plan: ClonePlan) throws
    static func run<C: BackendConsumer>(_ plan: ClonePlan, fd: Int32, arena: BufferArena, _ consumer: C) throws -> C.Output
}

/// The engine table. Adding an engine: its traits in JobSpec's `EngineCatalog`, a file with
/// its backend and driver here, and a line below.
enum Engines {
    static let drivers: [EngineDriver.Type] = [UringDriver.self, PsyncDriver.self]

    static func driver(for traits: EngineTraits) throws -> EngineDriver.Type {
        guard let d = drivers.first(where: { $0.traits.name == traits.name }) else {
            throw BlockLabError.usage("ioengine \(traits.name) has no driver in this build")
        }
        return d
    }
}
