import Foundation
import Logging
import MCPGateway
import MicrosoftGraph
import Synchronization
import Testing

/// Calendar, contacts and profile tools end to end; consent and Graph errors as tool errors.
@Suite("Tools: calendar, contacts, profile, consent", .serialized)
struct ToolsCalendarContactsTests {
    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    static func events(_ result: ToolResult) -> [JSONObject] {
        (result["events"]?.arrayValue ?? []).compactMap(\.objectValue)
    }

    @Test("get_profile says who is signed in")
    func profile() async throws {
        try await ToolSession.with { session in
            let result = try await session.call("get_profile")
            #expect(!result.failed, "\(result.text)")
            #expect(result["email"]?.stringValue == session.env.user.mail)
            #expect(result.text.contains(session.env.user.mail))
        }
    }

    @Test("events: list a window with paging and a stated zone; create, update, respond, delete visible via reads")
    func calendar() async throws {
        try await ToolSession.with { session in
            let now = Date()
            let window: JSONObject = [
                "start": .string(Self.iso(now.addingTimeInterval(-30 * 86_400))),
                "end": .string(Self.iso(now.addingTimeInterval(30 * 86_400))), "time_zone": "Europe/Berlin",
            ]
            var first = window
            first["page_size"] = 3
            let page = try await session.call("list_events", first)
            #expect(!page.failed, "\(page.text)")
            #expect(page.text.contains("times in Europe/Berlin"))
            #expect(Self.events(page).count == 3)
            let cursor = try #require(page["next_cursor"]?.stringValue)
            var next = window
            next["cursor"] = .string(cursor)
            next["page_size"] = 3
            let page2 = try await session.call("list_events", next)
            #expect(
                !page2.failed
                    && Set(Self.events(page2).compactMap { $0["id"]?.stringValue }).isDisjoint(
                        with: Self.events(page).compactMap { $0["id"]?.stringValue })
            )

            let start = Self.iso(
                now.addingTimeInterval(2 * 86_400).addingTimeInterval(
                    -now.timeIntervalSince1970.truncatingRemainder(dividingBy: 3600)))
            let end = Self.iso((ISO8601DateFormatter().date(from: start) ?? now).addingTimeInterval(1800))
            let created = try await session.call(
                "create_event",
                [
                    "subject": "Sync with Sam", "start": .string(start), "end": .string(end),
                    "time_zone": "Europe/Berlin",
                    "location": "Room 18/2111", "online_meeting": true,
                ])
            #expect(!created.failed, "\(created.text)")
            let id = try #require(created["id"]?.stringValue)
            // Subject and location end up in the invitation mail: line breaks are refused, nothing is created.
            for (name, injected) in [("subject", "Sync\r\nBcc: evil@evil.test"), ("location", "Room\nX-Injected: 1")] {
                var arguments: JSONObject = ["subject": "Sync", "start": .string(start), "end": .string(end)]
                arguments[name] = .string(injected)
                let refused = try await session.call("create_event", arguments)
                #expect(refused.failed && refused.text.contains("'\(name)'"), "\(refused.text)")
                let changed = try await session.call("update_event", ["id": .string(id), name: .string(injected)])
                #expect(changed.failed && changed.text.contains("'\(name)'"), "\(changed.text)")
            }
            let read = try await session.call("get_event", ["id": .string(id), "time_zone": "UTC"])
            #expect(
                !read.failed && read.text.contains("Sync with Sam") && read.text.contains("Room 18/2111"),
                "\(read.text)")
            #expect(
                read["event"]?.objectValue?["start"]?.stringValue?.hasPrefix(String(start.prefix(13))) == true,
                "UTC times")

            let updated = try await session.call(
                "update_event", ["id": .string(id), "subject": "Sync with Sam (moved)"])
            #expect(!updated.failed, "\(updated.text)")
            #expect(try await session.call("get_event", ["id": .string(id)]).text.contains("(moved)"))

            let invite =
                Self.events(page).first { $0["response"]?.stringValue == "notResponded" }
                ?? Self.events(page2).first { $0["response"]?.stringValue == "notResponded" }
            do {
                let inviteId = try #require(invite?["id"]?.stringValue, "the seeded calendar has invitations to answer")
                let answer = try await session.call(
                    "respond_to_event", ["id": .string(inviteId), "response": "accept", "comment": "See you"])
                #expect(!answer.failed, "\(answer.text)")
                let after = try await session.call("get_event", ["id": .string(inviteId)])
                #expect(after["event"]?.objectValue?["response"]?.stringValue == "accepted")
            }
            let deleted = try await session.call("delete_event", ["id": .string(id)])
            #expect(!deleted.failed, "\(deleted.text)")
            let gone = try await session.call("get_event", ["id": .string(id)])
            #expect(gone.failed && gone.text.contains("Not found"))
            #expect(session.audit.all.contains { $0.type == "event.delete" && $0.outcome == .success })
        }
    }

    @Test("contacts: list with a query, read one, create one and find it")
    func contacts() async throws {
        try await ToolSession.with { session in
            let all = try await session.call("list_contacts", ["page_size": 5])
            #expect(!all.failed, "\(all.text)")
            let first = try #require(all["contacts"]?.arrayValue?.first?.objectValue)
            let name = try #require(first["name"]?.stringValue)
            let one = try await session.call("get_contact", ["id": try #require(first["id"])])
            #expect(!one.failed && one.text.contains(name))
            let created = try await session.call(
                "create_contact",
                [
                    "given_name": "Zelda", "surname": "Quintero", "emails": ["zelda@fabrikam.example"],
                    "company": "Fabrikam",
                ])
            #expect(!created.failed, "\(created.text)")
            let found = try await session.call("list_contacts", ["query": "Zeld"])
            #expect(!found.failed, "\(found.text)")
            #expect(found.text.contains("Zelda Quintero") && found.text.contains("zelda@fabrikam.example"))
            let invalid = try await session.call("create_contact", ["company": "Nobody"])
            #expect(invalid.failed && invalid.text.contains("'display_name'"))
        }
    }

    @Test("incremental consent: a write without the scope answers with a consent link; after consent it works")
    func consent() async throws {
        try await GraphTestEnvironment.with(scopes: MicrosoftScopes.initial) { env in
            let current = Mutex<SandboxTokenProvider>(env.provider)
            let audit = MemoryAuditRecorder()
            let source = ClosureGraphClientSource(
                client: { _, _ in
                    GraphClient(
                        httpClient: env.http, baseURL: env.base, tokenProvider: current.withLock { $0 },
                        mailboxKey: "k",
                        limiter: env.limiter, logger: Logger(label: "t"))
                },
                consentLink: { _, scopes in "https://graphgate.test/consent?add=\(scopes.joined(separator: "+"))" })
            let catalogue = ToolCatalogue(policy: ToolPolicy(), graph: source, audit: audit, logger: Logger(label: "t"))
            let core = MCPCore(catalogue: catalogue)
            let context = MCPRequestContext(
                principal: MCPPrincipal(userId: "u1", clientId: "c", grantId: "g", scopes: ["mcp", "mcp:write"]),
                era: .handshake(version: "2025-11-25"), clientCapabilities: [:])
            @Sendable func call(_ name: String, _ arguments: Value) async throws -> ToolResult {
                ToolResult(
                    value: try await core.respond(
                        to: JSONRPCRequest(
                            id: .int(1), method: "tools/call", params: ["name": .string(name), "arguments": arguments]),
                        context: context
                    ).get())
            }
            let list = try await call("list_messages", ["page_size": 1])
            let id = try #require(list["messages"]?.arrayValue?.first?.objectValue?["id"])
            let denied = try await call("update_message", ["id": id, "is_read": true])
            #expect(denied.isError == true)
            #expect(
                denied.text.contains("Mail.ReadWrite")
                    && denied.text.contains("https://graphgate.test/consent?add=Mail.ReadWrite"))
            #expect(audit.all.last { $0.type == "tool.call" }?.details["error"] == "consent_required")
            // The user consents (a new sign-in asking for the write scope); the same tool now works.
            let upgraded = try await SandboxLogin.signIn(
                base: env.base, http: env.http, userIndex: 0, scopes: MicrosoftScopes.initial + ["Mail.ReadWrite"])
            current.withLock { $0 = upgraded }
            let allowed = try await call("update_message", ["id": id, "is_read": true])
            #expect(allowed.isError != true, "\(allowed.text)")
        }
    }

    @Test("Graph throttling becomes a tool error saying when to retry")
    func throttled() async throws {
        try await ToolSession.with { session in
            try await session.env.setFaults(#"{"throttleNextRequests": 20, "retryAfterSeconds": 2}"#)
            let result = try await session.call("get_profile")
            try await session.env.setFaults("{}")
            #expect(result.failed && result.text.contains("retry in 2 seconds"), "\(result.text)")
            #expect(!result.text.contains("Bearer") && !result.text.contains("eyJ"))
        }
    }
}
