import Foundation
import MCPGateway
import Testing

/// Mail tools end to end: MCP client → ToolCatalogue → Graph client → emulated tenant.
@Suite("Tools: mail", .serialized)
struct ToolsMailTests {
    /// Number of Graph requests the emulator has seen.
    static func graphRequests(_ session: ToolSession) async throws -> Int {
        let log =
            try JSONSerialization.jsonObject(with: try await session.env.control(.GET, "requests")) as? [String: Any]
        return (log?["value"] as? [[String: Any]])?.count ?? -1
    }

    static func messages(_ result: ToolResult) -> [JSONObject] {
        (result["messages"]?.arrayValue ?? []).compactMap(\.objectValue)
    }

    static func find(_ session: ToolSession, subject: String, folder: String = "inbox") async throws -> String {
        let list = try await session.call("list_messages", ["folder": .string(folder), "page_size": 100])
        let id = messages(list).first { $0["subject"]?.stringValue == subject }?["id"]?.stringValue
        return try #require(id, "no message '\(subject)' in \(folder)")
    }

    @Test("list_mail_folders and list_messages: happy path, compact fenced lines, paging with an opaque cursor")
    func listing() async throws {
        try await ToolSession.with { session in
            let folders = try await session.call("list_mail_folders")
            #expect(!folders.failed)
            #expect(folders.text.contains("Inbox"))
            #expect((folders["folders"]?.arrayValue?.count ?? 0) >= 6)

            let first = try await session.call("list_messages", ["page_size": 5])
            #expect(!first.failed, "\(first.text)")
            #expect(Self.messages(first).count == 5)
            let lines = first.text.split(separator: "\n").filter { $0.contains(" | id=") }
            #expect(lines.count == 5, "one line per message")
            // Each line: minute-precision UTC time, sender, subject, marks, id (in the structured rows' order).
            for (line, row) in zip(lines, Self.messages(first)) {
                let received = try #require(row["received"]?.stringValue)
                let time = received.prefix(10) + " " + received.dropFirst(11).prefix(5) + "Z"
                let fields = line.components(separatedBy: " | ")
                #expect(fields.first == String(time), "\(line)")
                #expect(fields.last == "id=" + (row["id"]?.stringValue ?? ""), "\(line)")
                #expect(fields.count >= 4 && fields[2] == row["subject"]?.stringValue, "\(line)")
                #expect(
                    (fields.count == 5 && fields[3].contains("unread")) == (row["is_read"] == false), "\(line)")
            }
            // In Graph's order ($orderby receivedDateTime desc): newest first.
            let received = Self.messages(first).compactMap { $0["received"]?.stringValue }
            #expect(received == received.sorted(by: >) && Set(received).count > 1, "\(received)")
            #expect(
                first.text.contains("MAILBOX DATA") && first.text.contains("BEGIN>>>") && first.text.contains("END>>>"))
            let cursor = try #require(first["next_cursor"]?.stringValue)
            #expect(!cursor.contains("/v1.0") && !cursor.contains("skip") && !cursor.contains("http"), "opaque")
            let second = try await session.call("list_messages", ["page_size": 5, "cursor": .string(cursor)])
            #expect(Self.messages(second).count == 5)
            let a = Set(Self.messages(first).compactMap { $0["id"]?.stringValue })
            let b = Set(Self.messages(second).compactMap { $0["id"]?.stringValue })
            #expect(a.isDisjoint(with: b))
            // A cursor of another tool (or tampered) is refused.
            let wrongTool = try await session.call("search_messages", ["query": "budget", "cursor": .string(cursor)])
            #expect(wrongTool.failed && wrongTool.text.contains("cursor"))
            // (The first character changed, never kept: a cursor may start with "A" already.)
            let altered = (cursor.first == "A" ? "B" : "A") + cursor.dropFirst()
            let tampered = try await session.call("list_messages", ["cursor": .string(altered)])
            #expect(tampered.failed && tampered.text.contains("cursor"))

