import Foundation
import JSONText

/// A new or changed message as Graph takes it (`POST /me/messages`, `/sendMail`, `PATCH`).
public struct GraphMessageDraft: Encodable, Sendable {
    public var subject: String?
    public var body: GraphItemBody?
    public var toRecipients: [GraphRecipient]?
    public var ccRecipients: [GraphRecipient]?
    public var bccRecipients: [GraphRecipient]?
    public var importance: String?

    public init(
        subject: String? = nil, body: GraphItemBody? = nil, toRecipients: [GraphRecipient]? = nil,
        ccRecipients: [GraphRecipient]? = nil, bccRecipients: [GraphRecipient]? = nil, importance: String? = nil
    ) {
        self.subject = subject
        self.body = body
        self.toRecipients = toRecipients
        self.ccRecipients = ccRecipients
        self.bccRecipients = bccRecipients
        self.importance = importance
    }
}

/// Changes to a message's flags (`PATCH /me/messages/{id}`); nil fields are left alone.
public struct GraphMessageUpdate: Encodable, Sendable {
    public var isRead: Bool?
    public var flag: GraphFollowupFlag?
    public var categories: [String]?
    public var importance: String?

    public init(
        isRead: Bool? = nil, flag: GraphFollowupFlag? = nil, categories: [String]? = nil, importance: String? = nil
    ) {
        self.isRead = isRead
        self.flag = flag
        self.categories = categories
        self.importance = importance
    }
}

