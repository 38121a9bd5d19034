import Authorization
import Foundation
import Logging
import MCPGateway
import Storage
import Synchronization
import Testing

/// `/mcp` over HTTP: authentication before any MCP object, audience and scope, sessions bound to users.
@Suite("MCP over HTTP")
struct MCPHTTPTests {
    /// Runs `body` on a second connection to the server's store (SQLite may be busy for a moment under parallel
    /// tests: opening is retried).
    static func withStore<R: Sendable>(
        _ server: TestApp, _ body: @escaping @Sendable (Database) async throws -> R
    )
        async throws -> R
    {
        for attempt in 1...10 {
            do {
                let database = try await Database.open(server.config.database, logger: Logger(label: "test"))
                return try await database.withRunning { try await body(database) }
            } catch StorageError.unavailable where attempt < 10 {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        throw StorageError.unavailable("the test store stayed busy")
    }

    /// Inserts a grant and an access token of ours directly (for audiences and scopes the flow never issues).
    static func plantToken(server: TestApp, audience: String, scope: String) async throws -> String {
        try await withStore(server) { database in try await plantToken(database, audience: audience, scope: scope) }
    }

    static func plantToken(_ database: Database, audience: String, scope: String) async throws -> String {
        let user = try await SQLUserStore(database: database).upsertUser(
            tenantId: "t-planted", objectId: UUID().uuidString, username: "planted@example.test", displayName: "Planted"
        )
        let store = SQLOAuthStore(database: database)
        let now = Timestamp.now
        let grant = OAuthGrantRecord(
            id: UUID().uuidString, userId: user.id, clientId: "planted", scope: scope, resource: audience,
            createdAt: now)
        try await store.insertGrant(
            grant,
            code: OAuthCodeRecord(
                codeHash: UUID().uuidString, grantId: grant.id, clientId: "planted", userId: user.id,
                redirectURI: "x", codeChallenge: "x", resource: audience, scope: scope, createdAt: now, expiresAt: now))
        let token = OpaqueSecret.generate(prefix: OpaqueSecret.accessTokenPrefix)
        _ = try await store.insertTokens(
            [
                OAuthTokenRecord(
                    tokenHash: OpaqueSecret.hash(token), kind: .access, grantId: grant.id, userId: user.id,
                    clientId: "planted", scope: scope, audience: audience, createdAt: now, expiresAt: now + 600)
            ], now: now)
        return token
    }

    @Test("401 without a token: WWW-Authenticate names the resource metadata; a bad token adds invalid_token")
    func unauthorizedShape() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let none = try await mcp.post(MCPTestClient.initialize, token: nil)
            #expect(none.status == 401)
            let challenge = try #require(none.headers.first(name: "www-authenticate"))
            #expect(challenge.hasPrefix("Bearer "))
            #expect(
                challenge.contains(#"resource_metadata="\#(server.baseURL)/.well-known/oauth-protected-resource/mcp""#))
            #expect(!challenge.contains("error="))
            // The metadata it names is served.
            #expect(try await browser.get(server.url("/.well-known/oauth-protected-resource/mcp")).status == 200)

            let bogus = "gga_" + String(repeating: "x", count: 43)
            for header in ["Bearer " + bogus, "Bearer not-ours", "Bearer "] {
                let page = try await browser.postJSON(
                    server.url("/mcp"), json: MCPTestClient.initialize,
                    headers: [("Authorization", header), ("Accept", "application/json, text/event-stream")])
                #expect(page.status == 401)
                let value = page.headers.first(name: "www-authenticate") ?? ""
                #expect(value.contains("resource_metadata="))
                #expect(value.contains(#"error="invalid_token""#) || value.contains(#"error="invalid_request""#))
                #expect(!page.body.contains(bogus))
            }
            let basic = try await browser.postJSON(
                server.url("/mcp"), json: MCPTestClient.initialize, headers: [("Authorization", "Basic dTpw")])
            #expect(basic.status == 401)
            // GET and DELETE are authenticated the same way.
            let get = try await browser.get(server.url("/mcp"), headers: [("Accept", "text/event-stream")])
            #expect(get.status == 401)
        }
    }

    @Test("foreign tokens, tokens for another audience, refresh tokens and Microsoft's tokens are refused")
    func audienceAndForeignTokens() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let otherAudience = try await Self.plantToken(
                server: server, audience: "https://other.example/mcp", scope: "mcp mcp:write")
            let page = try await mcp.post(MCPTestClient.initialize, token: otherAudience)
            #expect(page.status == 401)
            #expect(page.headers.first(name: "www-authenticate")?.contains(#"error="invalid_token""#) == true)
            // The same kind of token for our audience works (the check above is the audience, nothing else).
            let ours = try await Self.plantToken(server: server, audience: server.baseURL + "/mcp", scope: "mcp")
            #expect(try await mcp.post(MCPTestClient.initialize, token: ours).status == 200)

            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let tokens = try await client.tokens(userIndex: 0)
            #expect(try await mcp.post(MCPTestClient.initialize, token: tokens.refresh).status == 401)
            // A JWT-shaped token (what Microsoft issues) is not ours, whatever it says.
            let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwOi8vMTI3LjAuMC4xL21jcCJ9.c2ln"
            #expect(try await mcp.post(MCPTestClient.initialize, token: jwt).status == 401)
            #expect(try await mcp.post(MCPTestClient.initialize, token: tokens.access).status == 200)
        }
    }

    @Test("a token without the mcp scope gets 403 insufficient_scope; a blocked user gets 403")
    func scopeAndBlock() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let writeOnly = try await Self.plantToken(
                server: server, audience: server.baseURL + "/mcp", scope: "mcp:write")
            let page = try await mcp.post(MCPTestClient.initialize, token: writeOnly)
            #expect(page.status == 403)
            let challenge = page.headers.first(name: "www-authenticate") ?? ""
            #expect(challenge.contains(#"error="insufficient_scope""#) && challenge.contains(#"scope="mcp""#))

            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let tokens = try await client.tokens(userIndex: 0)
            #expect(try await mcp.post(MCPTestClient.initialize, token: tokens.access).status == 200)
            try await Self.withStore(server) { database in
                let users = SQLUserStore(database: database)
                for user in try await users.allUsers(limit: 10) {
                    try await users.block(
                        Block(
                            subject: Block.userSubject(user.id), blockedUntil: nil, reason: "test", createdBy: "test",
                            createdAt: Timestamp.now))
                }
            }
            let blocked = try await mcp.post(MCPTestClient.initialize, token: tokens.access)
            #expect(blocked.status == 403)
            #expect(blocked.body.contains("blocked"))
        }
    }

    @Test(
        "a session belongs to its user: A's session id with B's token is 404; revoking A closes it",
        arguments: TestDatabases.backends)
    func sessionBinding(backend: Database.Backend) async throws {
        try await OAuthFlowTests.withServer(backend: backend) { server, browser in
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let alice = try await client.tokens(userIndex: 0)
            browser.clearCookies()
            let bob = try await client.tokens(userIndex: 1)
            let session = try await mcp.open(token: alice.access)
            let list = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#
            let mine = try await mcp.post(list, token: alice.access, session: session)
            #expect(mine.status == 200)
            #expect(mine.body.contains("get_profile"))

            let stolen = try await mcp.post(list, token: bob.access, session: session)
            #expect(stolen.status == 404)
            #expect(!stolen.body.contains("get_profile"))
            let stolenDelete = try await browser.send(
                server.url("/mcp"), method: .DELETE,
                headers: [("Authorization", "Bearer \(bob.access)"), ("Mcp-Session-Id", session)], body: nil)
            #expect(stolenDelete.status == 404)
            // Still alive for Alice.
            #expect(try await mcp.post(list, token: alice.access, session: session).status == 200)
            // A new login of Alice (another grant) does not inherit the session either.
            browser.clearCookies()
            let aliceAgain = try await client.tokens(userIndex: 0)
            #expect(try await mcp.post(list, token: aliceAgain.access, session: session).status == 404)

            // Revoking Alice's first grant (her refresh token, RFC 7009) ends the session and the token.
            let revoke = try await browser.post(
                server.url("/oauth/revoke"), form: [("token", alice.refresh), ("client_id", client.clientId)])
            #expect(revoke.status == 200)
            #expect(try await mcp.post(list, token: alice.access, session: session).status == 401)
            #expect(try await mcp.post(list, token: aliceAgain.access, session: session).status == 404)
            // Bob is untouched.
            let bobSession = try await mcp.open(token: bob.access)
            #expect(try await mcp.post(list, token: bob.access, session: bobSession).status == 200)
        }
    }

    @Test("Origin from another site is refused before authentication; unsupported protocol version is 400")
    func originAndVersion() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let evil = try await mcp.post(
                MCPTestClient.initialize, token: nil, extra: [("Origin", "http://evil.example")])
            #expect(evil.status == 403)
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let tokens = try await client.tokens(userIndex: 0)
            let rebinding = try await mcp.post(
                MCPTestClient.initialize, token: tokens.access, extra: [("Origin", "http://127.0.0.1.evil.example")])
            #expect(rebinding.status == 403)
            let same = try await mcp.post(
                MCPTestClient.initialize, token: tokens.access, extra: [("Origin", server.baseURL)])
            #expect(same.status == 200)
            let session = try #require(same.headers.first(name: "mcp-session-id"))
            let version = try await mcp.post(
                #"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#, token: tokens.access, session: session,
                extra: [("MCP-Protocol-Version", "1999-01-01")])
            #expect(version.status == 400)
            let tooBig = try await mcp.post(
                #"{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"x":""#
                    + String(repeating: "a", count: 600_000) + "\"}}",
                token: tokens.access, session: session)
            #expect(tooBig.status == 413)
            // Without a session id, anything but initialize is refused.
            let noSession = try await mcp.post(#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#, token: tokens.access)
            #expect(noSession.status == 400)
        }
    }

    @Test("2026-07-28: stateless answers without a session id; users never share one; headers must match the body")
    func modernEra() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let alice = try await client.tokens(userIndex: 0)
            browser.clearCookies()
            let bob = try await client.tokens(userIndex: 1)
            let meta =
                #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#
            let call =
                #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_profile","arguments":{},"# + meta
                + "}}"
            let headers = [
                ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "get_profile"),
            ]
            async let a = mcp.post(call, token: alice.access, extra: headers)
            async let b = mcp.post(call, token: bob.access, extra: headers)
            let (pa, pb) = try await (a, b)
            #expect(pa.status == 200 && pb.status == 200)
            #expect(pa.headers.first(name: "mcp-session-id") == nil)
            #expect(pa.body != pb.body)
            #expect(pa.body.contains("\"id\":7") && pa.body.contains(#""resultType":"complete""#))
            let wrongName = try await mcp.post(
                call, token: alice.access,
                extra: [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "x")])
            #expect(wrongName.status == 400 && wrongName.body.contains("-32020") && wrongName.body.contains("Mcp-Name"))
            let list = #"{"jsonrpc":"2.0","id":8,"method":"tools/list","params":{"# + meta + "}}"
            let listed = try await mcp.post(
                list, token: alice.access,
                extra: [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/list")])
            #expect(listed.body.contains(#""cacheScope":"private""#) && listed.body.contains(#""ttlMs""#))
            #expect(try await mcp.post(call, token: nil).status == 401)
        }
    }
}

