import Foundation
import SQLKit
import SecurityOps
import Storage
import Testing

/// `/admin` over HTTP against the real app and the emulated tenant: who may see it, what it shows, and its
/// block / unblock / revoke actions (CSRF + confirmation), checked by what the affected user's MCP client gets.
@Suite("Admin page")
struct AdminPageTests {
    /// Sandbox user 0 (Adele Vance) is the admin; user 2 (Megan Bowen) is the user acted on.
    static let adminUsername = "AdeleV@contoso.sandbox"
    static let userUsername = "MeganB@contoso.sandbox"
    static let environment = ["GRAPHGATE_ADMINS": adminUsername]
    static let list = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#

    /// The app with two people signed in, each in their own browser: the admin (through an MCP client's sign-in,
    /// which opens their browser session) and the user, who also has a live MCP session.
    struct World: Sendable {
        let server: TestApp
        let admin: OAuthBrowser
        let user: OAuthBrowser
        let mcp: MCPTestClient
        let token: String
        let session: String

        /// The user's next MCP request (`tools/list` on the live session).
        func userCall() async throws -> OAuthBrowser.Page {
            try await mcp.post(AdminPageTests.list, token: token, session: session)
        }

        func adminPage() async throws -> OAuthBrowser.Page {
            try await admin.get(server.url("/admin"))
        }

        /// The admin page once its security events list `types`: those are audit rows, which the batching audit
        /// writer stores up to ~100 ms after the request that caused them (longer on a loaded machine).
        func adminPage(showing types: [String]) async throws -> OAuthBrowser.Page {
            try await AuditSettling.eventually(within: .seconds(10), { try await adminPage() }) { page in
                let events = AdminPageTests.section("security-events", in: page.body)
                return types.allSatisfy { events.contains($0) }
            }
        }
    }

    static func withWorld<R: Sendable>(
        backend: Database.Backend = .sqlite, _ body: @escaping @Sendable (World) async throws -> R
    ) async throws -> R {
        try await OAuthFlowTests.withServer(backend: backend, environment: environment) { server, admin in
            let user = OAuthBrowser(server)
            do {
                _ = try await OAuthTestClient.register(base: server.baseURL, browser: admin).tokens(userIndex: 0)
                let tokens = try await OAuthTestClient.register(base: server.baseURL, browser: user).tokens(
                    userIndex: 2)
                let mcp = MCPTestClient(base: server.baseURL, browser: user)
                let session = try await mcp.open(token: tokens.access)
                let world = World(
                    server: server, admin: admin, user: user, mcp: mcp, token: tokens.access, session: session)
                #expect(try await world.userCall().status == 200)
                let result = try await body(world)
                await user.shutdown()
                return result
            } catch {
                await user.shutdown()
                throw error
            }
        }
    }

    // MARK: Reading the page

    /// The HTML of the element with `id` (up to its `</section>`).
    static func section(_ id: String, in html: String) -> String {
        guard let start = html.range(of: "id=\"\(id)\"") else { return "" }
        let rest = html[start.lowerBound...]
        return String(rest[..<(rest.range(of: "</section>")?.upperBound ?? rest.endIndex)])
    }

    /// The `<tr data-user-id>` rows of a section, keyed by user id.
    static func rows(in section: String) -> [String: String] {
        var rows: [String: String] = [:]
        for chunk in section.components(separatedBy: "<tr data-user-id=\"").dropFirst() {
            guard let end = chunk.firstIndex(of: "\"") else { continue }
            rows[String(chunk[..<end])] = String(chunk[..<(chunk.range(of: "</tr>")?.upperBound ?? chunk.endIndex)])
        }
        return rows
    }

    /// The id of the user row that shows `username`.
    static func userId(_ username: String, in html: String) throws -> String {
        let match = rows(in: section("users", in: html)).first { $0.value.contains(username) }
        return try #require(match?.key, "\(username) is not listed on /admin")
    }

    static func number(after marker: String, in html: String) -> Int? {
        guard let range = html.range(of: marker) else { return nil }
        return Int(html[range.upperBound...].prefix { $0.isNumber })
    }

    // MARK: Acting

