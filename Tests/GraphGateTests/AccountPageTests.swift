import Authorization
import Foundation
import GraphGateWeb
import SQLKit
import SecurityOps
import Storage
import Testing

/// The `/account` page and its actions, over HTTP against the real app and the emulated tenant: a user signs in
/// with a browser session (and MCP clients through our OAuth flow), then uses the page like a person would.
@Suite("Account page")
struct AccountPageTests {
    static let list = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#
    static let profile =
        #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_profile","arguments":{}}}"#
    static let stableIds = [
        "linked-account", "scopes", "clients", "sessions", "signout-everywhere", "events", "notices",
        "download-data", "delete-data",
    ]

    /// The CSRF token of the form posting to `action` on a page.
    static func csrf(for action: String, in html: String) throws -> String {
        let form = try #require(html.range(of: "action=\"\(action)\""), "no form for \(action)")
        return try #require(OAuthBrowser.hidden("csrf", in: String(html[form.upperBound...])))
    }

    /// The number of open assistant connections the page reports.
    static func openConnections(_ html: String) throws -> Int {
        let start = try #require(html.range(of: "id=\"mcp-sessions\">"))
        return try #require(Int(html[start.upperBound...].prefix { $0.isNumber }))
    }

    /// True for the page a browser without a graphgate session gets.
    static func isSignInPage(_ page: OAuthBrowser.Page) -> Bool {
        page.status == 200 && page.body.contains("action=\"/account/signin\"") && !page.body.contains("id=\"clients\"")
    }

    static func rows(_ server: TestApp, _ sql: SQLQueryString) async throws -> Int {
        try await MCPHTTPTests.withStore(server) { database in
            try await database.read { db in try await db.raw(sql).first()?.decode(column: "n", as: Int.self) ?? -1 }
        }
    }

    /// The id of the user a client's grants belong to.
    static func userId(_ server: TestApp, client: OAuthTestClient) async throws -> String {
        let id = try await MCPHTTPTests.withStore(server) { database in
            try await database.read { db in
                try await db.raw("SELECT user_id FROM oauth_grants WHERE client_id = \(bind: client.clientId)").first()?
                    .decode(column: "user_id", as: String.self)
            }
        }
        return try #require(id)
    }

    static func user(_ server: TestApp, id: String) async throws -> User? {
        try await MCPHTTPTests.withStore(server) { database in try await SQLUserStore(database: database).user(id: id) }
    }

    static func auditRows(_ server: TestApp, userId: String) async throws -> [AuditRow] {
        try await MCPHTTPTests.withStore(server) { database in
            try await AuditSettling.settled(database)
            return try await SQLAuditStore(database: database).recent(userId: userId, limit: 1000)
        }
    }

    /// Runs `body` with a second, independent browser (another person, or the same person elsewhere).
    static func withBrowser<R: Sendable>(
        _ server: TestApp, _ body: (OAuthBrowser) async throws -> R
    ) async throws -> R {
        let browser = OAuthBrowser(server)
        do {
            let result = try await body(browser)
            await browser.shutdown()
            return result
        } catch {
            await browser.shutdown()
            throw error
        }
    }

    @Test("without a session the page offers the Microsoft sign-in, POSTs are 401, and signing in lands on /account")
    func requiresSignIn() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let page = try await browser.get(server.url("/account"))
            #expect(Self.isSignInPage(page), "\(page.status) \(page.body.prefix(300))")
            #expect(page.body.contains("Sign in with"))
            for path in ["/account/revoke", "/account/signout-everywhere", "/account/data", "/account/delete"] {
                let post = try await browser.post(
                    server.url(path), form: [("csrf", "forged"), ("revoke", "any"), ("confirm", "yes")])
                #expect(post.status == 401, "\(path)")
                #expect(post.headers.first(name: "content-disposition") == nil)
            }

