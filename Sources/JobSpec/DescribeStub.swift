// Placeholder until the jobspec branch lands (it defines describe()).
extension JobSpec {
    public func describe() -> String { "[\(name)]" }
}
