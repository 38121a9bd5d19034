import Foundation
import MicrosoftGraph

/// Read-only mail tools.
package enum MailTools {
    static let all: [ToolDefinition] = [
        listFolders, listMessages, searchMessages, getMessage, listAttachments, getAttachment,
    ]

    static let messageSummary: Value = ToolFormat.object([
        "id": ToolFormat.str, "subject": ToolFormat.str, "from": ToolFormat.person, "received": ToolFormat.str,
        "is_read": ToolFormat.bool, "has_attachments": ToolFormat.bool, "importance": ToolFormat.str,
        "flagged": ToolFormat.bool,
    ])

    /// A listed message as the line and the structured row show it, its untrusted text made one safe line once
    /// (both use it). Only what they show is kept: a page's rows are copied as they are rendered, and a whole
    /// ``GraphMessage`` is two dozen references to retain per copy.
    struct Listed {
        let id: String
        let subject: String
        let from: ToolFormat.Person?
        let received: String?
        let isRead: Bool?
        let hasAttachments: Bool?
        let importance: String?
        let flagged: Bool
        let isDraft: Bool?

        init(_ message: borrowing GraphMessage) {
            id = message.id
            subject = UntrustedContent.line(message.subject, max: 300)
            from = ToolFormat.Person(message.from?.emailAddress)
            received = message.receivedDateTime
            isRead = message.isRead
            hasAttachments = message.hasAttachments
            importance = message.importance
            flagged = message.flag?.flagStatus == "flagged"
            isDraft = message.isDraft
        }

        var summaryValue: Value {
            // In name order: stored in one pass (see JSONObject).
            [
                "flagged": .bool(flagged), "from": from?.value ?? .null,
                "has_attachments": .bool(hasAttachments ?? false), "id": .string(id),
                "importance": .string(importance ?? "normal"), "is_read": .bool(isRead ?? false),
                "received": .string(received ?? ""), "subject": .string(subject),
            ]
        }

        /// Appends one line: date, sender, subject, marks, id (appended piece by piece: a page has 25 to 100).
        func appendLine(to out: inout String) {
            out += ToolFormat.utc(received)
            out += " | "
            if let from { from.append(to: &out) } else { out += "-" }
            out += " | "
            let subject = UntrustedContent.capped(self.subject, max: 160)
            out += subject.isEmpty ? "(no subject)" : subject
            var separator = " | "
            func mark(_ on: Bool, _ word: String) {
                guard on else { return }
                out += separator
                out += word
                separator = ", "
            }
            mark(isRead == false, "unread")
            mark(hasAttachments == true, "attachments")
            mark(flagged, "flagged")
            mark(importance == "high", "important")
            mark(isDraft == true, "draft")
            out += " | id="
            out += id
        }
    }

    static func messageList(_ page: GraphPage<GraphMessage>, heading: String, _ call: ToolInvocation) -> ToolReply {
        let cursor = call.cursor(page.nextLink)
        let listed = page.value.map { Listed($0) }
        var text = "\(heading): \(listed.count) message\(listed.count == 1 ? "" : "s")."
        if !listed.isEmpty {
            var lines = ""
            lines.reserveCapacity(listed.count * 192)
            for (index, item) in listed.enumerated() {
                if index > 0 { lines += "\n" }
                item.appendLine(to: &lines)
            }
            text += "\n" + call.fence.notice + "\n" + call.fence.fence(lines)
        }
        if let cursor { text += "\nMore: call again with cursor=\(cursor)" }
        return ToolReply(
            text: text,
            structured: [
                "messages": .array(listed.map(\.summaryValue)), "next_cursor": ToolFormat.optional(cursor),
            ])
    }

    // MARK: list_mail_folders

    static let listFolders = ToolDefinition(
        name: "list_mail_folders", title: "List mail folders",
        description: "Mail folders with unread/total counts. Give parent_id for subfolders.",
        parameters: [.id("parent_id", required: false)] + ToolParameter.paging,
        output: ToolFormat.list(
            "folders",
            ToolFormat.object([
                "id": ToolFormat.str, "name": ToolFormat.str, "unread": ToolFormat.int, "total": ToolFormat.int,
                "child_folders": ToolFormat.int,
            ])),
        effect: .read, scopes: ["Mail.Read"]
    ) { call in
        let page: GraphPage<GraphMailFolder>
        if let cursor = try call.openCursor() {
            page = try await call.graph.page(continuing: cursor.link)
        } else {
            page = try await call.graph.mailFolders(parentId: call.arguments.string("parent_id"), top: call.pageSize)
        }
        let cursor = call.cursor(page.nextLink)
        let lines = page.value.map { f in
            "\(UntrustedContent.line(f.displayName, max: 100)) | \(f.unreadItemCount ?? 0) unread / \(f.totalItemCount ?? 0)"
                + "\((f.childFolderCount ?? 0) > 0 ? " | \(f.childFolderCount!) subfolders" : "") | id=\(f.id)"
        }
        var text = "\(page.value.count) folder\(page.value.count == 1 ? "" : "s")."
        if !lines.isEmpty { text += "\n" + call.fence.notice + "\n" + call.fence.fence(lines.joined(separator: "\n")) }
        if let cursor { text += "\nMore: call again with cursor=\(cursor)" }
        let folders: [Value] = page.value.map { f in
            [
                "id": .string(f.id), "name": .string(f.displayName ?? ""), "unread": .int(f.unreadItemCount ?? 0),
                "total": .int(f.totalItemCount ?? 0), "child_folders": .int(f.childFolderCount ?? 0),
            ]
        }
        return ToolReply(
            text: text, structured: ["folders": .array(folders), "next_cursor": ToolFormat.optional(cursor)])
    }

    // MARK: list_messages

    static let listMessages = ToolDefinition(
        name: "list_messages", title: "List messages",
        description: "Messages in a folder, newest first. One line each: date, sender, subject, id.",
        parameters: [
            .string(
                "folder",
                "Well-known name (inbox, sentitems, drafts, archive, deleteditems, junkemail) or folder id. Default inbox.",
                max: 512, format: .folder),
            .boolean("unread_only"),
            .string("from", "Sender address.", max: 254, format: .email),
            .string("since", "Received at or after (ISO 8601 with offset).", max: 40, format: .dateTime),
            .string("until", "Received before (ISO 8601 with offset).", max: 40, format: .dateTime),
            .boolean("has_attachments"),
        ] + ToolParameter.paging,
        output: ToolFormat.list("messages", messageSummary),
        effect: .read, scopes: ["Mail.Read"]
    ) { call in
        let folder = call.arguments.string("folder") ?? "inbox"
        if let cursor = try call.openCursor() {
            return messageList(try await call.graph.messagePage(continuing: cursor.link), heading: "Next page", call)
        }
        let since = call.arguments.date("since"), until = call.arguments.date("until")
        if let since, let until, since >= until {
            throw ToolError.invalidArgument(name: "until", expected: "a time after 'since'")
        }
        var filters: [String] = []
        if let until { filters.append("receivedDateTime lt \(odataDate(until))") }
        if call.arguments.bool("unread_only") == true { filters.append("isRead eq false") }
        if let from = call.arguments.string("from") {
            filters.append("from/emailAddress/address eq '\(from.replacingOccurrences(of: "'", with: "''"))'")
        }
        if call.arguments.bool("has_attachments") == true { filters.append("hasAttachments eq true") }
        if since != nil || !filters.isEmpty {
            // Graph wants the $orderby property first in $filter.
            filters.insert("receivedDateTime ge \(odataDate(since ?? Date(timeIntervalSince1970: 0)))", at: 0)
        }
        let page = try await call.graph.messages(
            folder: folder, filter: filters.isEmpty ? nil : filters.joined(separator: " and "), top: call.pageSize)
        call.notes.set("folder", folder.count > 40 ? "id" : folder)
        return messageList(page, heading: "Folder \(folder.count > 40 ? "(id)" : folder)", call)
    }

    static func odataDate(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    // MARK: search_messages

    static let searchFields: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "body", "received", "sent", "hasattachments", "hasattachment",
        "attachment", "participants", "importance", "category", "kind",
    ]

    /// Plain words or KQL `field:value` terms; no quotes or backslashes (they would end Graph's quoted value).
    package static func checkSearch(_ query: String) throws(ToolError) -> String {
        let q = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !q.isEmpty else { throw .invalidArgument(name: "query", expected: "some words to search for") }
        guard !q.contains("\""), !q.contains("\\"),
            q.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        else {
            throw .invalidArgument(
                name: "query", expected: "words or KQL terms without quotes, backslashes or control characters")
        }
        for term in q.split(separator: " ") where term.contains(":") {
            let field = term.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0].lowercased()
            guard searchFields.contains(field) else {
                throw .invalidArgument(
                    name: "query",
                    expected:
                        "KQL fields from: to: cc: subject: body: received: hasattachments: (not \(String(field.prefix(20))):)"
                )
            }
        }
        return q
    }

    static let searchMessages = ToolDefinition(
        name: "search_messages", title: "Search messages",
        description:
            "Search all mail: plain words or KQL (from:dana subject:budget received>=2025-01-01). Best match first.",
        parameters: [.string("query", max: 256, required: true)] + ToolParameter.paging,
        output: ToolFormat.list("messages", messageSummary),
        effect: .read, scopes: ["Mail.Read"]
    ) { call in
        let query = try checkSearch(try call.arguments.require("query"))
        if let cursor = try call.openCursor() {
            return messageList(try await call.graph.messagePage(continuing: cursor.link), heading: "Next page", call)
        }
        return messageList(
            try await call.graph.searchMessages(kql: query, top: call.pageSize), heading: "Search results", call)
    }

    // MARK: get_message

    static let getMessage = ToolDefinition(
        name: "get_message", title: "Read a message",
        description: "One message: headers, body (text; hidden content removed) and attachment list.",
        parameters: [
            .id("id"),
            .string("format", "text (default) or sanitised html.", choices: ["text", "html"]),
            .integer("max_chars", "Body length cap, default 8000.", min: 200, max: 100_000),
        ],
        output: ToolFormat.object(
            [
                "id": ToolFormat.str, "subject": ToolFormat.str, "from": ToolFormat.person,
                "to": ["type": "array", "items": ToolFormat.person],
                "cc": ["type": "array", "items": ToolFormat.person],
                "received": ToolFormat.str, "is_read": ToolFormat.bool, "importance": ToolFormat.str,
                "categories": ["type": "array", "items": ToolFormat.str], "body_format": ToolFormat.str,
                "body": ToolFormat.str, "truncated": ToolFormat.bool, "conversation_id": ToolFormat.strOrNull,
                "attachments": ["type": "array", "items": attachmentSchema],
            ], required: ["id", "body"]),
        effect: .read, scopes: ["Mail.Read"]
    ) { call in
        let id = try call.arguments.require("id")
        let html = call.arguments.string("format") == "html"
        let maxChars = call.arguments.int("max_chars") ?? 8000
        // Always ask for HTML: Exchange's own text conversion keeps text hidden by CSS.
        let message = try await call.graph.message(id, html: true)
        let rawBody = message.body?.content ?? ""
        let isHTML = message.body?.contentType?.lowercased() == "html"
        let cleaned = isHTML ? (html ? HTMLSanitizer.html(rawBody) : HTMLSanitizer.text(rawBody)) : rawBody
        let (body, truncated) = ToolFormat.cap(cleaned, maxChars)
        let attachments = message.hasAttachments == true ? try await call.graph.attachments(messageId: id) : []
        call.notes.set("targets", id)
        var header = [
            "From: \(ToolFormat.person(message.from?.emailAddress))",
            "To: \(ToolFormat.people(message.toRecipients))",
        ]
        if !(message.ccRecipients ?? []).isEmpty { header.append("Cc: \(ToolFormat.people(message.ccRecipients))") }
        header.append("Subject: \(UntrustedContent.line(message.subject, max: 300))")
        if !attachments.isEmpty {
            header.append("Attachments (use get_attachment):")
            header += attachments.map { "- " + attachmentLine($0) }
        }
        header.append("Body:")
        header.append(body)
        var meta = [
            "Received: \(ToolFormat.utc(message.receivedDateTime)) | \(message.isRead == false ? "unread" : "read") | importance \(message.importance ?? "normal")"
        ]
        if let categories = message.categories, !categories.isEmpty {
            meta.append("Categories: " + categories.map { UntrustedContent.line($0, max: 60) }.joined(separator: ", "))
        }
        meta.append("id=\(message.id)")
        let text =
            call.fence.notice + "\n" + call.fence.fence(header.joined(separator: "\n")) + "\n"
            + meta.joined(separator: "\n")
        let structured: Value = [
            "id": .string(message.id), "subject": .string(UntrustedContent.line(message.subject, max: 300)),
            "from": ToolFormat.personValue(message.from?.emailAddress),
            "to": ToolFormat.peopleValue(message.toRecipients),
            "cc": ToolFormat.peopleValue(message.ccRecipients), "received": .string(message.receivedDateTime ?? ""),
            "is_read": .bool(message.isRead ?? false), "importance": .string(message.importance ?? "normal"),
            "categories": .array((message.categories ?? []).map { .string(UntrustedContent.line($0, max: 60)) }),
            "body_format": .string(html ? "html" : "text"),
            "body": .string(call.fence.fence(body)), "truncated": .bool(truncated),
            "conversation_id": ToolFormat.optional(message.conversationId),
            "attachments": .array(attachments.map(attachmentValue)),
        ]
        return ToolReply(text: text, structured: structured)
    }

    // MARK: attachments

    static let attachmentSchema: Value = ToolFormat.object([
        "id": ToolFormat.str, "name": ToolFormat.str, "content_type": ToolFormat.str, "size": ToolFormat.int,
        "inline": ToolFormat.bool, "kind": ToolFormat.str,
    ])

    static func attachmentValue(_ a: GraphAttachment) -> Value {
        [
            "id": .string(a.id), "name": .string(UntrustedContent.line(a.name, max: 255)),
            "content_type": .string(UntrustedContent.line(a.contentType, max: 100)),
            "size": .int(a.size ?? 0), "inline": .bool(a.isInline ?? false), "kind": .string(a.kind),
        ]
    }

    static func attachmentLine(_ a: GraphAttachment) -> String {
        "\(UntrustedContent.line(a.name, max: 120)) | \(UntrustedContent.line(a.contentType ?? "?", max: 100)) | \(a.size ?? 0) bytes"
            + "\(a.isInline == true ? " | inline" : "") | id=\(a.id)"
    }

    static let listAttachments = ToolDefinition(
        name: "list_attachments", title: "List attachments",
        description: "Attachments of a message: name, type, size, id.",
        parameters: [.id("message_id")],
        output: ToolFormat.object(
            ["attachments": ["type": "array", "items": attachmentSchema]], required: ["attachments"]),
        effect: .read, scopes: ["Mail.Read"]
    ) { call in
        let id = try call.arguments.require("message_id")
        let attachments = try await call.graph.attachments(messageId: id)
        call.notes.set("targets", id)
        var text = "\(attachments.count) attachment\(attachments.count == 1 ? "" : "s")."
        if !attachments.isEmpty {
            text +=
                "\n" + call.fence.notice + "\n"
                + call.fence.fence(attachments.map(attachmentLine).joined(separator: "\n"))
        }
        return ToolReply(text: text, structured: ["attachments": .array(attachments.map(attachmentValue))])
    }

    /// Largest attachment returned as content (base64 or text); bigger ones are described only.
    static let maxAttachmentBytes = 1 << 20
    static let textTypes = ["text/", "application/json", "application/xml", "message/rfc822", "application/csv"]

    static let getAttachment = ToolDefinition(
        name: "get_attachment", title: "Read an attachment",
        description: "A small text attachment as text; other files up to max_bytes as a base64 resource.",
        parameters: [
            .id("message_id"), .id("attachment_id"),
            .integer("max_bytes", "Default 262144, max 1048576.", min: 1024, max: maxAttachmentBytes),
        ],
        output: ToolFormat.object(
            [
                "attachment": attachmentSchema, "text": ToolFormat.strOrNull, "included": ToolFormat.bool,
                "reason": ToolFormat.strOrNull,
            ], required: ["attachment", "included"]),
        effect: .read, scopes: ["Mail.Read"]
    ) { call in
        let messageId = try call.arguments.require("message_id")
        let attachmentId = try call.arguments.require("attachment_id")
        let limit = call.arguments.int("max_bytes") ?? 262_144
        let meta = try await call.graph.attachment(messageId: messageId, attachmentId: attachmentId)
        call.notes.set("targets", "\(messageId),\(attachmentId)")
        let type = (meta.contentType ?? "application/octet-stream").lowercased()
        let info = attachmentLine(meta)
        func described(_ reason: String) -> ToolReply {
            ToolReply(
                text: call.fence.notice + "\n" + call.fence.fence(info) + "\nNot included: \(reason)",
                structured: [
                    "attachment": attachmentValue(meta), "text": .null, "included": false, "reason": .string(reason),
                ])
        }
        if meta.kind == "reference" { return described("a link to a cloud file, not stored in the message") }
        // Graph's size includes metadata; the content is a little smaller, so this check is conservative.
        if (meta.size ?? 0) > limit + 4096 { return described("larger than max_bytes (\(limit))") }
        let data: Data
        do {
            data = try await call.graph.attachmentContent(
                messageId: messageId, attachmentId: attachmentId, maxBytes: limit)
        } catch GraphError.invalidResponse {
            return described("larger than max_bytes (\(limit))")
        }
        let isText = meta.kind == "item" || textTypes.contains { type.hasPrefix($0) }
        if isText, let decoded = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) {
            let shown = type.contains("html") || meta.kind == "item" ? htmlAwareText(decoded) : decoded
            let text = call.fence.notice + "\n" + call.fence.fence(info + "\n\n" + shown)
            return ToolReply(
                text: text,
                structured: [
                    "attachment": attachmentValue(meta), "text": .string(call.fence.fence(shown)), "included": true,
                    "reason": .null,
                ])
        }
        let uri = "graphgate://attachment/\(GraphRequest.segment(attachmentId))"
        return ToolReply(
            text: call.fence.notice + "\n" + call.fence.fence(info)
                + "\nContent follows as a base64 resource (\(data.count) bytes).",
            structured: ["attachment": attachmentValue(meta), "text": .null, "included": true, "reason": .null],
            extra: [.resource(resource: .binary(data, uri: uri, mimeType: type))])
    }

    /// MIME of an item attachment or an HTML file: headers kept, HTML parts turned into visible text.
    static func htmlAwareText(_ raw: String) -> String {
        guard let split = raw.range(of: "\r\n\r\n") ?? raw.range(of: "\n\n"),
            raw.hasPrefix("From:") || raw.contains("Content-Type:")
        else { return HTMLSanitizer.text(raw) }
        let headers = raw[..<split.lowerBound].split(whereSeparator: \.isNewline)
            .filter {
                $0.hasPrefix("From:") || $0.hasPrefix("Subject:") || $0.hasPrefix("Date:") || $0.hasPrefix("To:")
            }
        return headers.joined(separator: "\n") + "\n\n" + HTMLSanitizer.text(String(raw[split.upperBound...]))
    }
}
