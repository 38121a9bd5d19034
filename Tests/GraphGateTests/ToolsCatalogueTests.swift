import Foundation
import Logging
import MCPGateway
import MicrosoftGraph
import Testing

/// tools/list over real MCP: schemas, annotations, policy filtering, catalogue size.
@Suite("Tools: catalogue and policy", .serialized)
struct ToolsCatalogueTests {
    static let writeTools: Set<String> = [
        "create_draft", "send_draft", "send_message", "reply_to_message", "forward_message", "move_message",
        "update_message", "delete_message", "create_event", "update_event", "delete_event", "respond_to_event",
        "create_contact",
    ]
    static let readTools: Set<String> = [
        "list_mail_folders", "list_messages", "search_messages", "get_message", "list_attachments", "get_attachment",
        "list_events", "get_event", "list_contacts", "get_contact", "get_profile",
    ]

    @Test("every tool has a strict input schema, an output schema and annotations; size measured")
    func listing() async throws {
        try await ToolSession.with { session in
            let (tools, _) = try await session.client.listTools()
            #expect(Set(tools.map(\.name)) == Self.readTools.union(Self.writeTools))
            for tool in tools {
                let schema = try #require(tool.inputSchema.objectValue)
                #expect(schema["type"] == "object", "\(tool.name)")
                #expect(schema["additionalProperties"] == false, "\(tool.name) rejects unknown fields")
                #expect(tool.outputSchema?.objectValue?["type"] == "object", "\(tool.name) has an output schema")
                #expect(tool.annotations.title != nil)
                #expect(tool.annotations.readOnlyHint == !Self.writeTools.contains(tool.name), "\(tool.name)")
                #expect(tool.annotations.destructiveHint != nil && tool.annotations.idempotentHint != nil)
                #expect(tool.annotations.openWorldHint != nil)
                #expect((tool.description ?? "").count <= 120, "\(tool.name): keep descriptions short")
            }
            for name in ["send_message", "send_draft", "forward_message", "delete_message", "delete_event"] {
                #expect(tools.first { $0.name == name }?.annotations.destructiveHint == true, "\(name)")
            }
            let bytes = JSONWriter.bytes(["tools": .array(tools.map(\.json))]).count
            print("tool catalogue: \(tools.count) tools, \(bytes) bytes of tools/list JSON, ~\(bytes / 4) tokens")
            #expect(bytes / 4 < 9000, "the catalogue stays cheap in context tokens")
        }
    }

