
/// One argument of a tool: its JSON Schema and the checks made before any Graph call come from this one value.
struct ToolParameter: Sendable {
    enum Format: Sendable {
        /// Free text.
        case text
        /// One line of text (a subject): no line breaks or other control characters, so it can never become a
        /// header of the message Graph builds.
        case line
        /// A Graph item id (letters, digits, `-_=+`): checked for shape before it reaches a URL.
        case itemId
        /// An SMTP address.
        case email
        /// ISO 8601 date-time WITH an offset or `Z`.
        case dateTime
        /// A folder: well-known name or folder id.
        case folder
        /// An IANA or Windows time zone name.
        case timeZone
    }

    enum Kind: Sendable {
        case string(maxLength: Int, format: Format, choices: [String]?)
        case integer(min: Int, max: Int)
        case boolean
        case stringList(maxItems: Int, maxLength: Int, format: Format)
    }

    var name: String
    var kind: Kind
    var description: String?
    var required: Bool

    static func string(
        _ name: String, _ description: String? = nil, max: Int = 256, format: Format = .text, choices: [String]? = nil,
        required: Bool = false
    ) -> ToolParameter {
        ToolParameter(
            name: name, kind: .string(maxLength: max, format: format, choices: choices), description: description,
            required: required)
    }

    static func id(_ name: String, _ description: String? = nil, required: Bool = true) -> ToolParameter {
        string(name, description, max: 512, format: .itemId, required: required)
    }

    static func integer(_ name: String, _ description: String? = nil, min: Int, max: Int) -> ToolParameter {
        ToolParameter(name: name, kind: .integer(min: min, max: max), description: description, required: false)
    }

    static func boolean(_ name: String, _ description: String? = nil) -> ToolParameter {
        ToolParameter(name: name, kind: .boolean, description: description, required: false)
    }

    static func emails(
        _ name: String, _ description: String? = nil, maxItems: Int = 50, required: Bool = false
    )
        -> ToolParameter
    {
        ToolParameter(
            name: name, kind: .stringList(maxItems: maxItems, maxLength: 254, format: .email), description: description,
            required: required)
    }

    static func strings(_ name: String, _ description: String? = nil, maxItems: Int, maxLength: Int) -> ToolParameter {
        ToolParameter(
            name: name, kind: .stringList(maxItems: maxItems, maxLength: maxLength, format: .text),
            description: description, required: false)
    }

    /// The page size and cursor every list tool takes.
    static let paging: [ToolParameter] = [
        .integer("page_size", "Default 25.", min: 1, max: 100),
        .string("cursor", "From the previous page.", max: 4096),
    ]

    var schema: Value {
        var out: JSONObject = [:]
        switch kind {
        case .string(let maxLength, let format, let choices):
            out["type"] = "string"
            if let choices {
                out["enum"] = .array(choices.map { .string($0) })
            } else {
                out["maxLength"] = .int(maxLength)
            }
            Self.decorate(&out, format)
        case .integer(let min, let max):
            out["type"] = "integer"
            out["minimum"] = .int(min)
            out["maximum"] = .int(max)
        case .boolean:
            out["type"] = "boolean"
        case .stringList(let maxItems, let maxLength, let format):
            var item: JSONObject = ["type": "string", "maxLength": .int(maxLength)]
            Self.decorate(&item, format)
            out["type"] = "array"
            out["items"] = .object(item)
            out["maxItems"] = .int(maxItems)
        }
        if let description { out["description"] = .string(description) }
        return .object(out)
    }

    private static func decorate(_ out: inout JSONObject, _ format: Format) {
        switch format {
        case .email: out["format"] = "email"
        case .dateTime: out["format"] = "date-time"
        case .itemId: out["pattern"] = "^[A-Za-z0-9=_+-]+$"
        default: break
        }
    }

    static func objectSchema(_ parameters: [ToolParameter]) -> Value {
        var schema: JSONObject = [
            "type": "object",
            "properties": .object(JSONObject(parameters.map { ($0.name, $0.schema) })),
            "additionalProperties": false,
        ]
        let required = parameters.filter(\.required).map { Value.string($0.name) }
        if !required.isEmpty { schema["required"] = .array(required) }
        return .object(schema)
    }
}
