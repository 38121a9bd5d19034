import Foundation
import Hummingbird

extension GraphRoutes {
    /// Attachments larger than this must use an upload session, as in Graph.
    static let inlineAttachmentLimit = 3 * 1024 * 1024

    func parseAttachments(_ value: JSONValue?) throws(GraphError) -> [MailAttachment] {
        guard let items = value?.arrayValue else { return [] }
        var out: [MailAttachment] = []
        for item in items { out.append(try parseAttachment(item)) }
        return out
    }

    func parseAttachment(_ item: JSONValue) throws(GraphError) -> MailAttachment {
        let type = item["@odata.type"]?.stringValue?.lowercased() ?? ""
        guard type.hasSuffix("fileattachment") else {
            throw GraphError.badRequest(
                "Only file attachments can be added in the sandbox.", code: "ErrorInvalidParameter")
        }
        guard let name = item["name"]?.stringValue, let b64 = item["contentBytes"]?.stringValue,
            let data = Data(base64Encoded: b64)
        else {
            throw GraphError.badRequest(
                "The attachment needs 'name' and base64 'contentBytes'.", code: "ErrorInvalidParameter")
        }
        guard data.count <= Self.inlineAttachmentLimit else {
            throw GraphError(
                status: 413, code: "ErrorAttachmentSizeLimitExceeded",
                message: "The attachment exceeds the 3 MB limit; use an upload session.")
        }
        return MailAttachment(
            id: "AAMkAT" + Secrets.random(bytes: 18), kind: .file, name: name,
            contentType: item["contentType"]?.stringValue ?? "application/octet-stream", content: data,
            isInline: item["isInline"]?.boolValue ?? false, contentId: item["contentId"]?.stringValue,
            lastModified: Date())
    }

    func attachments(_ call: GraphCall, _ msg: MailMessage, _ r: [String]) throws -> Response {
        if r.isEmpty {
            if call.method == .post {
                try call.require("Mail.ReadWrite")
                guard let body = call.body else { throw GraphError.badRequest("Empty Payload. JSON content expected.") }
                let a = try parseAttachment(body)
                var m = msg
                m.attachments.append(a)
                let updated = m
                state.withMailbox(call.user.index) { mb, _ in mb.put(updated) }
                return HTTPReply.json(201, a.json(includeContent: true))
            }
            try call.require("Mail.Read", "Mail.ReadWrite")
            let all = msg.attachments.map { $0.json(includeContent: true) }
            return try Listing.respond(
                call, base: core.baseURL,
                context: "users('\(call.user.id)')/messages('\(call.ids.messageId(msg))')/attachments",
                all: all, type: "attachment", defaultTop: 1000)
        }
        if r[0].lowercased() == "createuploadsession" {
            try call.require("Mail.ReadWrite")
            guard call.method == .post, let item = call.body?["AttachmentItem"] ?? call.body?["attachmentItem"],
                let name = item["name"]?.stringValue, let size = item["size"]?.intValue, size > 0
            else {
                throw GraphError.badRequest(
                    "AttachmentItem with name and size is required.", code: "ErrorInvalidParameter")
            }
            let session = UploadSession(
                userIndex: call.user.index, messageKey: msg.key, name: name,
                contentType: item["contentType"]?.stringValue ?? "application/octet-stream", size: size,
                expires: Date().addingTimeInterval(3600))
            let token = Secrets.random(bytes: 24)
            state.withData { $0.uploads[token] = session }
            return HTTPReply.json(
                201,
                .object([
                    ("@odata.context", "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession"),
                    ("uploadUrl", .string("\(core.baseURL)/_upload/\(token)")),
                    ("expirationDateTime", .string(WireFormat.iso(session.expires))),
                    ("nextExpectedRanges", .array(["0-"])),
                ]))
        }
        guard let a = msg.attachments.first(where: { $0.id == r[0] }) else { throw GraphError.itemNotFound }
        if r.count == 1 {
            switch call.method {
            case .get:
                try call.require("Mail.Read", "Mail.ReadWrite")
                return HTTPReply.json(200, a.json(includeContent: true).selecting(call.query.select))
            case .delete:
                try call.require("Mail.ReadWrite")
                var m = msg
                m.attachments.removeAll { $0.id == a.id }
                let updated = m
                state.withMailbox(call.user.index) { mb, _ in mb.put(updated) }
                return HTTPReply.empty(204)
            default: throw GraphError.methodNotAllowed
            }
        }
        guard r[1] == "$value", call.method == .get else { throw GraphError.segmentNotFound(r[1]) }
        try call.require("Mail.Read", "Mail.ReadWrite")
        return HTTPReply.bytes(
            200, a.rawValue, headers: [.contentType: a.kind == .file ? a.contentType : "message/rfc822"])
    }
}

/// An attachment upload in progress (`createUploadSession`, then `PUT` byte ranges to the upload URL).
struct UploadSession: Sendable {
    let userIndex: Int
    let messageKey: String
    let name: String
    let contentType: String
    let size: Int
    let expires: Date
    var received = Data()
}
