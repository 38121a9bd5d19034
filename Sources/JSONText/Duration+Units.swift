/// The one place a `Duration` becomes a number, for log fields, metrics, wire fields and benchmarks.
extension Duration {
    /// Whole milliseconds (truncated toward zero).
    public var inMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }

    /// Whole nanoseconds (truncated toward zero).
    public var inNanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }

    /// Seconds with their fraction.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
