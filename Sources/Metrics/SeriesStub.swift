// Placeholder until the metrics branch lands (it defines SeriesLine).
public enum SeriesLine {
    public static func json(interval: IntervalFigures, job: String, extra: [(String, Double)]) -> String { "{}" }
}
