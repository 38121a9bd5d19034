import Foundation

/// Date and form encodings shared by the identity and Graph routes.
enum WireFormat {
    /// `2024-05-01T10:00:00Z` (Graph's DateTimeOffset on the wire).
    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// `2024-05-01T10:00:00.0000000` in a given zone (Graph's dateTimeTimeZone.dateTime).
    static func local(_ date: Date, zone: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.'0000000'"
        return f.string(from: date)
    }

    /// `2024-05-01 10:00:00Z` (the identity platform's error timestamp).
    static func aadTimestamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        return f.string(from: date)
    }

    /// Parses ISO 8601 with or without zone/fraction; a zone-less value is read in `zone`.
    static func parseDate(_ text: String, zone: TimeZone = TimeZone(identifier: "UTC")!) -> Date? {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.count == 10 { t += "T00:00:00" }
        if let dot = t.firstIndex(of: "."), !t[dot...].contains("+"), !t[dot...].contains("-") {
            let hasZ = t.hasSuffix("Z")
            t = String(t[..<dot]) + (hasZ ? "Z" : "")
        } else if let dot = t.firstIndex(of: ".") {
            if let sign = t[dot...].firstIndex(where: { $0 == "+" || $0 == "-" }) {
                t = String(t[..<dot]) + String(t[sign...])
            }
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: t) { return d }
        let g = DateFormatter()
        g.locale = Locale(identifier: "en_US_POSIX")
        g.timeZone = zone
        g.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return g.date(from: t)
    }

    /// Decodes `application/x-www-form-urlencoded` text (later duplicates win).
    static func form(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard let rawKey = parts.first else { continue }
            let key = decodeComponent(rawKey)
            out[key] = parts.count > 1 ? decodeComponent(parts[1]) : ""
        }
        return out
    }

    static func decodeComponent(_ s: String) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s
    }

    static func encodeComponent(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func encodeForm(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encodeComponent($0.0))=\(encodeComponent($0.1))" }.joined(separator: "&")
    }

    /// Minimal HTML escaping for generated pages.
    static func html(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
