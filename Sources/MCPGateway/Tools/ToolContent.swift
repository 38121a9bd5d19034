import Foundation

/// One content block of a tool result (`text`, or an embedded `resource` such as an attachment).
enum ToolContent: Sendable {
    case text(String)
    case resource(resource: EmbeddedResource)

    /// The contents of an embedded resource: binary (base64 on the wire) with its URI and media type.
    struct EmbeddedResource: Sendable {
        var uri: String
        var mimeType: String
        var blob: Data

        static func binary(_ data: Data, uri: String, mimeType: String) -> Self {
            Self(uri: uri, mimeType: mimeType, blob: data)
        }
    }

    var json: Value {
        switch self {
        case .text(let text): ["text": .string(text), "type": "text"]
        case .resource(let resource):
            [
                "type": "resource",
                "resource": [
                    "uri": .string(resource.uri), "mimeType": .string(resource.mimeType),
                    "blob": .string(resource.blob.base64EncodedString()),
                ],
            ]
        }
    }
}
