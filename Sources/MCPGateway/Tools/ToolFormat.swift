import Foundation
import MicrosoftGraph

/// Shared pieces of tool output: compact dates and people, structured values, output schema fragments.
enum ToolFormat {
    /// `2025-03-14T09:30:00Z` → `2025-03-14 09:30Z` (Graph's message times are UTC).
    static func utc(_ iso: String?) -> String {
        guard let iso, let minutes = dateAndMinutes(iso, zone: UInt8(ascii: "Z")) else { return "-" }
        return minutes
    }

    /// An event time in the zone it was asked in: `2025-03-14 09:30`.
    static func wallClock(_ value: GraphDateTimeTimeZone?) -> String {
        guard let value, let minutes = dateAndMinutes(value.dateTime) else { return "-" }
        return minutes
    }

    /// `2025-03-14T09:30:00…` as `2025-03-14 09:30` and then `zone`, by byte position (Graph's ISO 8601 times are
    /// ASCII; anything else is repaired into valid text), or nil when it is too short to be one. Written straight
    /// into the string's storage: every listed message and event has one.
    private static func dateAndMinutes(_ iso: String, zone: UInt8? = nil) -> String? {
        let bytes = iso.utf8
        guard bytes.count >= 16 else { return nil }
        return String(unsafeUninitializedCapacity: 17) { out in
            for (index, byte) in bytes.prefix(16).enumerated() { out[index] = index == 10 ? UInt8(ascii: " ") : byte }
            guard let zone else { return 16 }
            out[16] = zone
            return 17
        }
    }

    /// `Name <address>` (or just the address), flattened for one line.
    static func person(_ address: GraphEmailAddress?) -> String { Person(address)?.text ?? "-" }

    /// A person's name and address, each made one safe line once; shown as text or as a structured value.
    struct Person {
        let name: String
        let address: String

        init?(_ address: GraphEmailAddress?) {
            guard let address else { return nil }
            name = UntrustedContent.line(address.name, max: 80)
            self.address = UntrustedContent.line(address.address, max: 254)
        }

        /// `Name <address>`, or the one that is there, or `-`.
        var text: String {
            var out = ""
            append(to: &out)
            return out
        }

        /// Appends ``text`` (piece by piece: a list writes one per row).
        func append(to out: inout String) {
            if name.isEmpty || name == address {
                out += address.isEmpty ? "-" : address
            } else if address.isEmpty {
                out += name
            } else {
                out += name
                out += " <"
                out += address
                out += ">"
            }
        }

        var value: Value { ["address": .string(address), "name": .string(name)] }
    }

    static func people(_ recipients: [GraphRecipient]?) -> String {
        let all = (recipients ?? []).map { person($0.emailAddress) }
        return all.isEmpty ? "-" : all.joined(separator: ", ")
    }

    static func personValue(_ address: GraphEmailAddress?) -> Value { Person(address)?.value ?? .null }

    static func peopleValue(_ recipients: [GraphRecipient]?) -> Value {
        .array((recipients ?? []).map { personValue($0.emailAddress) })
    }

    static func optional(_ s: String?) -> Value { s.map { .string($0) } ?? .null }

    /// Cuts `text` to `max` characters, saying so.
    static func cap(_ text: String, _ max: Int) -> (String, Bool) {
        text.count > max ? (String(text.prefix(max)) + "\n[… truncated]", true) : (text, false)
    }

    /// Domains of `addresses`, sorted and unique (what the audit log keeps of recipients).
    static func domains(_ addresses: [String]) -> String {
        Set(addresses.map { ToolPolicy.domain(of: $0) }).sorted().joined(separator: ",")
    }

    // MARK: Output schema fragments

    static let person: Value = [
        "type": ["object", "null"],
        "properties": ["name": ["type": "string"], "address": ["type": "string"]],
    ]
    static let str: Value = ["type": "string"]
    static let strOrNull: Value = ["type": ["string", "null"]]
    static let int: Value = ["type": "integer"]
    static let bool: Value = ["type": "boolean"]

    static func object(_ properties: JSONObject, required: [String] = []) -> Value {
        var o: JSONObject = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { o["required"] = .array(required.map { .string($0) }) }
        return .object(o)
    }

    static func list(_ key: String, _ item: Value, extra: JSONObject = [:]) -> Value {
        var properties = extra
        properties[key] = ["type": "array", "items": item]
        properties["next_cursor"] = strOrNull
        return object(properties, required: [key])
    }

    static let confirmation: Value = object(["ok": bool, "id": strOrNull, "message": str], required: ["ok"])
}