    @Test("read-only mode lists no write tool, refuses them, and asks for no write scope")
    func readOnly() async throws {
        try await ToolSession.with(policy: ToolPolicy(readOnly: true)) { session in
            let (tools, _) = try await session.client.listTools()
            #expect(Set(tools.map(\.name)) == Self.readTools)
            #expect(session.catalogue.writeScopes.isEmpty)
            await #expect(throws: JSONRPCError.self) {
                _ = try await session.call("send_message", ["to": ["a@contoso.sandbox"], "subject": "x", "body": "y"])
            }
            let log = try await session.env.control(.GET, "outbound")
            #expect(!String(decoding: log, as: UTF8.self).contains("a@contoso.sandbox"))
        }
        let full = ToolCatalogue(
            policy: ToolPolicy(), graph: ClosureGraphClientSource(client: { _, _ in throw ToolError.invalidCursor }),
            audit: MemoryAuditRecorder(), logger: Logger(label: "t"))
        #expect(
            Set(full.writeScopes) == Set(["Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "Contacts.ReadWrite"]))
    }

    @Test("scopes per call: a token without mcp:write lists no write tool and a write call is refused naming the scope")
    func scopesPerCall() async throws {
        try await ToolSession.with(tokenScopes: ["mcp"]) { session in
            let (tools, _) = try await session.client.listTools()
            #expect(Set(tools.map(\.name)) == Self.readTools)
            let before = try await session.env.control(.GET, "outbound")
            let refused = try await session.call(
                "send_message", ["to": [.string(session.env.user.mail)], "subject": "x", "body": "y"])
            #expect(refused.failed && refused.text.contains("mcp:write"), "\(refused.text)")
            #expect(!refused.text.contains("consent"), "a read-only client never gets a consent link")
            #expect(session.audit.all.last { $0.type == "tool.call" }?.outcome == .denied)
            #expect(try await session.env.control(.GET, "outbound") == before)
            #expect(try await session.call("get_profile").failed == false)
        }
    }

    @Test(
        "2026-07-28 elicitation: InputRequiredResult with a sealed requestState; a state for other arguments, or used once already, fails"
    )
    func inputRequired() async throws {
        try await ToolSession.with(policy: ToolPolicy(confirmSends: true)) { session in
            let me = Value.string(session.env.user.mail)
            let meta: Value = [
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": ["elicitation": [:]],
            ]
            let context = MCPRequestContext(
                principal: session.principal, era: .modern(version: "2026-07-28"),
                clientCapabilities: ["elicitation": [:]])
            func call(_ extra: JSONObject, subject: String = "asked") async throws -> Value {
                var params: JSONObject = [
                    "name": "send_message", "arguments": ["to": [me], "subject": .string(subject), "body": "b"],
                    "_meta": meta,
                ]
                for (key, value) in extra { params[key] = value }
                return try await session.core.respond(
                    to: JSONRPCRequest(id: .int(1), method: "tools/call", params: params), context: context
                ).get()
            }
            let first = try await call([:])
            #expect(first["resultType"] == "input_required")
            let state = try #require(first["requestState"])
            #expect(first["inputRequests"]?["confirm_send"]?["method"] == "elicitation/create")
            // Replayed for other arguments: refused, nothing sent.
            await #expect(throws: JSONRPCError.self) {
                _ = try await call(["requestState": state], subject: "other")
            }
            let declined = try await call([
                "requestState": state, "inputResponses": ["confirm_send": ["action": "decline"]],
            ])
            #expect(declined["isError"] == true && declined["resultType"] == "complete")
            // A state answers one retry: after the decline it is spent, and the call starts over.
            let accept: JSONObject = ["confirm_send": ["action": "accept", "content": ["confirm": true]]]
            await #expect(throws: JSONRPCError.self) {
                _ = try await call(["requestState": state, "inputResponses": .object(accept)])
            }
            let again = try #require(try await call([:])["requestState"])
            let accepted = try await call(["requestState": again, "inputResponses": .object(accept)])
            #expect(accepted["isError"] == false, "\(accepted)")
            // The confirmed retry replayed (a client or proxy retrying after a timeout) sends nothing again.
            do {
                _ = try await call(["requestState": again, "inputResponses": .object(accept)])
                Issue.record("a replayed confirmation was answered")
            } catch let error as JSONRPCError {
                #expect(error.message.contains("already used"))
            }
            // Nor another spelling of the same state (the unused low bits of its last base64url character).
            let text = try #require(again.stringValue)
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            if text.utf8.count % 4 != 0, let last = text.last, let index = alphabet.firstIndex(of: last) {
                let twin = String(text.dropLast()) + String(alphabet[index ^ 1])
                await #expect(throws: JSONRPCError.self) {
                    _ = try await call(["requestState": .string(twin), "inputResponses": .object(accept)])
                }
            } else {
                Issue.record("the sealed state has no unused bits to vary (\(text.utf8.count) characters)")
            }
        }
    }

    @Test("GRAPHGATE_TOOLS globs choose the tools")
    func globs() async throws {
        try await ToolSession.with(policy: ToolPolicy(toolPatterns: ["list_*", "get_message"])) { session in
            let names = Set(try await session.client.listTools().tools.map(\.name))
            #expect(
                names == [
                    "list_mail_folders", "list_messages", "list_attachments", "list_events", "list_contacts",
                    "get_message",
                ])
        }
    }
}