    /// Step one: the page's form for `action` on `userId`. Returns the confirmation page (or the refusal).
    static func ask(
        _ world: World, _ action: String, userId: String, duration: String = "", csrf: String?
    ) async throws -> OAuthBrowser.Page {
        var form = [("action", action), ("user", userId), ("duration", duration)]
        if let csrf { form.append(("csrf", csrf)) }
        return try await world.admin.post(world.server.url("/admin/action"), form: form)
    }

    /// Step two: the confirmation page's final button.
    static func confirm(_ world: World, _ page: OAuthBrowser.Page) async throws -> OAuthBrowser.Page {
        #expect(page.status == 200 && page.body.contains("id=\"confirm\""), "\(page.status): \(page.body.prefix(300))")
        let form = ["csrf", "action", "user", "duration"].map { ($0, OAuthBrowser.hidden($0, in: page.body) ?? "") }
        return try await world.admin.post(
            world.server.url("/admin/action"), form: form + [("reason", "test incident"), ("confirm", "yes")])
    }

    /// Both steps, from the admin page.
    static func act(
        _ world: World, _ action: String, userId: String, duration: String = ""
    ) async throws -> OAuthBrowser.Page {
        let page = try await world.adminPage()
        let question = try await ask(
            world, action, userId: userId, duration: duration, csrf: OAuthBrowser.hidden("csrf", in: page.body))
        return try await confirm(world, question)
    }

    static func audit(
        _ server: TestApp
    ) async throws -> [(type: String, outcome: String, userId: String?, details: String)] {
        try await MCPHTTPTests.withStore(server) { database in
            try await AuditSettling.settled(database)
            return try await database.read { db in
                try await db.raw("SELECT event_type, outcome, user_id, details FROM audit_log ORDER BY seq").all().map {
                    (
                        try $0.decode(column: "event_type", as: String.self),
                        try $0.decode(column: "outcome", as: String.self),
                        try $0.decode(column: "user_id", as: String?.self),
                        try $0.decode(column: "details", as: String.self)
                    )
                }
            }
        }
    }

    // MARK: Tests

    @Test("the actions spend from the smaller per-address budget of the sign-in and consent pages; the page does not")
    func rateLimited() {
        let policy = RateLimitPolicy()
        #expect(policy.failureBudget(path: "/admin/action")?.name == policy.loginFailures.name)
        #expect(policy.failureBudget(path: "/admin") == nil)
    }

    @Test("without a browser session: the sign-in offer, and actions are refused")
    func signInOffer() async throws {
        try await OAuthFlowTests.withServer(environment: Self.environment) { server, browser in
            let page = try await browser.get(server.url("/admin"))
            #expect(page.status == 401)
            #expect(page.body.contains("action=\"/account/signin\""))
            #expect(!page.body.contains("id=\"users\""))
            let post = try await browser.post(
                server.url("/admin/action"), form: [("action", "block"), ("user", "x"), ("csrf", "x")])
            #expect(post.status == 401)
        }
    }

    @Test("a signed-in user who is not an admin gets 403, audited; the admin sees the attempt")
    func nonAdmin() async throws {
        try await Self.withWorld { world in
            let denied = try await world.user.get(world.server.url("/admin"))
            #expect(denied.status == 403)
            #expect(denied.body.contains("Administrators only"))
            #expect(!denied.body.contains("id=\"users\"") && !denied.body.contains(Self.adminUsername))
            let post = try await world.user.post(
                world.server.url("/admin/action"), form: [("action", "block"), ("user", "x"), ("csrf", "x")])
            #expect(post.status == 403)

            let page = try await world.adminPage(showing: ["admin.access"])
            let userId = try Self.userId(Self.userUsername, in: page.body)
            let rows = try await Self.audit(world.server).filter { $0.type == "admin.access" }
            #expect(rows.count == 2)
            #expect(rows.allSatisfy { $0.outcome == "denied" && $0.userId == userId })
            let events = Self.section("security-events", in: page.body)
            #expect(events.contains("admin.access") && events.contains(Self.userUsername))
        }
    }

