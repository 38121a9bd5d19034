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