/// The session manager on its own: sessions are rows, bound to a principal, capped per user, reaped when idle.
@Suite("MCP session manager")
struct MCPHTTPSessionManagerTests {
    static let handshake = MCPCore.Handshake(
        result: [:], version: "2025-11-25", clientCapabilities: ["elicitation": [:]], clientName: "t")

    /// Users `a` and `b` of tenant `t`, for the session manager tests.
    static func twoUsers(_ database: Database) async throws -> (User, User) {
        let users = SQLUserStore(database: database)
        return (
            try await users.upsertUser(tenantId: "t", objectId: "a", username: "a@x", displayName: "A"),
            try await users.upsertUser(tenantId: "t", objectId: "b", username: "b@x", displayName: "B")
        )
    }

    @Test(
        "a user's sessions are capped (oldest deleted), bound to their principal, and idle ones reaped",
        arguments: TestDatabases.backends)
    func capAndReap(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let (a, b) = try await Self.twoUsers(database)
            let clock = Mutex<Int64>(1_000_000)
            var configuration = MCPConfiguration()
            configuration.maxSessionsPerUser = 2
            configuration.sessionIdleTimeout = .seconds(60)
            let manager = MCPSessionManager(
                store: SQLMCPSessionStore(database: database), configuration: configuration,
                logger: Logger(label: "test"), now: { clock.withLock { $0 } })
            let alice = MCPPrincipal(userId: a.id, clientId: "c", grantId: "g1", scopes: ["mcp"])
            let bob = MCPPrincipal(userId: b.id, clientId: "c", grantId: "g2", scopes: ["mcp"])
            var ids: [String] = []
            for _ in 0..<3 {
                clock.withLock { $0 += 1 }
                ids.append(try await manager.open(principal: alice, handshake: Self.handshake))
            }
            #expect(Set(ids).count == 3 && ids.allSatisfy { $0.count == 43 })
            let bobs = try await manager.open(principal: bob, handshake: Self.handshake)
            #expect(await manager.sessionCount(userId: a.id) == 2)
            #expect(try await manager.find(id: ids[0], principal: alice) == nil, "the oldest was deleted")
            let found = try #require(try await manager.find(id: ids[2], principal: alice))
            #expect(found.protocolVersion == "2025-11-25" && found.clientCapabilities.contains("elicitation"))
            #expect(try await manager.find(id: ids[2], principal: bob) == nil, "another principal gets nothing")
            var otherGrant = alice
            otherGrant.grantId = "g9"
            #expect(try await manager.find(id: ids[2], principal: otherGrant) == nil)
            #expect(try await manager.end(id: bobs, principal: bob))
            #expect(try await manager.find(id: bobs, principal: bob) == nil)
            clock.withLock { $0 += 30 }
            #expect(await manager.reapIdle() == 0)
            clock.withLock { $0 += 120 }
            #expect(await manager.reapIdle() == 2)
            #expect(try await manager.find(id: ids[2], principal: alice) == nil)
        }
    }

    @Test(
        "an answered requestState is refused on every instance sharing the store and after a restart, until it expires",
        arguments: TestDatabases.backends)
    func consumedStatesShared(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let clock = Mutex<Int64>(1_000_000)
            func instance() -> MCPSessionManager {
                MCPSessionManager(
                    store: SQLMCPSessionStore(database: database), configuration: MCPConfiguration(),
                    logger: Logger(label: "test"), now: { clock.withLock { $0 } })
            }
            let (first, second) = (instance(), instance())
            let expiry: Int64 = 1_000_600
            let firstUse = try await first.consume(hash: "aa", expiresAt: expiry, now: 1_000_000)
            let elsewhere = try await second.consume(hash: "aa", expiresAt: expiry, now: 1_000_001)
            let afterRestart = try await instance().consume(hash: "aa", expiresAt: expiry, now: 1_000_002)
            let another = try await second.consume(hash: "bb", expiresAt: expiry, now: 1_000_002)
            #expect(firstUse && another)
            #expect(!elsewhere, "another instance")
            #expect(!afterRestart, "after a restart")
            #expect(await first.purgeConsumedStates() == 0, "nothing has expired")
            clock.withLock { $0 = expiry + 1 }
            #expect(await first.purgeConsumedStates() == 0, "kept a while past expiry (instances' clocks differ)")
            clock.withLock { $0 = expiry + 301 }
            #expect(await second.purgeConsumedStates() == 2)
        }
    }

    /// The session store with a count of the reads a call in a session makes.
    final class CountingSessions: MCPSessionStore {
        let base: any MCPSessionStore
        let reads = Atomic<Int>(0)
        init(_ base: any MCPSessionStore) { self.base = base }
        func insertSession(_ session: MCPSessionRecord) async throws(StorageError) {
            try await base.insertSession(session)
        }
        func session(idHash: String, now: Int64, idleTimeout: Int64) async throws(StorageError) -> MCPSessionRecord? {
            reads.add(1, ordering: .relaxed)
            return try await base.session(idHash: idHash, now: now, idleTimeout: idleTimeout)
        }
        func touchSession(idHash: String, now: Int64) async throws(StorageError) {
            try await base.touchSession(idHash: idHash, now: now)
        }
        func deleteSession(idHash: String) async throws(StorageError) -> Bool {
            try await base.deleteSession(idHash: idHash)
        }
        func deleteSessions(userId: String) async throws(StorageError) { try await base.deleteSessions(userId: userId) }
        func deleteSessions(grantIds: [String]) async throws(StorageError) {
            try await base.deleteSessions(grantIds: grantIds)
        }
        func sessions(userId: String) async throws(StorageError) -> [MCPSessionRecord] {
            try await base.sessions(userId: userId)
        }
        func purgeIdleSessions(now: Int64, idleTimeout: Int64) async throws(StorageError) -> Int {
            try await base.purgeIdleSessions(now: now, idleTimeout: idleTimeout)
        }
        func trimSessions(userId: String, keep: Int) async throws(StorageError) -> Int {
            try await base.trimSessions(userId: userId, keep: keep)
        }
        func consumeRequestState(hash: String, expiresAt: Int64) async throws(StorageError) -> Bool {
            try await base.consumeRequestState(hash: hash, expiresAt: expiresAt)
        }
        func purgeConsumedRequestStates(now: Int64) async throws(StorageError) -> Int {
            try await base.purgeConsumedRequestStates(now: now)
        }
    }

    @Test("with the in-memory copy (SQLite), a call in a session reads no row, and every ending is seen at once")
    func cachedSessionsEndAtOnce() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database in
            let (a, b) = try await Self.twoUsers(database)
            let clock = Mutex<Int64>(1_000_000)
            var configuration = MCPConfiguration()
            configuration.maxSessionsPerUser = 2
            configuration.sessionIdleTimeout = .seconds(600)
            let epochs = AccessSnapshotTests.Epochs()
            // The copy's time to live stands still: what this test sees must not depend on how fast the machine is.
            let cacheStart = ContinuousClock.now
            let store = CountingSessions(SQLMCPSessionStore(database: database))
            let manager = MCPSessionManager(
                store: store, configuration: configuration, logger: Logger(label: "test"),
                now: { clock.withLock { $0 } },
                cache: AccessChangeCache(
                    changes: AccessChanges(epochs: epochs, pollInterval: .milliseconds(50)),
                    now: { cacheStart }))
            let alice = MCPPrincipal(userId: a.id, clientId: "c", grantId: "g1", scopes: ["mcp"])
            let bob = MCPPrincipal(userId: b.id, clientId: "c", grantId: "g2", scopes: ["mcp"])
            var reads: Int { store.reads.load(ordering: .relaxed) }
            func live(_ id: String, _ principal: MCPPrincipal) async throws -> Bool {
                try await manager.find(id: id, principal: principal) != nil
            }

            // Many calls, no read (the session is kept from its `initialize`); the copy still checks whose it is.
            let first = try await manager.open(principal: alice, handshake: Self.handshake)
            for _ in 0..<100 { #expect(try await live(first, alice)) }
            #expect(reads == 0)
            #expect(try await !live(first, bob), "another principal gets nothing, from memory too")
            #expect(reads == 0)

            // The client's DELETE.
            #expect(try await manager.end(id: first, principal: alice))
            #expect(try await !live(first, alice))

            // The per-user trim: the oldest of three goes although this process had it in memory.
            clock.withLock { $0 += 1 }
            let oldest = try await manager.open(principal: alice, handshake: Self.handshake)
            #expect(try await live(oldest, alice))
            clock.withLock { $0 += 1 }
            let second = try await manager.open(principal: alice, handshake: Self.handshake)
            clock.withLock { $0 += 1 }
            _ = try await manager.open(principal: alice, handshake: Self.handshake)
            #expect(try await !live(oldest, alice))

            // Closing a grant's and a user's sessions (revocation, block, sign-out everywhere).
            let bobs = try await manager.open(principal: bob, handshake: Self.handshake)
            #expect(try await live(bobs, bob))
            #expect(try await live(second, alice))
            await manager.closeAll(grantIds: ["g2"])
            #expect(try await !live(bobs, bob))
            #expect(try await live(second, alice))
            await manager.closeAll(userId: a.id)
            #expect(try await !live(second, alice))

            // Idle too long: not served from memory either, reaper or not.
            let idle = try await manager.open(principal: alice, handshake: Self.handshake)
            #expect(try await live(idle, alice))
            clock.withLock { $0 += 601 }
            #expect(try await !live(idle, alice))

            // A row deleted behind this process's back (another process): gone once the revocation epoch moves.
            let other = try await manager.open(principal: alice, handshake: Self.handshake)
            #expect(try await live(other, alice))
            try await store.base.deleteSessions(userId: a.id)
            #expect(try await live(other, alice), "the copy stands until the epoch moves (or its time to live ends)")
            epochs.shared.add(1, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(80))
            #expect(try await !live(other, alice))
        }
    }
}
