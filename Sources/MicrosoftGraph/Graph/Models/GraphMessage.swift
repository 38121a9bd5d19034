import JSONText

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

    /// For lists: what a list line and row show, no body.
    public static let listSelect = "id,subject,from,receivedDateTime,isRead,hasAttachments,importance,flag,isDraft"
    /// For one message: headers summary and body.
    public static let detailSelect =
        "id,subject,body,from,sender,toRecipients,ccRecipients,bccRecipients,replyTo,receivedDateTime,sentDateTime,"
        + "hasAttachments,importance,isRead,isDraft,flag,categories,parentFolderId,conversationId,internetMessageId,webLink"
}

extension GraphMessage: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try self.init(json: &r, everything: true)
    }

    /// A message in a list: the members of ``listSelect`` are read, any other member is skipped unread (Graph
    /// sends only what was selected; whatever else an answer carries costs a scan, not a decode).
    public init(listedJSON r: inout JSONReader) throws(JSONReader.Failure) {
        try self.init(json: &r, everything: false)
    }

    /// `everything`: every member graphgate knows (``detailSelect``); else those of ``listSelect`` only.
    init(json r: inout JSONReader, everything: Bool) throws(JSONReader.Failure) {
        var id: String?
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            // The members of `listSelect` first: a list reads only these.
            case "id": id = try r.string()
            case "subject": subject = try r.optionalString()
            case "from": from = try r.optional(GraphRecipient.self)
            case "receivedDateTime": receivedDateTime = try r.optionalString()
            case "isRead": isRead = try r.optionalBool()
            case "hasAttachments": hasAttachments = try r.optionalBool()
            case "importance": importance = try r.optionalString()
            case "flag": flag = try r.optional(GraphFollowupFlag.self)
            case "isDraft": isDraft = try r.optionalBool()
            default:
                guard everything else {
                    try r.skip()
                    continue
                }
                switch member {
                case "bodyPreview": bodyPreview = try r.optionalString()
                case "body": body = try r.optional(GraphItemBody.self)
                case "sender": sender = try r.optional(GraphRecipient.self)
                case "toRecipients": toRecipients = try r.optionalArray(of: GraphRecipient.self)
                case "ccRecipients": ccRecipients = try r.optionalArray(of: GraphRecipient.self)
                case "bccRecipients": bccRecipients = try r.optionalArray(of: GraphRecipient.self)
                case "replyTo": replyTo = try r.optionalArray(of: GraphRecipient.self)
                case "sentDateTime": sentDateTime = try r.optionalString()
                case "categories": categories = try r.optionalStrings()
                case "conversationId": conversationId = try r.optionalString()
                case "internetMessageId": internetMessageId = try r.optionalString()
                case "webLink": webLink = try r.optionalString()
                case "parentFolderId": parentFolderId = try r.optionalString()
                default: try r.skip()
                }
            }
        }
        guard let id else { throw r.missing("id") }
        self.id = id
    }
}
