import Foundation
import SQLKit
import Storage
import Testing

/// Incremental Microsoft consent in server mode (`/account/consent`, `/account/signin`, `web:` callbacks) and
/// the token endpoint's refusal of blocked users — over HTTP against the real app and the emulated tenant.
@Suite("OAuth incremental consent")
struct OAuthConsentTests {

    /// One `tools/call` over `/mcp` (stateless, JSON answer); returns (isError, text of the result).
    static func call(
        _ mcp: MCPTestClient, token: String, tool: String, arguments: String
    ) async throws -> (isError: Bool, text: String) {
        // A stateless 2026-07-28 request: no session to open first.
        let meta =
            #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#
        let body =
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments),"#
            + meta + "}}"
        let page = try await mcp.post(
            body, token: token,
            extra: [
                ("Accept", "application/json"), ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"),
                ("Mcp-Name", tool),
            ])
        guard page.status == 200,
            let json = try JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any],
            let result = json["result"] as? [String: Any]
        else { throw OAuthBrowser.Failure(description: "tools/call answered \(page.status): \(page.body.prefix(300))") }
        let text = (result["content"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            .joined(separator: "\n")
        return (result["isError"] as? Bool ?? false, text)
    }

    /// Follows a graphgate link through the emulated tenant (choosing the `userIndex`-th user, accepting its
    /// consent page) until graphgate answers a page of its own; returns that page.
    static func follow(
        _ url: String, base: String, browser: OAuthBrowser, userIndex: Int
    ) async throws
        -> OAuthBrowser.Page
    {
        var page = try await browser.get(url)
        for _ in 0..<12 {
            if let location = page.location {
                page = try await browser.get(OAuthBrowser.resolve(location, against: page.url))
                continue
            }
            if page.url.hasPrefix(base), page.status == 200, page.body.contains(#"action="/account/consent""#),
                let scope = OAuthBrowser.hidden("scope", in: page.body),
                let csrf = OAuthBrowser.hidden("csrf", in: page.body)
            {
                // graphgate's "grant permission" page: its button posts the form (POST + CSRF).
                page = try await browser.post(base + "/account/consent", form: [("scope", scope), ("csrf", csrf)])
                continue
            }
            if page.url.hasPrefix(base) { return page }
            guard page.status == 200, let returnTo = OAuthBrowser.hidden("return_to", in: page.body) else {
                throw OAuthBrowser.Failure(description: "\(page.status) at \(page.url): \(page.body.prefix(300))")
            }
            if let range = page.body.range(of: "/login/select") {
                let action = String(page.body[..<range.upperBound].split(separator: "\"").last ?? "")
                page = try await browser.post(
                    OAuthBrowser.resolve(action, against: page.url),
                    form: [("user", OAuthTestClient.userIds(in: page.body)[userIndex]), ("return_to", returnTo)])
            } else if let range = page.body.range(of: "/login/consent") {
                let action = String(page.body[..<range.upperBound].split(separator: "\"").last ?? "")
                page = try await browser.post(
                    OAuthBrowser.resolve(action, against: page.url),
                    form: [("decision", "accept"), ("return_to", returnTo)])
            } else {
                throw OAuthBrowser.Failure(description: "unexpected page at \(page.url)")
            }
        }
        throw OAuthBrowser.Failure(description: "the link did not come back to graphgate")
    }

    static func auditTypes(_ server: TestApp) async throws -> [(type: String, outcome: String, details: String)] {
        try await MCPHTTPTests.withStore(server) { database in
            try await database.read { db in
                try await db.raw("SELECT event_type, outcome, details FROM audit_log ORDER BY seq").all().map {
                    (
                        try $0.decode(column: "event_type", as: String.self),
                        try $0.decode(column: "outcome", as: String.self),
                        try $0.decode(column: "details", as: String.self)
                    )
                }
            }
        }
    }

    @Test("send_message without Mail.Send returns the consent link; granting it there makes the same call succeed")
    func incrementalConsent() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let tokens = try await client.tokens(userIndex: 0)
            let profile = try await Self.call(mcp, token: tokens.access, tool: "get_profile", arguments: "{}")
            #expect(!profile.isError, "\(profile.text)")
            let me = try #require(
                profile.text.split(whereSeparator: { " <>\n".contains($0) })
                    .first { $0.contains("@") && $0.contains(".") }.map(String.init))
            let subject = "Consent test \(UUID().uuidString.prefix(8))"
            let arguments = #"{"to":["\#(me)"],"subject":"\#(subject)","body":"hello"}"#

            let refused = try await Self.call(mcp, token: tokens.access, tool: "send_message", arguments: arguments)
            #expect(refused.isError && refused.text.contains("Mail.Send"), "\(refused.text)")
            let prefix = server.baseURL + "/account/consent?"
            let start = try #require(refused.text.range(of: prefix), "\(refused.text)")
            let link = String(refused.text[start.lowerBound...].prefix { !$0.isWhitespace })

            let done = try await Self.follow(link, base: server.baseURL, browser: browser, userIndex: 0)
            #expect(done.status == 200, "\(done.body.prefix(300))")
            #expect(done.body.contains("Mail.Send granted"))
            #expect(done.headers.first(name: "x-frame-options") == "DENY")
            #expect(done.headers.first(name: "cache-control") == "no-store")

            let sent = try await Self.call(mcp, token: tokens.access, tool: "send_message", arguments: arguments)
            #expect(!sent.isError, "\(sent.text)")
            let box = try await Self.call(
                mcp, token: tokens.access, tool: "list_messages", arguments: #"{"folder":"sentitems","page_size":50}"#)
            #expect(box.text.contains(subject), "\(box.text.prefix(300))")
            let audit = try await AuditSettling.eventually({ try await Self.auditTypes(server) }) {
                $0.contains { $0.type == "consent.microsoft" && $0.outcome == "success" }
            }
            #expect(audit.contains { $0.type == "consent.microsoft" && $0.outcome == "success" })
        }
    }

    @Test("an unknown or read scope is a 400 page and starts nothing; /account/signin starts a Microsoft sign-in")
    func unknownScope() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            for scope in ["Mail.Send%20Files.ReadWrite.All", "Directory.ReadWrite.All", "", "Mail.Read"] {
                let page = try await browser.get(server.url("/account/consent?scope=" + scope))
                #expect(page.status == 400, "\(scope)")
                #expect(page.location == nil)
                #expect(scope.isEmpty || !page.body.contains(scope))
            }
            let none = try await browser.get(server.url("/account/consent"))
            #expect(none.status == 400 && none.location == nil)
            let pending = try await MCPHTTPTests.withStore(server) { database in
                try await database.read { db in
                    try await db.raw("SELECT COUNT(*) AS n FROM pending_sign_ins").first()?
                        .decode(column: "n", as: Int.self)
                }
            }
            #expect(pending == 0)

            let form = try await browser.get(server.url("/account/consent?scope=mail.send+Calendars.ReadWrite"))
            #expect(form.status == 200 && form.location == nil, "a GET starts nothing")
            let consent = try await browser.post(
                server.url("/account/consent"),
                form: [
                    ("scope", try #require(OAuthBrowser.hidden("scope", in: form.body))),
                    ("csrf", try #require(OAuthBrowser.hidden("csrf", in: form.body))),
                ])
            #expect(consent.status == 302)
            let location = try #require(consent.location)
            #expect(location.contains("/oauth2/v2.0/authorize"))
            let scope = OAuthBrowser.query(location)["scope"] ?? ""
            #expect(scope.contains("Mail.Send") && scope.contains("Calendars.ReadWrite"))
            let signIn = try await browser.get(server.url("/account/signin"))
            #expect(signIn.status == 302)
            #expect(signIn.location?.contains("/oauth2/v2.0/authorize") == true)
            #expect(!(OAuthBrowser.query(signIn.location ?? "")["scope"] ?? "").contains("Mail.Send"))
        }
    }

    @Test(
        "a blocked user gets invalid_grant for refresh_token and authorization_code grants, audited",
        arguments: TestDatabases.backends)
    func blockedUserGetsNoTokens(backend: Database.Backend) async throws {
        try await OAuthFlowTests.withServer(backend: backend) { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let tokens = try await client.tokens(userIndex: 0)
            // A code issued before the block, redeemed after it.
            let login = try await client.login(userIndex: 0, state: "st-2")
            try await MCPHTTPTests.withStore(server) { database in
                let users = SQLUserStore(database: database)
                for user in try await users.allUsers(limit: 10) {
                    try await users.block(
                        Block(
                            subject: Block.userSubject(user.id), blockedUntil: nil, reason: "test", createdBy: "test",
                            createdAt: Timestamp.now))
                }
            }
            let refresh = try await client.token([
                ("grant_type", "refresh_token"), ("refresh_token", tokens.refresh), ("client_id", client.clientId),
            ])
            #expect(refresh.status == 400 && refresh.json["error"] as? String == "invalid_grant")
            #expect(refresh.json["access_token"] == nil)
            #expect(!refresh.page.body.contains(tokens.refresh))
            let code = try await client.exchange(code: login.code, verifier: login.verifier)
            #expect(code.status == 400 && code.json["error"] as? String == "invalid_grant")
            #expect(code.json["access_token"] == nil)
            @Sendable func refused(_ type: String) -> ([(type: String, outcome: String, details: String)]) -> Bool {
                { rows in rows.contains { $0.type == type && $0.outcome != "success" && $0.details.contains("blocked") }
                }
            }
            let audit = try await AuditSettling.eventually({ try await Self.auditTypes(server) }) {
                refused("token.refresh")($0) && refused("token.code")($0)
            }
            #expect(refused("token.refresh")(audit))
            #expect(refused("token.code")(audit))
        }
    }
}
