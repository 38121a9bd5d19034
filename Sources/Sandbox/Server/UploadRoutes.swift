import Foundation
import Hummingbird

/// The upload URLs handed out by `createUploadSession` (`PUT` with `Content-Range`, no bearer token, as in Graph).
struct UploadRoutes: Sendable {
    let core: TenantCore

    func handle(_ request: inout Request, token: String) async -> Response {
        func fail(_ status: Int, _ code: String, _ message: String) -> Response {
            HTTPReply.json(
                status,
                GraphError(status: status, code: code, message: message).json(
                    requestId: Secrets.guid(), clientRequestId: Secrets.guid()))
        }
        guard let session = core.state.withData({ $0.uploads[token] }), session.expires > Date() else {
            return fail(404, "ErrorItemNotFound", "The upload session was not found or has expired.")
        }
        if request.method == .delete {
            core.state.withData { _ = $0.uploads.removeValue(forKey: token) }
            return HTTPReply.empty(204)
        }
        guard request.method == .put, let range = request.headers[.contentRange], let data = await request.bodyData()
        else {
            return fail(400, "InvalidRequest", "PUT with a Content-Range header is required.")
        }
        // "bytes 0-1023/4096"
        let numbers = range.replacingOccurrences(of: "bytes ", with: "").split(whereSeparator: {
            $0 == "-" || $0 == "/"
        }).compactMap { Int($0) }
        guard numbers.count == 3, numbers[0] == session.received.count, numbers[1] - numbers[0] + 1 == data.count,
            numbers[2] == session.size, numbers[1] < session.size
        else {
            return fail(
                416, "InvalidRange",
                "The Content-Range does not match the next expected range \(session.received.count)-.")
        }
        let done = core.state.withData { d -> UploadSession? in
            d.uploads[token]?.received.append(data)
            guard let s = d.uploads[token], s.received.count == s.size else { return nil }
            d.uploads[token] = nil
            return s
        }
        guard let done else {
            let next = session.received.count + data.count
            return HTTPReply.json(
                200,
                .object([
                    ("expirationDateTime", .string(WireFormat.iso(session.expires))),
                    ("nextExpectedRanges", .array([.string("\(next)-")])),
                ]))
        }
        let attachment = MailAttachment(
            id: "AAMkAT" + Secrets.random(bytes: 18), kind: .file, name: done.name, contentType: done.contentType,
            content: done.received, lastModified: Date())
        core.state.withMailbox(done.userIndex) { mb, gen in
            guard var m = mb.message(key: done.messageKey, generator: gen) else { return }
            m.attachments.append(attachment)
            mb.put(m)
        }
        return HTTPReply.empty(
            201, headers: [.location: "\(core.baseURL)/v1.0/me/messages/attachments/\(attachment.id)"])
    }
}