    @Test(
        "the admin sees the users, alerts, counters, blocks, key status and security events",
        arguments: TestDatabases.backends)
    func overview(backend: Database.Backend) async throws {
        try await Self.withWorld(backend: backend) { world in
            // Thirty bad authorization codes from one address: the default failed-auth rule alerts and blocks
            // the address (bad bearer tokens would not: they only alert).
            for _ in 0..<30 {
                let answer = try await world.server.http.fetch(
                    world.server.url("/oauth/token"), method: .POST,
                    headers: [
                        ("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", "10.66.0.1"),
                    ], body: "grant_type=authorization_code&client_id=x&code=bad&code_verifier=v&redirect_uri=x")
                #expect(answer.status == 400 || answer.status == 401)
            }
            let page = try await world.adminPage(showing: ["security.alert", "security.auto_block"])
            #expect(page.status == 200)
            #expect(page.headers.first(name: "content-security-policy")?.contains("style-src 'sha256-") == true)
            for id in ["users", "blocked", "alerts", "counters", "keys", "security-events"] {
                #expect(page.body.contains("id=\"\(id)\""), "no #\(id)")
            }
            let users = Self.rows(in: Self.section("users", in: page.body))
            #expect(users.count == 2)
            let adminId = try Self.userId(Self.adminUsername, in: page.body)
            let userId = try Self.userId(Self.userUsername, in: page.body)
            let userRow = try #require(users[userId])
            #expect(userRow.contains("active"))
            #expect(Self.number(after: "data-label=\"Clients\" class=\"num\">", in: userRow) == 1)
            #expect(userRow.contains("name=\"action\" value=\"block\""))
            #expect(userRow.contains("name=\"action\" value=\"revoke\""))
            let adminRow = try #require(users[adminId])
            #expect(adminRow.contains("(you)") && !adminRow.contains("value=\"block\""), "no Block button on oneself")

            let alerts = Self.section("alerts", in: page.body)
            #expect(alerts.contains("Failed authentication") && alerts.contains("address 10.66.0.1"))
            let counters = Self.section("counters", in: page.body)
            let failed = Self.number(
                after: "Failed authentication</th><td data-label=\"By address\" class=\"num\">", in: counters)
            #expect((failed ?? 0) >= 30, "\(counters)")
            let blocked = Self.section("blocked", in: page.body)
            #expect(blocked.contains("address 10.66.0.1") && blocked.contains("automatic: failed_auth threshold"))

            let keys = Self.section("keys", in: page.body)
            #expect(keys.contains("Primary key 1,"))
            let blobs = Self.number(after: "data-label=\"Token blobs\" class=\"num\">", in: keys)
            #expect((blobs ?? 0) >= 2, "both users' Microsoft tokens are sealed under key 1: \(keys)")

            let events = Self.section("security-events", in: page.body)
            #expect(events.contains("security.alert") && events.contains("security.auto_block"))
            #expect(!events.contains("not-a-token"))
        }
    }

    @Test(
        "Block from the page (after confirming) refuses the user's MCP calls with 403; Unblock restores them",
        arguments: TestDatabases.backends)
    func blockAndUnblock(backend: Database.Backend) async throws {
        try await Self.withWorld(backend: backend) { world in
            let page = try await world.adminPage()
            let userId = try Self.userId(Self.userUsername, in: page.body)
            let adminId = try Self.userId(Self.adminUsername, in: page.body)
            let question = try await Self.ask(
                world, "block", userId: userId, duration: "2h", csrf: OAuthBrowser.hidden("csrf", in: page.body))
            #expect(question.status == 200)
            #expect(question.body.contains(Self.userUsername) && question.body.contains("for 2 h"))
            #expect(try await world.userCall().status == 200, "nothing happens before the confirmation")

            let done = try await Self.confirm(world, question)
            #expect(done.status == 200 && done.body.contains("Blocked"), "\(done.body.prefix(400))")
            let refused = try await world.userCall()
            #expect(refused.status == 403)
            #expect(refused.body.contains("blocked by the graphgate administrator"))

            let after = try await world.adminPage()
            let row = try #require(Self.rows(in: Self.section("users", in: after.body))[userId])
            #expect(row.contains("blocked until 20") && row.contains("value=\"unblock\""))
            #expect(Self.rows(in: Self.section("blocked", in: after.body))[userId]?.contains("test incident") == true)
            let block = try #require(try await Self.audit(world.server).last { $0.type == "admin.block" })
            #expect(block.userId == userId && block.details.contains("web:\(adminId)"))

            let unblocked = try await Self.act(world, "unblock", userId: userId)
            #expect(unblocked.status == 200 && unblocked.body.contains("Unblocked"))
            #expect(try await world.userCall().status == 200)
            let unblock = try #require(try await Self.audit(world.server).last { $0.type == "admin.unblock" })
            #expect(unblock.outcome == "success" && unblock.details.contains("web:\(adminId)"))
        }
    }