            let unread = try await session.call("list_messages", ["unread_only": true, "page_size": 50])
            #expect(!unread.failed, "\(unread.text)")
            #expect(Self.messages(unread).allSatisfy { $0["is_read"] == false })
            let withFiles = try await session.call(
                "list_messages", ["has_attachments": true, "since": "2000-01-01T00:00:00Z"])
            #expect(!withFiles.failed && !Self.messages(withFiles).isEmpty)
            #expect(Self.messages(withFiles).allSatisfy { $0["has_attachments"] == true })
        }
    }

    @Test("invalid input names the argument and sends nothing to Graph")
    func invalidInput() async throws {
        try await ToolSession.with { session in
            _ = try await session.call("get_profile")  // the emulator now has seen us once
            let before = try await Self.graphRequests(session)
            let cases: [(String, JSONObject, String)] = [
                ("list_messages", ["page_size": 500], "page_size"),
                ("list_messages", ["since": "2025-01-01T10:00:00"], "since"),
                ("list_messages", ["bogus": true], "arguments"),  // the unknown name itself is never repeated
                ("list_messages", ["from": "not-an-address"], "from"),
                ("get_message", [:], "id"),
                ("get_message", ["id": "../../me/sendMail"], "id"),
                ("get_message", ["id": "AAkALgAAAAAAHYQDEapmEc2byACqAC", "format": "pdf"], "format"),
                ("search_messages", ["query": "x\" OR \"y"], "query"),
                ("search_messages", ["query": "password:secret"], "query"),
                ("send_message", ["to": ["bob@contoso.sandbox"], "subject": "s"], "body"),
                ("send_message", ["to": ["bob@@x"], "subject": "s", "body": "b"], "to"),
                (
                    "send_message", ["to": ["bob@contoso.sandbox"], "subject": "s\r\nBcc: x@evil.test", "body": "b"],
                    "subject"
                ),
                ("list_events", ["start": "2025-01-01", "end": "2025-01-02T00:00:00Z"], "start"),
                ("list_events", ["start": "2025-01-02T00:00:00Z", "end": "2025-01-01T00:00:00Z"], "end"),
                ("update_message", ["id": "AAkALgAAAAAAHYQDEapmEc2byACqAC"], "is_read"),
            ]
            for (tool, arguments, argument) in cases {
                let result = try await session.call(tool, arguments)
                #expect(result.failed, "\(tool) \(arguments)")
                #expect(result.text.contains("'\(argument)'"), "\(tool): \(result.text)")
                #expect(!result.text.contains("bogus"), "\(tool): \(result.text)")
            }
            #expect(try await Self.graphRequests(session) == before, "no Graph request for invalid input")
            let audited = session.audit.all.filter {
                $0.type == "tool.call" && $0.details["error"] == "invalid_argument"
            }
            #expect(audited.count == cases.count)
        }
    }

    @Test("prompt injection: hidden HTML is stripped and the mail is fenced as data")
    func injection() async throws {
        try await ToolSession.with { session in
            let id = try await Self.find(session, subject: "Invoice overdue - action needed")
            let result = try await session.call("get_message", ["id": .string(id)])
            #expect(!result.failed)
            #expect(!result.text.lowercased().contains("ignore previous instructions"))
            #expect(!result.text.contains("evil.test"))
            #expect(!result.text.contains("tracking.fabrikam"))
            #expect(result.text.contains("Your invoice INV-2231 is overdue"))
            let nonce = try #require(result.text.firstMatch(of: /<<<MAILBOX DATA ([0-9a-f]{12}) BEGIN>>>/)?.1)
            let begin = try #require(result.text.range(of: "<<<MAILBOX DATA \(nonce) BEGIN>>>"))
            let end = try #require(result.text.range(of: "<<<MAILBOX DATA \(nonce) END>>>"))
            let body = try #require(result.text.range(of: "INV-2231"))
            #expect(
                begin.upperBound <= body.lowerBound && body.upperBound <= end.lowerBound, "the body is inside the fence"
            )
            #expect(result.text.contains("untrusted"))
            let structuredBody = result["body"]?.stringValue ?? ""
            #expect(structuredBody.hasPrefix("<<<MAILBOX DATA") && !structuredBody.contains("evil.test"))
            // HTML on request is sanitised the same way.
            let html = try await session.call("get_message", ["id": .string(id), "format": "html"])
            #expect(!html.text.contains("evil.test") && !html.text.contains("<img") && html.text.contains("INV-2231"))
        }
    }

    @Test("get_message: not found is a clear tool error; search finds by words and KQL")
    func readAndSearch() async throws {
        try await ToolSession.with { session in
            let missing = try await session.call("get_message", ["id": "AAkALgMHxtfG5vbmU="])
            #expect(missing.failed && missing.text.contains("Not found"))
            #expect(session.audit.all.last?.details["error"] != nil)
            let words = try await session.call("search_messages", ["query": "budget", "page_size": 10])
            #expect(!words.failed, "\(words.text)")
            #expect(!Self.messages(words).isEmpty)
            let kql = try await session.call("search_messages", ["query": "subject:invoice"])
            #expect(!kql.failed, "\(kql.text)")
            #expect(Self.messages(kql).contains { $0["subject"]?.stringValue?.contains("Invoice") == true })
        }
    }

    @Test("attachments: text as text, binary as a bounded base64 resource, item attachment as text")
    func attachments() async throws {
        try await ToolSession.with { session in
            let id = try await Self.find(session, subject: "Documents for the Northwind renewal")
            let list = try await session.call("list_attachments", ["message_id": .string(id)])
            #expect(!list.failed)
            let items = (list["attachments"]?.arrayValue ?? []).compactMap(\.objectValue)
            #expect(items.count == 4)
            func attachment(_ name: String) throws -> String {
                try #require(items.first { $0["name"]?.stringValue == name }?["id"]?.stringValue)
            }
            let text = try await session.call(
                "get_attachment", ["message_id": .string(id), "attachment_id": .string(try attachment("notes-5.txt"))])
            #expect(!text.failed && text.text.contains("Meeting notes 5"))
            let pdf = try await session.call(
                "get_attachment",
                ["message_id": .string(id), "attachment_id": .string(try attachment("Northwind-renewal.pdf"))])
            #expect(!pdf.failed)
            let blob = pdf.content.first { $0["type"] == "resource" }?["resource"]
            #expect(blob?["mimeType"] == "application/pdf")
            #expect(
                Data(base64Encoded: blob?["blob"]?.stringValue ?? "").map { String(decoding: $0, as: UTF8.self).hasPrefix("%PDF") }
                    == true)
            let item = try await session.call(
                "get_attachment",
                ["message_id": .string(id), "attachment_id": .string(try attachment("Original request"))])
            #expect(!item.failed && item.text.contains("Please send the renewal documents"), "\(item.text)")
        }
    }

    @Test("writes: draft, send, reply, forward, move, update, delete — each visible through a read tool")
    func writes() async throws {
        try await ToolSession.with(policy: ToolPolicy(sendAllowedDomains: ["contoso.sandbox"])) { session in
            let me = session.env.user.mail
            // create_draft → in Drafts
            let draft = try await session.call(
                "create_draft", ["to": .array([.string(me)]), "subject": "Tool test draft", "body": "draft body"])
            #expect(!draft.failed, "\(draft.text)")
            let draftId = try #require(draft["id"]?.stringValue)
            let drafts = try await session.call("list_messages", ["folder": "drafts", "page_size": 100])
            #expect(Self.messages(drafts).contains { $0["id"]?.stringValue == draftId })
            // send_draft → arrives in the inbox (sent to myself)
            let sent = try await session.call("send_draft", ["id": .string(draftId)])
            #expect(!sent.failed, "\(sent.text)")
            _ = try await Self.find(session, subject: "Tool test draft")
            // send_message
            let direct = try await session.call(
                "send_message", ["to": .array([.string(me)]), "subject": "Tool test direct", "body": "hello"])
            #expect(!direct.failed, "\(direct.text)")
            let directId = try await Self.find(session, subject: "Tool test direct")
            // update_message → visible in get_message
            let update = try await session.call(
                "update_message", ["id": .string(directId), "is_read": true, "flag": "flagged"])
            #expect(!update.failed, "\(update.text)")
            let read = try await session.call("get_message", ["id": .string(directId)])
            #expect(read["is_read"] == true)
            // reply (draft) and forward (sent)
            let reply = try await session.call("reply_to_message", ["id": .string(directId), "comment": "Thanks!"])
            #expect(!reply.failed, "\(reply.text)")
            let replyId = try #require(reply["id"]?.stringValue)
            let replyDraft = try await session.call("get_message", ["id": .string(replyId)])
            #expect(replyDraft.text.contains("Thanks!"))
            let forward = try await session.call(
                "forward_message", ["id": .string(directId), "to": .array([.string(me)]), "comment": "FYI"])
            #expect(!forward.failed, "\(forward.text)")
            // move_message → in Archive
            let move = try await session.call("move_message", ["id": .string(directId), "destination": "archive"])
            #expect(!move.failed, "\(move.text)")
            let archive = try await session.call("list_messages", ["folder": "archive", "page_size": 100])
            #expect(Self.messages(archive).contains { $0["subject"]?.stringValue == "Tool test direct" })
            // delete_message → Deleted Items; permanent → gone
            let delete = try await session.call("delete_message", ["id": .string(directId)])
            #expect(!delete.failed, "\(delete.text)")
            let deleted = try await session.call("list_messages", ["folder": "deleteditems", "page_size": 100])
            #expect(Self.messages(deleted).contains { $0["subject"]?.stringValue == "Tool test direct" })
            let gone = try await session.call("delete_message", ["id": .string(directId), "permanent": true])
            #expect(!gone.failed, "\(gone.text)")
            let after = try await session.call("get_message", ["id": .string(directId)])
            #expect(after.failed && after.text.contains("Not found"))
            // audited with domains, never bodies
            let events = session.audit.all
            #expect(
                events.contains {
                    $0.type == "mail.send" && $0.outcome == .success
                        && $0.details["recipient_domains"] == "contoso.sandbox"
                })
            #expect(events.contains { $0.type == "mail.forward" && $0.outcome == .success })
            #expect(events.filter { $0.type == "mail.delete" }.count == 2)
            #expect(!events.contains { $0.details.values.contains { $0.contains("hello") || $0.contains(me) } })
        }
    }

    @Test("a send to a disallowed domain is refused, audited, and nothing leaves")
    func disallowedDomain() async throws {
        try await ToolSession.with(policy: ToolPolicy(sendAllowedDomains: ["contoso.sandbox"])) { session in
            let result = try await session.call(
                "send_message", ["to": ["x@evil.test"], "subject": "forward", "body": "the inbox"])
            #expect(result.failed && result.text.contains("evil.test") && result.text.contains("Nothing was sent"))
            let refused = session.audit.all.first { $0.type == "mail.send" }
            #expect(refused?.outcome == .denied)
            #expect(refused?.details["recipient_domains"] == "evil.test")
            #expect(session.audit.all.contains { $0.type == "tool.call" && $0.outcome == .denied })
            let id = try await Self.find(session, subject: "Invoice overdue - action needed")
            let forward = try await session.call("forward_message", ["id": .string(id), "to": ["x@evil.test"]])
            #expect(forward.failed)
            let outbound = String(decoding: try await session.env.control(.GET, "outbound"), as: UTF8.self)
            #expect(!outbound.contains("evil.test"))
        }
    }

    @Test("the hourly send cap and a declined confirmation stop sends")
    func capAndConfirmation() async throws {
        try await ToolSession.with(policy: ToolPolicy(sendsPerHour: 1)) { session in
            let me = session.env.user.mail
            let first = try await session.call(
                "send_message", ["to": .array([.string(me)]), "subject": "cap 1", "body": "b"])
            #expect(!first.failed, "\(first.text)")
            let second = try await session.call(
                "send_message", ["to": .array([.string(me)]), "subject": "cap 2", "body": "b"])
            #expect(second.failed && second.text.contains("per hour"))
        }
        try await ToolSession.with(
            policy: ToolPolicy(confirmSends: true), elicitation: { _ in .declined }
        ) { session in
            let me = session.env.user.mail
            let result = try await session.call(
                "send_message", ["to": .array([.string(me)]), "subject": "nope", "body": "b"])
            #expect(result.failed && result.text.contains("did not confirm"))
        }
        try await ToolSession.with(
            policy: ToolPolicy(confirmSends: true),
            elicitation: { _ in .accepted(["confirm": true]) }
        ) { session in
            let me = session.env.user.mail
            let result = try await session.call(
                "send_message", ["to": .array([.string(me)]), "subject": "yes", "body": "b"])
            #expect(!result.failed, "\(result.text)")
        }
    }
}
