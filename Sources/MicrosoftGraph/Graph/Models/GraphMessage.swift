/// Graph's `message` (the fields graphgate selects).
public struct GraphMessage: Codable, Sendable {
    public var id: String
    public var subject: String?
    public var bodyPreview: String?
    public var body: GraphItemBody?
    public var from: GraphRecipient?
    public var sender: GraphRecipient?
    public var toRecipients: [GraphRecipient]?
    public var ccRecipients: [GraphRecipient]?
    public var bccRecipients: [GraphRecipient]?
    public var replyTo: [GraphRecipient]?
    public var receivedDateTime: String?
    public var sentDateTime: String?
    public var hasAttachments: Bool?
    public var importance: String?
    public var isRead: Bool?
    public var isDraft: Bool?
    public var flag: GraphFollowupFlag?
    public var categories: [String]?
    public var parentFolderId: String?
    public var conversationId: String?
    public var internetMessageId: String?
    public var webLink: String?

    /// For lists: enough for one line per message, no body.
    public static let listSelect =
        "id,subject,from,receivedDateTime,isRead,hasAttachments,importance,flag,isDraft,parentFolderId"
    /// For one message: headers summary and body.
    public static let detailSelect =
        "id,subject,body,from,sender,toRecipients,ccRecipients,bccRecipients,replyTo,receivedDateTime,sentDateTime,"
        + "hasAttachments,importance,isRead,isDraft,flag,categories,parentFolderId,conversationId,internetMessageId,webLink"
}
