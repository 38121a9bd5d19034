import Foundation
import Hummingbird

extension GraphRoutes {
    /// `POST /me/sendMail`: delivers to tenant recipients' inboxes and to the sender's Sent Items.
    func sendMail(_ call: GraphCall) throws -> Response {
        try call.require("Mail.Send")
        guard let message = call.body?["message"], case .object(let pairs) = message else {
            throw GraphError.badRequest("Empty Payload. JSON content expected.", code: "ErrorInvalidParameter")
        }
        var m = newMessage(call, folderKey: "sentitems")
        for (k, v) in pairs where k != "attachments" { try applyDraftField(&m, k, v) }
        m.attachments = try parseAttachments(message["attachments"])
        let save = call.body?["saveToSentItems"]?.boolValue ?? true
        try deliver(call, m, saveToSent: save)
        return HTTPReply.empty(202)
    }

    func sendDraft(_ call: GraphCall, _ draft: MailMessage) throws -> Response {
        try call.require("Mail.Send")
        guard draft.isDraft else {
            throw GraphError.badRequest("Only draft messages can be sent.", code: "ErrorInvalidOperation")
        }
        state.withMailbox(call.user.index) { mb, _ in mb.remove(key: draft.key) }
        try deliver(call, draft, saveToSent: true)
        return HTTPReply.empty(202)
    }

    /// reply / replyAll / forward (send now) and createReply / createReplyAll / createForward (draft).
    func respond(_ call: GraphCall, _ original: MailMessage, kind: String, draftOnly: Bool) throws -> Response {
        try call.require(draftOnly ? "Mail.ReadWrite" : "Mail.Send")
        var m = newMessage(call, folderKey: "drafts")
        m.conversationId = original.conversationId
        let prefix = kind == "forward" ? "FW: " : "RE: "
        m.subject = original.subject.hasPrefix(prefix) ? original.subject : prefix + original.subject
        let me = call.user.mail.lowercased()
        switch kind {
        case "reply": m.toRecipients = original.replyTo.isEmpty ? [original.from] : original.replyTo
        case "replyall":
            m.toRecipients = ([original.from] + original.toRecipients).filter { $0.address.lowercased() != me }
            m.ccRecipients = original.ccRecipients.filter { $0.address.lowercased() != me }
        default: m.attachments = original.attachments
        }
        if let extra = call.body?["toRecipients"] { try applyDraftField(&m, "toRecipients", extra) }
        if case .object(let pairs)? = call.body?["message"] {
            for (k, v) in pairs where k != "attachments" { try applyDraftField(&m, k, v) }
        }
        let comment = call.body?["comment"]?.stringValue ?? ""
        let quoted =
            "<hr><p><b>From:</b> \(WireFormat.html(original.from.name)) &lt;\(WireFormat.html(original.from.address))&gt;<br>"
            + "<b>Subject:</b> \(WireFormat.html(original.subject))</p>\(original.bodyHTML)"
        m.bodyHTML = "<html><body><p>\(WireFormat.html(comment))</p>\(quoted)</body></html>"
        if draftOnly {
            let draft = m
            state.withMailbox(call.user.index) { mb, _ in mb.put(draft) }
            return HTTPReply.json(201, draft.json(ids: call.ids, bodyAsText: call.bodyAsText))
        }
        if kind == "forward" && m.toRecipients.isEmpty {
            throw GraphError(
                status: 400, code: "ErrorInvalidRecipients", message: "At least one recipient is not valid.")
        }
        try deliver(call, m, saveToSent: true)
        return HTTPReply.empty(202)
    }

    /// Puts a copy in every tenant recipient's inbox, records external ones, and files the sender's copy.
    private func deliver(_ call: GraphCall, _ message: MailMessage, saveToSent: Bool) throws(GraphError) {
        let recipients = message.toRecipients + message.ccRecipients + message.bccRecipients
        guard !recipients.isEmpty else {
            throw GraphError(
                status: 400, code: "ErrorInvalidRecipients",
                message:
                    "At least one recipient is not valid., A message can't be sent because it contains no recipients.")
        }
        let now = Date()
        var sent = message
        sent.isDraft = false
        sent.isRead = true
        sent.folderKey = "sentitems"
        sent.moveCount += 1  // a sent draft moves to Sent Items: new regular id, same immutable id
        sent.sentDateTime = now
        sent.receivedDateTime = now
        sent.lastModifiedDateTime = now
        sent.from = call.user.emailAddress
        var delivered = Set<Int>()
        for r in recipients {
            guard let target = state.withData({ $0.directory.user(address: r.address) }) else {
                let copy = sent
                state.withData { d in
                    d.outbound.append(
                        OutboundMessage(
                            time: now, from: call.user.mail, to: r.address, subject: copy.subject, body: copy.bodyText))
                }
                continue
            }
            guard delivered.insert(target.index).inserted else { continue }
            state.withMailbox(target.index) { mb, _ in
                var incoming = sent
                incoming.key = mb.newKey()
                incoming.folderKey = "inbox"
                incoming.isRead = false
                incoming.moveCount = 0
                incoming.bccRecipients = []
                mb.put(incoming)
            }
        }
        if saveToSent {
            let copy = sent
            state.withMailbox(call.user.index) { mb, _ in mb.put(copy) }
        }
    }
}

/// A message sent to an address outside the tenant (kept for tests, e.g. exfiltration checks).
struct OutboundMessage: Sendable {
    let time: Date
    let from: String
    let to: String
    let subject: String
    let body: String

    func json() -> JSONValue {
        .object([
            ("time", .string(WireFormat.iso(time))), ("from", .string(from)), ("to", .string(to)),
            ("subject", .string(subject)), ("body", .string(body)),
        ])
    }
}
