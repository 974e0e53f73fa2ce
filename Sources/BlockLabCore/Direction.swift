/// The direction of one I/O. Raw values index per-direction arrays (fio's DDIR order).
public enum IODirection: Int, CaseIterable, Sendable, Codable {
    case read = 0
    case write = 1
    case trim = 2

    public var name: String {
        switch self {
        case .read: return "read"
        case .write: return "write"
        case .trim: return "trim"
        }
    }
}
