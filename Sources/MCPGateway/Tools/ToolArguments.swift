import Foundation

/// A tool's arguments after every check of its ``ToolParameter`` list: unknown names, types, lengths, enums,
/// ranges and formats (ids, addresses, dates with explicit offsets). Accessors return typed values.
struct ToolArguments: Sendable {
    private let values: JSONObject

    init(_ raw: JSONObject?, parameters: [ToolParameter]) throws(ToolError) {
        let raw = raw ?? [:]
        let byName = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
        // The unknown name is not repeated: the client knows what it sent, and it could be anything (a token).
        if raw.keys.contains(where: { byName[$0] == nil }) {
            let known = parameters.map(\.name).joined(separator: ", ")
            throw .invalidArgument(
                name: "arguments", expected: "only these argument names: \(known.isEmpty ? "none" : known)")
        }
        var values: JSONObject = [:]
        for parameter in parameters {
            guard let value = raw[parameter.name], value != .null else {
                if parameter.required { throw .invalidArgument(name: parameter.name, expected: "a value (required)") }
                continue
            }
            values[parameter.name] = try Self.check(value, parameter)
        }
        self.values = values
    }

    static func check(_ value: Value, _ p: ToolParameter) throws(ToolError) -> Value {
        switch p.kind {
        case .string(let maxLength, let format, let choices):
            guard case .string(let s) = value else { throw .invalidArgument(name: p.name, expected: "a string") }
            if let choices {
                guard choices.contains(s) else {
                    throw .invalidArgument(name: p.name, expected: "one of \(choices.joined(separator: ", "))")
                }
                return value
            }
            guard s.count <= maxLength else {
                throw .invalidArgument(name: p.name, expected: "at most \(maxLength) characters")
            }
            try checkFormat(s, format, name: p.name)
            return value
        case .integer(let min, let max):
            let n: Int
            switch value {
            case .int(let i): n = i
            case .double(let d) where d.rounded() == d && abs(d) < 1e9: n = Int(d)
            default: throw .invalidArgument(name: p.name, expected: "a whole number from \(min) to \(max)")
            }
            guard (min...max).contains(n) else {
                throw .invalidArgument(name: p.name, expected: "a whole number from \(min) to \(max)")
            }
            return .int(n)
        case .boolean:
            guard case .bool = value else { throw .invalidArgument(name: p.name, expected: "true or false") }
            return value
        case .stringList(let maxItems, let maxLength, let format):
            guard case .array(let items) = value else {
                throw .invalidArgument(name: p.name, expected: "an array of strings")
            }
            guard items.count <= maxItems else {
                throw .invalidArgument(name: p.name, expected: "at most \(maxItems) items")
            }
            for item in items {
                guard case .string(let s) = item else {
                    throw .invalidArgument(name: p.name, expected: "an array of strings")
                }
                guard s.count <= maxLength else {
                    throw .invalidArgument(name: p.name, expected: "items of at most \(maxLength) characters")
                }
                try checkFormat(s, format, name: p.name)
            }
            return value
        }
    }

    static func checkFormat(_ s: String, _ format: ToolParameter.Format, name: String) throws(ToolError) {
        switch format {
        case .text:
            guard !s.unicodeScalars.contains(where: { $0.value == 0 }) else {
                throw .invalidArgument(name: name, expected: "text without NUL characters")
            }
        case .line:
            guard !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\t" }),
                !s.unicodeScalars.contains(where: { $0 == "\u{2028}" || $0 == "\u{2029}" })
            else {
                throw .invalidArgument(name: name, expected: "one line of text (no line breaks or control characters)")
            }
        case .itemId:
            guard isItemId(s) else {
                throw .invalidArgument(
                    name: name, expected: "an id as returned by a list or get tool (letters, digits, - _ = +)")
            }
        case .email:
            guard isEmail(s) else {
                throw .invalidArgument(name: name, expected: "an email address like name@example.com")
            }
        case .dateTime:
            guard parseDateTime(s) != nil else {
                throw .invalidArgument(
                    name: name,
                    expected: "an ISO 8601 date-time with a time zone offset, like 2025-03-14T09:30:00+01:00 or …Z")
            }
        case .folder:
            guard isItemId(s) || s.range(of: #"^[A-Za-z]{2,40}$"#, options: .regularExpression) != nil else {
                throw .invalidArgument(
                    name: name, expected: "a well-known folder name (inbox, archive, …) or a folder id")
            }
        case .timeZone:
            guard s.range(of: #"^[A-Za-z][A-Za-z0-9 ._+/()-]{0,63}$"#, options: .regularExpression) != nil else {
                throw .invalidArgument(
                    name: name, expected: "a time zone name like Europe/Berlin or Pacific Standard Time")
            }
        }
    }

    static func isItemId(_ s: String) -> Bool {
        s.count >= 8 && s.count <= 512 && s.range(of: #"^[A-Za-z0-9=_+-]+$"#, options: .regularExpression) != nil
    }

    static func isEmail(_ s: String) -> Bool {
        guard s.count <= 254 else { return false }
        let pattern =
            #"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"#
        guard s.range(of: pattern, options: .regularExpression) != nil else { return false }
        let local = s.split(separator: "@")[0]
        return !local.hasPrefix(".") && !local.hasSuffix(".") && !local.contains("..")
    }

    /// An ISO 8601 date-time that names its offset (`Z` or `±hh:mm`); wall-clock times without one are refused.
    static func parseDateTime(_ s: String) -> Date? {
        guard
            s.range(
                of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$"#,
                options: .regularExpression) != nil
        else { return nil }
        var text = s
        if text.range(of: #"T\d{2}:\d{2}(Z|[+-])"#, options: .regularExpression) != nil {
            let index = text.index(text.startIndex, offsetBy: 16)
            text.insert(contentsOf: ":00", at: index)
        }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        // More than 3 fractional digits (Graph's 7): drop the extra ones.
        if let range = text.range(of: #"\.\d+"#, options: .regularExpression) {
            let digits = text[range].dropFirst().prefix(3)
            text.replaceSubrange(range, with: "." + digits)
            return fractional.date(from: text)
        }
        return nil
    }

    func string(_ name: String) -> String? { values[name]?.stringValue }
    func int(_ name: String) -> Int? { values[name]?.intValue }
    func bool(_ name: String) -> Bool? { values[name]?.boolValue }
    func strings(_ name: String) -> [String]? { values[name]?.arrayValue?.compactMap(\.stringValue) }
    func date(_ name: String) -> Date? { string(name).flatMap(Self.parseDateTime) }
    func has(_ name: String) -> Bool { values[name] != nil }

    /// A required string (the schema already demanded it).
    func require(_ name: String) throws(ToolError) -> String {
        guard let s = string(name) else { throw .invalidArgument(name: name, expected: "a value (required)") }
        return s
    }
}
