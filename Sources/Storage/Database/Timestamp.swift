import Foundation

/// Times are stored as whole seconds since 1970 (UTC) in `BIGINT` columns, the same on both backends.
public enum Timestamp {
    public static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    public static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
}
