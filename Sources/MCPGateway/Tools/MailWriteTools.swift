import Foundation
import MicrosoftGraph
import SecurityOps

/// Mail tools that change the mailbox or send mail.
enum MailWriteTools {
    static let all: [ToolDefinition] = [
        createDraft, sendDraft, sendMessage, replyToMessage, forwardMessage, moveMessage, updateMessage, deleteMessage,
    ]

    static let composeParameters: [ToolParameter] = [
        .emails("to"), .emails("cc"), .emails("bcc"),
        .string("subject", max: 255, format: .line),
        .string("body", max: 100_000),
        .string("body_format", "text (default) or html.", choices: ["text", "html"]),
        .string("importance", choices: ["low", "normal", "high"]),
    ]

    static func recipients(_ list: [String]?) -> [GraphRecipient]? {
        guard let list, !list.isEmpty else { return nil }
        return list.map { GraphRecipient(address: $0) }
    }

    static func draft(_ a: ToolArguments) -> GraphMessageDraft {
        GraphMessageDraft(
            subject: a.string("subject"),
            body: a.string("body").map {
                GraphItemBody(contentType: a.string("body_format") == "html" ? "html" : "text", content: $0)
            },
            toRecipients: recipients(a.strings("to")), ccRecipients: recipients(a.strings("cc")),
            bccRecipients: recipients(a.strings("bcc")), importance: a.string("importance"))
    }

    static func addresses(_ m: GraphMessage) -> [String] {
        ((m.toRecipients ?? []) + (m.ccRecipients ?? []) + (m.bccRecipients ?? [])).compactMap {
            $0.emailAddress?.address
        }
    }

    static func done(_ message: String, id: String?) -> ToolReply {
        ToolReply(
            text: message + (id.map { " id=\($0)" } ?? ""),
            structured: ["ok": true, "id": ToolFormat.optional(id), "message": .string(message)])
    }

    static let createDraft = ToolDefinition(
        name: "create_draft", title: "Create a draft",
        description: "Save a new message in Drafts (not sent).",
        parameters: composeParameters, output: ToolFormat.confirmation,
        effect: .write(idempotent: false), scopes: ["Mail.ReadWrite"]
    ) { call in
        let created = try await call.graph.createDraft(draft(call.arguments))
        call.notes.set("targets", created.id)
        call.notes.set("recipient_domains", ToolFormat.domains(call.arguments.strings("to") ?? []))
        return done("Draft saved.", id: created.id)
    }

    static let sendDraft = ToolDefinition(
        name: "send_draft", title: "Send a draft",
        description: "Send an existing draft.",
        parameters: [.id("id")], output: ToolFormat.confirmation,
        effect: .destructive(idempotent: false), scopes: ["Mail.Send"]
    ) { call in
        let id = try call.arguments.require("id")
        call.notes.set("targets", id)
        let draft = try await call.graph.message(id)
        guard draft.isDraft != false else { throw ToolError.invalidArgument(name: "id", expected: "the id of a draft") }
        let to = addresses(draft)
        let mail = SendGuard.Mail(
            kind: "send", recipients: to, subject: draft.subject ?? "", body: draft.body?.content ?? "", target: id)
        try await SendGuard.send(call, mail) { try await call.graph.sendDraft(id) }
        return done("Sent to \(to.count) recipient(s).", id: id)
    }

    static let sendMessage = ToolDefinition(
        name: "send_message", title: "Send a message",
        description: "Compose and send a new message at once (saved to Sent Items).",
        parameters: composeParameters.map { p in
            var p = p
            if ["to", "subject", "body"].contains(p.name) { p.required = true }
            return p
        },
        output: ToolFormat.confirmation,
        effect: .destructive(idempotent: false), scopes: ["Mail.Send"]
    ) { call in
        let message = draft(call.arguments)
        let to =
            (call.arguments.strings("to") ?? []) + (call.arguments.strings("cc") ?? [])
            + (call.arguments.strings("bcc") ?? [])
        let mail = SendGuard.Mail(
            kind: "send", recipients: to, subject: message.subject ?? "", body: message.body?.content ?? "",
            target: nil)
        try await SendGuard.send(call, mail) { try await call.graph.sendMail(message) }
        return done("Sent to \(to.count) recipient(s).", id: nil)
    }

    static let replyToMessage = ToolDefinition(
        name: "reply_to_message", title: "Reply",
        description: "Reply (or reply all) to a message; saved as a draft unless send is true.",
        parameters: [
            .id("id"), .string("comment", "Reply text, above the quoted original.", max: 100_000, required: true),
            .boolean("reply_all"), .boolean("send", "Send now (default false: draft)."),
        ],
        output: ToolFormat.confirmation,
        effect: .destructive(idempotent: false), scopes: ["Mail.ReadWrite"],
        callScopes: { $0.bool("send") == true ? ["Mail.Send"] : [] }
    ) { call in
        let id = try call.arguments.require("id")
        let send = call.arguments.bool("send") ?? false
        call.notes.set("targets", id)
        let reply = try await call.graph.createReply(
            to: id, all: call.arguments.bool("reply_all") ?? false, comment: try call.arguments.require("comment"))
        let to = addresses(reply)
        call.notes.set("targets", "\(id),\(reply.id)")
        guard send else {
            call.notes.set("recipient_domains", ToolFormat.domains(to))
            return done("Reply saved as a draft (send it with send_draft).", id: reply.id)
        }
        let mail = SendGuard.Mail(
            kind: "reply", recipients: to, subject: reply.subject ?? "",
            body: try call.arguments.require("comment"), target: id)
        // A reply the guard stops leaves no draft behind (a confirmed retry makes a new one).
        let abandon: @Sendable () async -> Void = { [graph = call.graph] in try? await graph.deleteMessage(reply.id) }
        try await SendGuard.send(call, mail, abandon: abandon) { try await call.graph.sendDraft(reply.id) }
        return done("Reply sent to \(to.count) recipient(s).", id: reply.id)
    }

