import JSONText

/// Graph's `attachment` (file, item or reference attachment; `contentBytes` only when asked for).
public struct GraphAttachment: Codable, Sendable {
    public var odataType: String?
    public var id: String
    public var name: String?
    public var contentType: String?
    public var size: Int?
    public var isInline: Bool?
    public var lastModifiedDateTime: String?

    /// `file`, `item` or `reference` from `@odata.type`.
    public var kind: String {
        switch odataType?.lowercased() {
        case "#microsoft.graph.itemattachment": "item"
        case "#microsoft.graph.referenceattachment": "reference"
        default: "file"
        }
    }

    enum CodingKeys: String, CodingKey {
        case odataType = "@odata.type"
        case id, name, contentType, size, isInline, lastModifiedDateTime
    }

    /// Metadata only; never `contentBytes` in a list.
    public static let defaultSelect = "id,name,contentType,size,isInline,lastModifiedDateTime"
}

extension GraphAttachment: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        var id: String?
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "@odata.type": odataType = try r.optionalString()
            case "id": id = try r.string()
            case "name": name = try r.optionalString()
            case "contentType": contentType = try r.optionalString()
            case "size": size = try r.optionalInt()
            case "isInline": isInline = try r.optionalBool()
            case "lastModifiedDateTime": lastModifiedDateTime = try r.optionalString()
            default: try r.skip()
            }
        }
        guard let id else { throw r.missing("id") }
        self.id = id
    }
}