            let landed = try await OAuthConsentTests.follow(
                server.url("/account/signin"), base: server.baseURL, browser: browser, userIndex: 0)
            #expect(landed.url == server.url("/account"))
            #expect(landed.status == 200 && landed.body.contains("id=\"linked-account\""))
            for id in Self.stableIds { #expect(landed.body.contains("id=\"\(id)\""), "\(id)") }
            #expect(try await browser.get(server.url("/")).body.contains("href=\"/account\""))
        }
    }

    @Test(
        "a user sees their own account, clients and events and never another user's", arguments: TestDatabases.backends)
    func ownDataOnly(backend: Database.Backend) async throws {
        try await OAuthFlowTests.withServer(backend: backend) { server, browser in
            try await Self.withBrowser(server) { otherBrowser in
                let mcp = MCPTestClient(base: server.baseURL, browser: browser)
                let alice = try await OAuthTestClient.register(
                    base: server.baseURL, browser: browser, name: "Alice Assistant")
                let aliceTokens = try await alice.tokens(userIndex: 0)
                let session = try await mcp.open(token: aliceTokens.access)
                #expect(try await mcp.post(Self.profile, token: aliceTokens.access, session: session).status == 200)
                let bob = try await OAuthTestClient.register(
                    base: server.baseURL, browser: otherBrowser, name: "Bob Assistant")
                let bobTokens = try await bob.tokens(userIndex: 1)
                let aliceUser = try #require(try await Self.user(server, id: Self.userId(server, client: alice)))
                let bobUser = try #require(try await Self.user(server, id: Self.userId(server, client: bob)))
                #expect(aliceUser.id != bobUser.id)

                let page = try await browser.get(server.url("/account"))
                #expect(page.status == 200)
                #expect(page.body.contains(aliceUser.username) && page.body.contains(aliceUser.tenantId))
                #expect(
                    page.body.contains("data-client-id=\"\(alice.clientId)\"") && page.body.contains("Alice Assistant"))
                #expect(page.body.contains("Tool call: get_profile"))
                #expect(
                    page.body.contains("Mail.Read") && page.body.contains("href=\"/account/consent?scope=Mail.Send\""))
                #expect(try Self.openConnections(page.body) == 1)
                for leak in [bobUser.username, bobUser.id, bob.clientId, "Bob Assistant"] {
                    #expect(!page.body.contains(leak), "Alice's page shows \(leak)")
                }
                #expect(page.headers.first(name: "content-security-policy")?.contains("frame-ancestors 'none'") == true)
                #expect(!page.body.contains("<script") && !page.body.contains(" style="))
                for secret in [aliceTokens.access, aliceTokens.refresh] { #expect(!page.body.contains(secret)) }

                let other = try await otherBrowser.get(server.url("/account"))
                #expect(other.body.contains(bobUser.username) && other.body.contains("Bob Assistant"))
                for leak in [aliceUser.username, alice.clientId, "Alice Assistant", "get_profile"] {
                    #expect(!other.body.contains(leak), "Bob's page shows \(leak)")
                }

                // Alice's form, naming Bob's client: nothing to revoke for her, and Bob keeps his access.
                let forged = try await browser.post(
                    server.url("/account/revoke"),
                    form: [("revoke", bob.clientId), ("csrf", try Self.csrf(for: "/account/revoke", in: page.body))])
                #expect(forged.status == 404)
                #expect(
                    try await MCPTestClient(base: server.baseURL, browser: otherBrowser).open(token: bobTokens.access)
                        != "")
            }
        }
    }

    @Test(
        "revoke from the page: that client's token gets 401 and its MCP session ends; the other client keeps working",
        arguments: TestDatabases.backends)
    func revokeFromPage(backend: Database.Backend) async throws {
        try await OAuthFlowTests.withServer(backend: backend) { server, browser in
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let first = try await OAuthTestClient.register(base: server.baseURL, browser: browser, name: "First One")
            let second = try await OAuthTestClient.register(base: server.baseURL, browser: browser, name: "Second One")
            let firstTokens = try await first.tokens(userIndex: 0)
            let secondTokens = try await second.tokens(userIndex: 0)
            let firstSession = try await mcp.open(token: firstTokens.access)
            let secondSession = try await mcp.open(token: secondTokens.access)
            let userId = try await Self.userId(server, client: first)

            let page = try await browser.get(server.url("/account"))
            #expect(try Self.openConnections(page.body) == 2)
            #expect(page.body.contains("data-client-id=\"\(first.clientId)\""))
            #expect(page.body.contains("name=\"revoke\" value=\"\(first.clientId)\""))
            let csrf = try Self.csrf(for: "/account/revoke", in: page.body)

            // Missing, wrong, and another purpose's token: 403, nothing revoked.
            let otherPurpose = try Self.csrf(for: "/account/signout-everywhere", in: page.body)
            for form in [
                [("revoke", first.clientId)], [("revoke", first.clientId), ("csrf", csrf + "x")],
                [("revoke", first.clientId), ("csrf", otherPurpose)],
            ] {
                let refused = try await browser.post(server.url("/account/revoke"), form: form)
                #expect(refused.status == 403)
                #expect(refused.body.contains("Nothing was changed"))
            }
            #expect(try await mcp.post(Self.list, token: firstTokens.access, session: firstSession).status == 200)
            #expect(try await Self.openConnections(browser.get(server.url("/account")).body) == 2)

            let revoked = try await browser.post(
                server.url("/account/revoke"), form: [("revoke", first.clientId), ("csrf", csrf)])
            #expect(revoked.status == 303 && revoked.location == "/account?done=revoked")
            #expect(try await mcp.post(Self.list, token: firstTokens.access, session: firstSession).status == 401)
            #expect(try await mcp.post(MCPTestClient.initialize, token: firstTokens.access).status == 401)
            let refresh = try await first.token([
                ("grant_type", "refresh_token"), ("refresh_token", firstTokens.refresh), ("client_id", first.clientId),
            ])
            #expect(refresh.status == 400 && refresh.json["error"] as? String == "invalid_grant")
            #expect(try await mcp.post(Self.list, token: secondTokens.access, session: secondSession).status == 200)

            let after = try await browser.get(server.url(try #require(revoked.location)))
            #expect(try Self.openConnections(after.body) == 1, "the revoked client's MCP session is closed")
            #expect(!after.body.contains("data-client-id=\"\(first.clientId)\""))
            #expect(after.body.contains("data-client-id=\"\(second.clientId)\""))
            #expect(after.body.contains("access was revoked"))

            let audit = try await Self.auditRows(server, userId: userId)
            #expect(
                audit.contains {
                    $0.eventType == "account.client.revoke" && $0.outcome == "success" && $0.clientId == first.clientId
                })
            #expect(audit.filter { $0.eventType == "account.client.revoke" && $0.outcome == "denied" }.count == 3)
            // Allowing the client again needs the consent page: the remembered approval was withdrawn.
            let (_, challenge) = OAuthTestClient.pkce()
            let again = try await first.signIn(first.authorizeURL(challenge: challenge), userIndex: 0)
            #expect(again.body.contains("action=\"/oauth/consent\""))
        }
    }

    @Test("sign out everywhere ends every browser session of the user, and only with a valid CSRF token")
    func signOutEverywhere() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            try await Self.withBrowser(server) { laptop in
                let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
                let tokens = try await client.tokens(userIndex: 0)
                let userId = try await Self.userId(server, client: client)
                let elsewhere = try await OAuthConsentTests.follow(
                    server.url("/account/signin"), base: server.baseURL, browser: laptop, userIndex: 0)
                #expect(elsewhere.body.contains("id=\"signout-everywhere\""))

                let page = try await browser.get(server.url("/account"))
                #expect(page.body.contains("2 browser session(s)") && page.body.contains("this browser"))
                let refused = try await browser.post(
                    server.url("/account/signout-everywhere"),
                    form: [("csrf", try Self.csrf(for: "/account/revoke", in: page.body))])
                #expect(refused.status == 403)
                #expect(!Self.isSignInPage(try await laptop.get(server.url("/account"))))

                let done = try await browser.post(
                    server.url("/account/signout-everywhere"),
                    form: [("csrf", try Self.csrf(for: "/account/signout-everywhere", in: page.body))])
                #expect(done.status == 200)
                #expect(done.headers.first(name: "set-cookie")?.contains("Max-Age=0") == true)
                #expect(Self.isSignInPage(try await laptop.get(server.url("/account"))))
                #expect(Self.isSignInPage(try await browser.get(server.url("/account"))))
                #expect(
                    try await Self.rows(
                        server, "SELECT COUNT(*) AS n FROM browser_sessions WHERE user_id = \(bind: userId)") == 0)
                // Assistants are not browser sessions: they keep working.
                let mcp = MCPTestClient(base: server.baseURL, browser: browser)
                #expect(try await mcp.open(token: tokens.access) != "")
                let audit = try await Self.auditRows(server, userId: userId)
                #expect(audit.contains { $0.eventType == "account.signout_everywhere" && $0.outcome == "success" })
            }
        }
    }

    @Test(
        "download my data: a JSON attachment of the user's data with no token or secret",
        arguments: TestDatabases.backends)
    func download(backend: Database.Backend) async throws {
        try await OAuthFlowTests.withServer(backend: backend) { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser, name: "Export Me")
            let tokens = try await client.tokens(userIndex: 0)
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let session = try await mcp.open(token: tokens.access)
            #expect(try await mcp.post(Self.profile, token: tokens.access, session: session).status == 200)
            let user = try #require(try await Self.user(server, id: Self.userId(server, client: client)))

            let page = try await browser.get(server.url("/account"))
            let csrf = try Self.csrf(for: "/account/data", in: page.body)
            let refused = try await browser.post(server.url("/account/data"), form: [("csrf", "forged")])
            #expect(refused.status == 403 && refused.headers.first(name: "content-disposition") == nil)

            let file = try await browser.post(server.url("/account/data"), form: [("csrf", csrf)])
            #expect(file.status == 200)
            #expect(file.headers.first(name: "content-type")?.hasPrefix("application/json") == true)
            #expect(file.headers.first(name: "content-disposition")?.hasPrefix("attachment") == true)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(file.body.utf8)) as? [String: Any])
            let userPart = try #require(json["user"] as? [String: Any])
            #expect(userPart["username"] as? String == user.username && userPart["id"] as? String == user.id)
            let accounts = try #require(json["linkedAccounts"] as? [[String: Any]])
            #expect(accounts.count == 1 && (accounts[0]["grantedScopes"] as? [String])?.contains("Mail.Read") == true)
            #expect((json["grants"] as? [[String: Any]])?.map { $0["clientId"] as? String } == [client.clientId])
            #expect((json["clients"] as? [[String: Any]])?.contains { $0["name"] as? String == "Export Me" } == true)
            let events = try #require(json["auditEvents"] as? [[String: Any]])
            #expect(events.contains { $0["type"] as? String == "tool.call" })
            #expect((json["browserSessions"] as? [Any])?.count == 1)

            // Nothing secret: the tenant's tokens, ours, the session cookie, and the hashes we store of them.
            let signIn = try await browser.get(server.url("/account/signin"))
            let location = try #require(signIn.location)
            let tenant = try #require(URLComponents(string: location))
            let secretsPage = try await browser.get(
                "http://\(tenant.host ?? ""):\(tenant.port ?? 0)/_sandbox/secrets")
            let issued = try #require(
                try JSONSerialization.jsonObject(with: Data(secretsPage.body.utf8)) as? [String: Any])
            var secrets = ["accessTokens", "refreshTokens", "idTokens", "authorizationCodes", "sessionCookies"]
                .flatMap { issued[$0] as? [String] ?? [] }
            #expect(secrets.count >= 3)
            // Every cookie but the sign-in bindings (their value is a constant; the name carries the binding).
            secrets +=
                [tokens.access, tokens.refresh]
                + browser.cookies(for: server.baseURL).filter { !$0.key.hasPrefix("gg_signin_") }.values
            secrets += try await MCPHTTPTests.withStore(server) { database in
                try await database.read { db in
                    try await db.raw("SELECT token_hash AS h FROM oauth_tokens").all().map {
                        try $0.decode(column: "h", as: String.self)
                    }
                        + db.raw("SELECT id_hash AS h FROM browser_sessions").all().map {
                            try $0.decode(column: "h", as: String.self)
                        }
                }
            }
            #expect(LeakForms.leaked(secrets, in: file.body).isEmpty)
            for prefix in ["gga_", "ggr_", "ggs_", "ggc_"] { #expect(!file.body.contains(prefix)) }
            let audit = try await Self.auditRows(server, userId: user.id)
            #expect(audit.contains { $0.eventType == "account.export" && $0.outcome == "success" })
        }
    }

    @Test(
        "delete my data removes tokens, grants, sessions and the linked account, signs out, and keeps audit rows",
        arguments: TestDatabases.backends)
    func deleteData(backend: Database.Backend) async throws {
        try await OAuthFlowTests.withServer(backend: backend) { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let tokens = try await client.tokens(userIndex: 0)
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let session = try await mcp.open(token: tokens.access)
            let userId = try await Self.userId(server, client: client)
            let page = try await browser.get(server.url("/account"))
            #expect(page.body.contains("kept for 365 days"))
            let csrf = try Self.csrf(for: "/account/delete", in: page.body)

            let tables = [
                "users WHERE id", "accounts WHERE user_id", "token_blobs WHERE user_id", "oauth_grants WHERE user_id",
                "oauth_tokens WHERE user_id", "oauth_codes WHERE user_id", "oauth_consents WHERE user_id",
                "browser_sessions WHERE user_id",
            ]
            func counts() async throws -> [Int] {
                var result: [Int] = []
                for table in tables {
                    result.append(
                        try await Self.rows(server, "SELECT COUNT(*) AS n FROM \(unsafeRaw: table) = \(bind: userId)"))
                }
                return result
            }
            let before = try await counts()
            #expect(!before.contains(0), "\(before)")

            let unconfirmed = try await browser.post(server.url("/account/delete"), form: [("csrf", csrf)])
            #expect(unconfirmed.status == 400)
            let forged = try await browser.post(
                server.url("/account/delete"),
                form: [("csrf", try Self.csrf(for: "/account/data", in: page.body)), ("confirm", "yes")])
            #expect(forged.status == 403)
            #expect(try await counts() == before)
            #expect(try await mcp.post(Self.list, token: tokens.access, session: session).status == 200)

            let deleted = try await browser.post(
                server.url("/account/delete"), form: [("csrf", csrf), ("confirm", "yes")])
            #expect(deleted.status == 200 && deleted.body.contains("deleted"))
            #expect(deleted.headers.first(name: "set-cookie")?.contains("Max-Age=0") == true)
            #expect(try await counts() == Array(repeating: 0, count: tables.count))
            #expect(try await mcp.post(Self.list, token: tokens.access, session: session).status == 401)
            #expect(try await mcp.post(MCPTestClient.initialize, token: tokens.access).status == 401)
            #expect(Self.isSignInPage(try await browser.get(server.url("/account"))))

            let audit = try await Self.auditRows(server, userId: userId)
            #expect(audit.contains { $0.eventType == "account.delete" && $0.outcome == "success" })
            #expect(audit.contains { $0.eventType == "tool.call" || $0.eventType == "token.issue" })
            let intact = try await MCPHTTPTests.withStore(server) { database in
                try await AuditVerifier(store: SQLAuditStore(database: database), key: nil).verify().isIntact
            }
            #expect(intact)
        }
    }

    @Test("notices: a block and a Microsoft sign-in that needs renewing are shown; a blocked user cannot erase data")
    func noticesAndBlock() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let landed = try await OAuthConsentTests.follow(
                server.url("/account/signin"), base: server.baseURL, browser: browser, userIndex: 0)
            #expect(landed.body.contains("Nothing needs your attention"))
            try await MCPHTTPTests.withStore(server) { database in
                let users = SQLUserStore(database: database)
                let user = try #require(try await users.allUsers(limit: 1).first)
                for account in try await users.accounts(userId: user.id) {
                    try await users.setAccountStatus(id: account.id, .needsSignIn)
                }
                try await users.block(
                    Block(
                        subject: Block.userSubject(user.id), blockedUntil: nil, reason: "test", createdBy: "ops",
                        createdAt: Timestamp.now))
            }
            let page = try await browser.get(server.url("/account"))
            let start = try #require(page.body.range(of: "id=\"notices\""))
            let notices = String(page.body[start.lowerBound...].prefix(1500))
            #expect(notices.contains("blocked by the graphgate administrator"))
            #expect(notices.contains("href=\"/account/signin\""))
            let refused = try await browser.post(
                server.url("/account/delete"),
                form: [("csrf", try Self.csrf(for: "/account/delete", in: page.body)), ("confirm", "yes")])
            #expect(refused.status == 403)
            #expect(try await Self.rows(server, "SELECT COUNT(*) AS n FROM users") == 1)
        }
    }
}

