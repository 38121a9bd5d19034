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