    @Test(
        "Revoke from the page makes the user's live MCP session fail on its next call",
        arguments: TestDatabases.backends)
    func revoke(backend: Database.Backend) async throws {
        try await Self.withWorld(backend: backend) { world in
            let page = try await world.adminPage()
            let userId = try Self.userId(Self.userUsername, in: page.body)
            let done = try await Self.act(world, "revoke", userId: userId)
            #expect(done.status == 200 && done.body.contains("Revoked"), "\(done.body.prefix(400))")
            #expect(done.body.contains("1 approval(s) revoked"))
            let after = try await world.userCall()
            #expect(after.status == 401)
            let row = try #require(Self.rows(in: Self.section("users", in: try await world.adminPage().body))[userId])
            #expect(row.contains("revoked"))
            let revoke = try #require(try await Self.audit(world.server).last { $0.type == "admin.revoke" })
            #expect(revoke.outcome == "success" && revoke.userId == userId)
        }
    }

    @Test("bad or missing CSRF, a skipped or altered confirmation, bad input and self-blocking change nothing")
    func refusals() async throws {
        try await Self.withWorld { world in
            let page = try await world.adminPage()
            let csrf = try #require(OAuthBrowser.hidden("csrf", in: page.body))
            let userId = try Self.userId(Self.userUsername, in: page.body)
            let adminId = try Self.userId(Self.adminUsername, in: page.body)
            let url = world.server.url("/admin/action")

            // CSRF: missing, wrong, or the page's token used to skip the confirmation page.
            #expect(try await Self.ask(world, "block", userId: userId, csrf: nil).status == 403)
            #expect(try await Self.ask(world, "revoke", userId: userId, csrf: "forged").status == 403)
            let skipped = try await world.admin.post(
                url, form: [("action", "block"), ("user", userId), ("csrf", csrf), ("confirm", "yes")])
            #expect(skipped.status == 403)
            // A confirmation for one request does not confirm another (here: a longer block).
            let question = try await Self.ask(world, "block", userId: userId, duration: "1h", csrf: csrf)
            let confirmCSRF = try #require(OAuthBrowser.hidden("csrf", in: question.body))
            let altered = try await world.admin.post(
                url,
                form: [
                    ("action", "block"), ("user", userId), ("duration", ""), ("csrf", confirmCSRF), ("confirm", "yes"),
                ])
            #expect(altered.status == 403)
            // The confirmation token without the final button's value is not a confirmation either.
            let unconfirmed = try await world.admin.post(
                url, form: [("action", "block"), ("user", userId), ("duration", "1h"), ("csrf", confirmCSRF)])
            #expect(unconfirmed.status == 403)

            // Bad input.
            let badAction = try await world.admin.post(
                url, form: [("action", "delete"), ("user", userId), ("csrf", csrf)])
            #expect(badAction.status == 400)
            let badDuration = try await Self.ask(world, "block", userId: userId, duration: "soon", csrf: csrf)
            #expect(badDuration.status == 400 && badDuration.body.contains("not a duration"))
            #expect(try await Self.ask(world, "block", userId: "no-such-user", csrf: csrf).status == 404)
            let notForm = try await world.admin.postJSON(url, json: #"{"action":"block"}"#)
            #expect(notForm.status == 400)

            // An admin cannot block themself.
            let selfBlock = try await Self.ask(world, "block", userId: adminId, csrf: csrf)
            #expect(selfBlock.status == 400 && selfBlock.body.contains("cannot block yourself"))

            #expect(try await world.userCall().status == 200)
            #expect(try await world.adminPage().status == 200)
            let audit = try await Self.audit(world.server)
            #expect(!audit.contains { ["admin.block", "admin.unblock", "admin.revoke"].contains($0.type) })
            let refusals = audit.filter { $0.type == "admin.action" }
            #expect(refusals.count == 6, "five CSRF refusals and the self-block: \(refusals)")
            #expect(refusals.allSatisfy { $0.outcome == "denied" && $0.userId == adminId })
        }
    }
}