@Suite("Consent page warnings")
struct ConsentPageWarningTests {
    func consent(redirectHost: String, documentHost: String?, loopbackOnly: Bool = false) -> WebPage.Consent {
        WebPage.Consent(
            clientName: "App", redirectHost: redirectHost, displayName: "A", username: "a", capabilities: [],
            unverified: false, documentHost: documentHost, loopbackOnly: loopbackOnly, request: "r", csrf: "c",
            signoutCSRF: "s")
    }

    @Test("a metadata document client sending the person to another site than its document's is flagged")
    func documentMismatch() {
        #expect(consent(redirectHost: "evil.example", documentHost: "app.example").documentMismatch)
        #expect(consent(redirectHost: "evil.example:8443", documentHost: "app.example").documentMismatch)
        #expect(!consent(redirectHost: "app.example", documentHost: "app.example").documentMismatch)
        #expect(!consent(redirectHost: "login.app.example", documentHost: "app.example").documentMismatch)
        #expect(consent(redirectHost: "notapp.example", documentHost: "app.example").documentMismatch)
        #expect(!consent(redirectHost: "evil.example", documentHost: nil).documentMismatch, "registered clients")
        #expect(
            !consent(redirectHost: "127.0.0.1:3000", documentHost: "app.example", loopbackOnly: true).documentMismatch,
            "loopback has its own warning")
    }
}