extension GraphClient {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw GraphError.invalidResponse(reason: "request body could not be encoded")
        }
    }

    static func messagePath(_ id: String) -> String { "/v1.0/me/messages/\(GraphRequest.segment(id))" }

    /// Mail folders (top level, or the children of `parentId`).
    public func mailFolders(parentId: String? = nil, top: Int = 100) async throws -> GraphPage<GraphMailFolder> {
        let path =
            parentId.map { "/v1.0/me/mailFolders/\(GraphRequest.segment($0))/childFolders" } ?? "/v1.0/me/mailFolders"
        return try await page(
            GraphRequest(.get, path, query: [("$select", GraphMailFolder.defaultSelect), ("$top", "\(top)")]))
    }

    /// One folder by id or well-known name (`inbox`, `archive`, …).
    public func mailFolder(_ idOrWellKnownName: String) async throws -> GraphMailFolder {
        try await json(
            GraphRequest(
                .get, "/v1.0/me/mailFolders/\(GraphRequest.segment(idOrWellKnownName))",
                query: [("$select", GraphMailFolder.defaultSelect)]))
    }

    /// Messages of a folder (or the whole mailbox when `folder` is nil), newest first.
    /// - Parameter filter: an OData `$filter` the caller built from validated values only.
    public func messages(folder: String?, filter: String?, top: Int) async throws -> GraphPage<GraphMessage> {
        let path = folder.map { "/v1.0/me/mailFolders/\(GraphRequest.segment($0))/messages" } ?? "/v1.0/me/messages"
        var query = [("$select", GraphMessage.listSelect), ("$top", "\(top)"), ("$orderby", "receivedDateTime desc")]
        if let filter { query.append(("$filter", filter)) }
        return try await messagePage(GraphRequest(.get, path, query: query))
    }

    /// A page of a message list (selected with `listSelect`), decoded as lists are: see ``GraphMessage/init(listedJSON:)``.
    func messagePage(_ request: GraphRequest) async throws -> GraphPage<GraphMessage> {
        try await page(request, item: Self.listedMessage)
    }

    /// Each item read straight into the page's array (a page of wrappers mapped afterwards copied every message).
    private static func listedMessage(_ r: inout JSONReader) throws(JSONReader.Failure) -> GraphMessage {
        try GraphMessage(listedJSON: &r)
    }

    /// The next page of a message list (a link from an earlier page of ``messages(folder:filter:top:)`` or
    /// ``searchMessages(kql:top:)``).
    public func messagePage(continuing link: String) async throws -> GraphPage<GraphMessage> {
        try await messagePage(continuation(link))
    }

    /// Full-text search (`$search`, KQL); Graph orders by relevance and pages with `$skiptoken`.
    /// - Parameter kql: the query WITHOUT surrounding quotes; it must not contain `"` or `\`.
    public func searchMessages(kql: String, top: Int) async throws -> GraphPage<GraphMessage> {
        try await messagePage(Self.searchRequest(kql: kql, top: top))
    }

    /// The `$search` request of ``searchMessages(kql:top:)`` (the KQL goes inside one quoted value).
    package static func searchRequest(kql: String, top: Int) -> GraphRequest {
        GraphRequest(
            .get, "/v1.0/me/messages",
            query: [("$search", "\"\(kql)\""), ("$select", GraphMessage.listSelect), ("$top", "\(top)")])
    }

    public func message(_ id: String, html: Bool = false) async throws -> GraphMessage {
        try await json(
            GraphRequest(.get, Self.messagePath(id), query: [("$select", GraphMessage.detailSelect)], htmlBody: html))
    }

    public func attachments(messageId: String) async throws -> [GraphAttachment] {
        try await all(
            GraphRequest(
                .get, Self.messagePath(messageId) + "/attachments", query: [("$select", GraphAttachment.defaultSelect)]),
            maxItems: 250, maxPages: 5)
    }

    public func attachment(messageId: String, attachmentId: String) async throws -> GraphAttachment {
        try await json(
            GraphRequest(
                .get, Self.messagePath(messageId) + "/attachments/\(GraphRequest.segment(attachmentId))",
                query: [("$select", GraphAttachment.defaultSelect)]))
    }

    /// The raw bytes of an attachment (`/$value`: the file, or MIME for an item attachment), at most `maxBytes`.
    public func attachmentContent(messageId: String, attachmentId: String, maxBytes: Int) async throws -> Data {
        let response = try await send(
            GraphRequest(
                .get, Self.messagePath(messageId) + "/attachments/\(GraphRequest.segment(attachmentId))/$value",
                maxResponseBytes: maxBytes))
        return Data(response.body.readableBytesView)
    }

    /// Creates a draft in Drafts.
    public func createDraft(_ draft: GraphMessageDraft) async throws -> GraphMessage {
        try await json(GraphRequest(.post, "/v1.0/me/messages", body: try Self.encode(draft)))
    }

    public func sendDraft(_ id: String) async throws {
        _ = try await send(GraphRequest(.post, Self.messagePath(id) + "/send"))
    }

    /// Sends a new message at once (`POST /me/sendMail`), saved to Sent Items.
    public func sendMail(_ message: GraphMessageDraft) async throws {
        struct SendMail: Encodable {
            var message: GraphMessageDraft
            var saveToSentItems: Bool
        }
        _ = try await send(
            GraphRequest(
                .post, "/v1.0/me/sendMail", body: try Self.encode(SendMail(message: message, saveToSentItems: true))))
    }

    /// Creates a reply (or reply-all) draft with `comment` above the quoted original.
    public func createReply(to id: String, all: Bool, comment: String) async throws -> GraphMessage {
        struct Comment: Encodable { var comment: String }
        return try await json(
            GraphRequest(
                .post, Self.messagePath(id) + (all ? "/createReplyAll" : "/createReply"),
                body: try Self.encode(Comment(comment: comment))))
    }

    /// Creates a forward draft to `recipients` with `comment`.
    public func createForward(
        of id: String, to recipients: [GraphRecipient], comment: String
    ) async throws -> GraphMessage {
        struct Forward: Encodable {
            var comment: String
            var toRecipients: [GraphRecipient]
        }
        return try await json(
            GraphRequest(
                .post, Self.messagePath(id) + "/createForward",
                body: try Self.encode(Forward(comment: comment, toRecipients: recipients))))
    }

    /// Moves a message; returns it as it is in the destination (with immutable ids the id stays the same).
    public func moveMessage(_ id: String, to destination: String) async throws -> GraphMessage {
        struct Move: Encodable { var destinationId: String }
        return try await json(
            GraphRequest(.post, Self.messagePath(id) + "/move", body: try Self.encode(Move(destinationId: destination)))
        )
    }

    public func updateMessage(_ id: String, _ update: GraphMessageUpdate) async throws -> GraphMessage {
        try await json(GraphRequest(.patch, Self.messagePath(id), body: try Self.encode(update), idempotent: true))
    }

    /// `DELETE` (Graph moves the item to Recoverable Items: gone from every folder).
    public func deleteMessage(_ id: String) async throws {
        _ = try await send(GraphRequest(.delete, Self.messagePath(id)))
    }
}
