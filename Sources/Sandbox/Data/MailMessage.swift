import Foundation
import JSONText

/// One message of a mailbox.
struct MailMessage: Sendable {
    /// Stable internal key; the immutable id encodes it.
    var key: String
    /// Bumped on every move; the regular id encodes it, so a moved item gets a new regular id.
    var moveCount: Int = 0
    var folderKey: String
    var subject: String
    var bodyHTML: String
    var from: EmailAddress
    var toRecipients: [EmailAddress]
    var ccRecipients: [EmailAddress] = []
    var bccRecipients: [EmailAddress] = []
    var replyTo: [EmailAddress] = []
    var receivedDateTime: Date
    var sentDateTime: Date
    var createdDateTime: Date
    var lastModifiedDateTime: Date
    var isRead: Bool
    var isDraft: Bool = false
    var importance: String = "normal"
    var categories: [String] = []
    var conversationId: String
    var internetMessageId: String
    var flagStatus: String = "notFlagged"
    var inferenceClassification: String = "focused"
    var attachments: [MailAttachment] = []

    var hasAttachments: Bool { attachments.contains { !$0.isInline } }

    /// The visible text of the HTML body (hidden elements kept, as Exchange's text conversion does).
    var bodyText: String { HTMLText.plainText(bodyHTML) }

    var bodyPreview: String { String(bodyText.replacingOccurrences(of: "\n", with: " ").prefix(255)) }

    /// Graph's `message` resource.
    func json(ids: ItemIds, bodyAsText: Bool) -> JSONValue {
        let body: JSONValue = .object([
            ("contentType", .string(bodyAsText ? "text" : "html")),
            ("content", .string(bodyAsText ? bodyText : bodyHTML)),
        ])
        return .object([
            ("@odata.etag", .string("W/\"CQAAABYAAA\(Int(lastModifiedDateTime.timeIntervalSince1970))\"")),
            ("id", .string(ids.messageId(self))),
            ("createdDateTime", .string(WireFormat.iso(createdDateTime))),
            ("lastModifiedDateTime", .string(WireFormat.iso(lastModifiedDateTime))),
            ("changeKey", "CQAAABYAAAAiIsqMbYjsT5e/T7KzowPTAAAYbvZD"),
            ("categories", .array(categories.map(JSONValue.string))),
            ("receivedDateTime", .string(WireFormat.iso(receivedDateTime))),
            ("sentDateTime", .string(WireFormat.iso(sentDateTime))),
            ("hasAttachments", .bool(hasAttachments)),
            ("internetMessageId", .string(internetMessageId)),
            ("subject", .string(subject)),
            ("bodyPreview", .string(bodyPreview)),
            ("importance", .string(importance)),
            ("parentFolderId", .string(ids.folderId(folderKey))),
            ("conversationId", .string(conversationId)),
            ("conversationIndex", .string(Base64URL.encode(Data(conversationId.utf8.prefix(22))))),
            ("isDeliveryReceiptRequested", false),
            ("isReadReceiptRequested", false),
            ("isRead", .bool(isRead)),
            ("isDraft", .bool(isDraft)),
            (
                "webLink",
                .string("https://outlook.office365.com/owa/?ItemID=\(ids.messageId(self))&viewmodel=ReadMessageItem")
            ),
            ("inferenceClassification", .string(inferenceClassification)),
            ("body", body),
            ("sender", from.json()),
            ("from", from.json()),
            ("toRecipients", .array(toRecipients.map { $0.json() })),
            ("ccRecipients", .array(ccRecipients.map { $0.json() })),
            ("bccRecipients", .array(bccRecipients.map { $0.json() })),
            ("replyTo", .array(replyTo.map { $0.json() })),
            ("flag", .object([("flagStatus", .string(flagStatus))])),
        ])
    }
}

/// A file or item attachment.
struct MailAttachment: Sendable {
    enum Kind: Sendable { case file, item }
    var id: String
    var kind: Kind
    var name: String
    var contentType: String
    var content: Data
    var isInline: Bool = false
    var contentId: String?
    var lastModified: Date
    /// For item attachments: the embedded message (subject, sender, HTML body).
    var itemSubject: String?
    var itemFrom: EmailAddress?
    var itemBody: String?

    var size: Int { content.count + 200 }

    func json(includeContent: Bool) -> JSONValue {
        var o: [(String, JSONValue)] = [
            (
                "@odata.type",
                .string(kind == .file ? "#microsoft.graph.fileAttachment" : "#microsoft.graph.itemAttachment")
            ),
            ("id", .string(id)),
            ("lastModifiedDateTime", .string(WireFormat.iso(lastModified))),
            ("name", .string(name)),
            ("contentType", .string(contentType)),
            ("size", .int(size)),
            ("isInline", .bool(isInline)),
        ]
        if kind == .file {
            o.append(("contentId", contentId.json))
            o.append(("contentLocation", .null))
            if includeContent { o.append(("contentBytes", .string(content.base64EncodedString()))) }
        } else if includeContent {
            o.append(
                (
                    "item",
                    .object([
                        ("@odata.type", "#microsoft.graph.message"),
                        ("id", .string(id + "-item")),
                        ("subject", itemSubject.json),
                        ("body", .object([("contentType", "html"), ("content", itemBody.json)])),
                        ("from", itemFrom?.json() ?? .null),
                    ])
                ))
        }
        return .object(o)
    }

    /// The raw bytes served by `/$value` (MIME text for item attachments).
    var rawValue: Data {
        if kind == .file { return content }
        let mime =
            "From: \(itemFrom?.name ?? "") <\(itemFrom?.address ?? "")>\r\nSubject: \(itemSubject ?? "")\r\n"
            + "Content-Type: text/html; charset=utf-8\r\n\r\n\(itemBody ?? "")"
        return Data(mime.utf8)
    }
}
