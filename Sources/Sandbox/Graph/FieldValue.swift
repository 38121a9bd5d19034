import Foundation

/// A property value as `$filter`, `$orderby` and `$search` see it.
enum FieldValue: Sendable {
    case string(String)
    case bool(Bool)
    case number(Double)
    case date(Date)
    case list([FieldValue])
    case record([String: FieldValue])
    case null

    /// Orders two values of the same kind (strings case-insensitively); nil when not comparable.
    func compare(_ other: FieldValue) -> ComparisonResult? {
        switch (self, other) {
        case (.string(let a), .string(let b)): return a.lowercased().compare(b.lowercased())
        case (.bool(let a), .bool(let b)): return a == b ? .orderedSame : (!a ? .orderedAscending : .orderedDescending)
        case (.number(let a), .number(let b)):
            return a == b ? .orderedSame : (a < b ? .orderedAscending : .orderedDescending)
        case (.date(let a), .date(let b)):
            return a == b ? .orderedSame : (a < b ? .orderedAscending : .orderedDescending)
        case (.date, .string(let s)):
            guard let d = WireFormat.parseDate(s) else { return nil }
            return compare(.date(d))
        case (.null, .null): return .orderedSame
        default: return nil
        }
    }

    /// Looks up `a/b/c` in nested records.
    func path(_ parts: ArraySlice<String>) -> FieldValue? {
        guard let first = parts.first else { return self }
        guard case .record(let r) = self else { return nil }
        let key = r.keys.first { $0.lowercased() == first.lowercased() }
        return key.flatMap { r[$0] }?.path(parts.dropFirst())
    }
}
