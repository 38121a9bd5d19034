import JSONText

/// Graph's `mailFolder`.
public struct GraphMailFolder: Codable, Sendable {
    public var id: String
    public var displayName: String?
    public var parentFolderId: String?
    public var childFolderCount: Int?
    public var unreadItemCount: Int?
    public var totalItemCount: Int?

    public static let defaultSelect = "id,displayName,parentFolderId,childFolderCount,unreadItemCount,totalItemCount"
}

extension GraphMailFolder: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        var id: String?
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "id": id = try r.string()
            case "displayName": displayName = try r.optionalString()
            case "parentFolderId": parentFolderId = try r.optionalString()
            case "childFolderCount": childFolderCount = try r.optionalInt()
            case "unreadItemCount": unreadItemCount = try r.optionalInt()
            case "totalItemCount": totalItemCount = try r.optionalInt()
            default: try r.skip()
            }
        }
        guard let id else { throw r.missing("id") }
        self.id = id
    }
}