    static let forwardMessage = ToolDefinition(
        name: "forward_message", title: "Forward",
        description: "Forward a message with an optional comment; sent unless send is false.",
        parameters: [
            .id("id"), .emails("to", required: true), .string("comment", max: 100_000),
            .boolean("send", "Default true; false saves a draft."),
        ],
        output: ToolFormat.confirmation,
        effect: .destructive(idempotent: false), scopes: ["Mail.ReadWrite"],
        callScopes: { $0.bool("send") ?? true ? ["Mail.Send"] : [] }
    ) { call in
        let id = try call.arguments.require("id")
        let to = call.arguments.strings("to") ?? []
        let send = call.arguments.bool("send") ?? true
        call.notes.set("targets", id)
        let comment = call.arguments.string("comment") ?? ""
        func forward() async throws -> GraphMessage {
            try await call.graph.createForward(of: id, to: to.map { GraphRecipient(address: $0) }, comment: comment)
        }
        guard send else {
            guard !to.isEmpty else { throw ToolError.invalidArgument(name: "to", expected: "at least one recipient") }
            call.notes.set("recipient_domains", ToolFormat.domains(to))
            let draft = try await forward()
            call.notes.set("targets", "\(id),\(draft.id)")
            return done("Forward saved as a draft.", id: draft.id)
        }
        // The confirmation names the subject of what is forwarded; only read when it will be asked.
        var subject = ""
        if call.policy.confirmSends { subject = "Fw: " + (try await call.graph.message(id).subject ?? "") }
        let mail = SendGuard.Mail(kind: "forward", recipients: to, subject: subject, body: comment, target: id)
        let sent = try await SendGuard.send(call, mail) {
            let draft = try await forward()
            try await call.graph.sendDraft(draft.id)
            return draft
        }
        call.notes.set("targets", "\(id),\(sent.id)")
        return done("Forwarded to \(to.count) recipient(s).", id: sent.id)
    }

    static let moveMessage = ToolDefinition(
        name: "move_message", title: "Move a message",
        description: "Move a message to a folder (well-known name or id).",
        parameters: [
            .id("id"),
            .string("destination", "e.g. archive, inbox, or a folder id.", max: 512, format: .folder, required: true),
        ],
        output: ToolFormat.confirmation,
        effect: .write(idempotent: true), scopes: ["Mail.ReadWrite"]
    ) { call in
        let id = try call.arguments.require("id")
        let destination = try call.arguments.require("destination")
        call.notes.set("targets", id)
        let moved = try await call.graph.moveMessage(id, to: destination)
        return done("Moved to \(destination.count > 40 ? "the folder" : destination).", id: moved.id)
    }

    static let updateMessage = ToolDefinition(
        name: "update_message", title: "Mark or flag a message",
        description: "Set read/unread, flag, categories or importance.",
        parameters: [
            .id("id"), .boolean("is_read"), .string("flag", choices: ["flagged", "complete", "notFlagged"]),
            .strings("categories", "Replaces the categories.", maxItems: 25, maxLength: 255),
            .string("importance", choices: ["low", "normal", "high"]),
        ],
        output: ToolFormat.confirmation,
        effect: .write(idempotent: true), scopes: ["Mail.ReadWrite"]
    ) { call in
        let id = try call.arguments.require("id")
        let a = call.arguments
        guard a.has("is_read") || a.has("flag") || a.has("categories") || a.has("importance") else {
            throw ToolError.invalidArgument(
                name: "is_read", expected: "at least one of is_read, flag, categories, importance")
        }
        call.notes.set("targets", id)
        let updated = try await call.graph.updateMessage(
            id,
            GraphMessageUpdate(
                isRead: a.bool("is_read"), flag: a.string("flag").map(GraphFollowupFlag.init(flagStatus:)),
                categories: a.strings("categories"), importance: a.string("importance")))
        return done("Updated.", id: updated.id)
    }

    static let deleteMessage = ToolDefinition(
        name: "delete_message", title: "Delete a message",
        description: "Move a message to Deleted Items; permanent=true deletes it for good.",
        parameters: [.id("id"), .boolean("permanent")],
        output: ToolFormat.confirmation,
        effect: .destructive(idempotent: true), scopes: ["Mail.ReadWrite"]
    ) { call in
        let id = try call.arguments.require("id")
        let permanent = call.arguments.bool("permanent") ?? false
        call.notes.set("targets", id)
        var details = ["target": id, "permanent": permanent ? "1" : "0", "tool": call.tool]
        do {
            if permanent {
                try await call.graph.deleteMessage(id)
            } else {
                _ = try await call.graph.moveMessage(id, to: "deleteditems")
            }
        } catch {
            details["error"] = ToolCatalogue.toolError(error).auditCode
            call.notes.event(AuditEvent("mail.delete", outcome: .failure, details: details))
            throw error
        }
        call.notes.event(AuditEvent("mail.delete", outcome: .success, details: details))
        return done(permanent ? "Deleted permanently." : "Moved to Deleted Items.", id: permanent ? nil : id)
    }
}
