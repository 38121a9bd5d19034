import AsyncHTTPClient
import Foundation
import Logging
import SecurityOps
import Storage
import Testing

@testable import GraphGateApp
@testable import GraphGateSettings

@Suite("Incident response")
struct IncidentTests {
    /// A user with a linked account, Microsoft token blobs and one active grant.
    static func seedUser(_ database: Database) async throws -> User {
        let users = SQLUserStore(database: database)
        let user = try await users.upsertUser(
            tenantId: "t-1", objectId: "oid-1", username: "adele@contoso.com", displayName: "Adele")
        let account = try await users.upsertAccount(
            userId: user.id, label: "default", tenantId: "t-1", objectId: "oid-1", username: "adele@contoso.com",
            grantedScopes: "Mail.Read")
        try await SQLTokenBlobStore(database: database).save([
            TokenBlob(
                accountId: account.id, userId: user.id, kind: .refresh, keyId: 1, blob: Data([1, 2, 3]), expiresAt: 0,
                obtainedAt: Timestamp.now)
        ])
        let now = Timestamp.now
        try await SQLOAuthStore(database: database).insertGrant(
            OAuthGrantRecord(
                id: "grant-1", userId: user.id, clientId: "client-1", scope: "mail.read", resource: "http://x/mcp",
                createdAt: now),
            code: OAuthCodeRecord(
                codeHash: "h", grantId: "grant-1", clientId: "client-1", userId: user.id,
                redirectURI: "http://127.0.0.1/cb",
                codeChallenge: "c", resource: "http://x/mcp", scope: "mail.read", createdAt: now, expiresAt: now + 60))
        return user
    }

    static func responder(_ database: Database, audit: any AuditRecorder) -> IncidentResponder {
        let users = SQLUserStore(database: database)
        let oauth = SQLOAuthStore(database: database)
        return IncidentResponder(
            users: users, audit: audit,
            revoker: StoreAccessRevoker(oauth: oauth, browserSessions: SQLBrowserSessionStore(database: database)),
            eraser: VaultTokenEraser(users: users, blobs: SQLTokenBlobStore(database: database)),
            lister: GrantSessionLister(oauth: oauth), logger: Logger(label: "incident"))
    }

    @Test(
        "revoke deletes Microsoft token blobs and revokes every grant, and is audited",
        arguments: TestDatabases.backends)
    func revoke(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let user = try await Self.seedUser(database)
            let audit = AuditLog(store: SQLAuditStore(database: database), logger: Logger(label: "a"))
            let responder = Self.responder(database, audit: audit)
            #expect(try await responder.resolve("adele@contoso.com").id == user.id)
            #expect(try await responder.sessions(userId: user.id, actor: "test").map(\.id) == ["grant-1"])

            let report = try await responder.revoke(userId: user.id, reason: "incident", actor: "admin@contoso.com")
            #expect(report.failures.isEmpty)
            #expect(report.grantsRevoked == 1 && report.accountsErased == 1)
            let accounts = try await SQLUserStore(database: database).accounts(userId: user.id)
            let account = try #require(accounts.first)
            #expect(try await SQLTokenBlobStore(database: database).blobs(accountId: account.id).isEmpty)
            #expect(try await SQLOAuthStore(database: database).grants(userId: user.id, includeRevoked: false).isEmpty)
            #expect(try await responder.sessions(userId: user.id, actor: "test").isEmpty)

            let rows = try await SQLAuditStore(database: database).recent(userId: user.id, limit: 10)
            let revoke = try #require(rows.first { $0.eventType == "admin.revoke" })
            #expect(revoke.outcome == "success")
            #expect(!revoke.details.contains("admin@contoso.com"), "addresses are redacted in audit details")
            #expect(try await AuditVerifier(store: SQLAuditStore(database: database), key: nil).verify().isIntact)
        }
    }

    @Test(
        "block, then unblock: the cached user-block check sees each at once",
        arguments: TestDatabases.backends)
    func blockAndUnblock(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let user = try await Self.seedUser(database)
            let audit = MemoryAudit()
            let responder = Self.responder(database, audit: audit)
            let keyPath = FileManager.default.temporaryDirectory.appendingPathComponent("gg-key-\(UUID().uuidString)")
                .path
            defer { try? FileManager.default.removeItem(atPath: keyPath) }
            let config = try GraphGateConfig.load(environment: ["GRAPHGATE_AUDIT_KEY": keyPath])
            let http = HTTPClientHolder.shared
            let security = try SecurityServices(
                config: config, users: SQLUserStore(database: database), auditStore: SQLAuditStore(database: database),
                alerts: SQLAlertStore(database: database), sharedBuckets: nil, httpClient: http,
                logger: Logger(label: "s"), rateLimiter: InMemoryRateLimiter(),
                accessChanges: AccessChanges(epochs: SQLOAuthStore(database: database), pollInterval: .seconds(60)))
            // Not blocked, and that answer is now kept in memory (the shared epoch is not polled again here).
            #expect(try await security.userBlock(user.id) == nil)

            let block = try await responder.block(userId: user.id, for: .seconds(3600), reason: "test", actor: "ops")
            #expect(block.blockedUntil != nil)
            #expect(await responder.activeBlock(subject: Block.userSubject(user.id)) != nil)
            // The one check the bearer authenticator and token issuance make sees it at once.
            #expect(try await security.userBlock(user.id)?.reason == "test")
            // Tool calls only spend budgets: the block is refused before them, at authentication.
            #expect(await security.checkToolCall(userId: user.id, clientId: "client-1") == nil)

            #expect(try await responder.unblock(userId: user.id, actor: "ops"))
            #expect(try await security.userBlock(user.id) == nil)
            #expect(await audit.events.map(\.type) == ["admin.block", "admin.unblock"])
        }
    }

    @Test("durations read as admins write them")
    func durations() throws {
        #expect(try IncidentResponder.parseDuration("30m") == .seconds(1800))
        #expect(try IncidentResponder.parseDuration("2h") == .seconds(7200))
        #expect(try IncidentResponder.parseDuration("7d") == .seconds(604_800))
        #expect(throws: SecurityError.self) { try IncidentResponder.parseDuration("soon") }
    }
}

/// One HTTP client for tests that need one but never use it.
enum HTTPClientHolder {
    static let shared = HTTPClient(eventLoopGroupProvider: .singleton)
}

/// Incident actions against the real app and emulated tenant, done the way an operator does them: through the
/// `admin` command's code path, on its own database connection (as another instance would).
@Suite("Incident response (end to end)")
struct IncidentFlowTests {
    static let list = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#

    @Test(
        "revoke makes a live MCP session fail on its next call and erases the Microsoft tokens",
        arguments: TestDatabases.backends)
    func revokeLiveSession(backend: Database.Backend) async throws {
        try await OAuthFlowTests.withServer(backend: backend) { server, browser in
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let tokens = try await client.tokens(userIndex: 0)
            let session = try await mcp.open(token: tokens.access)
            #expect(try await mcp.post(Self.list, token: tokens.access, session: session).status == 200)

            let config = server.config
            let (report, blobsLeft) = try await SecurityAdmin.withIncidents(config: config, logger: Logger(label: "t"))
            {
                responder in
                let database = try await Database.open(config.database, logger: Logger(label: "t"))
                let users = try await database.withRunning {
                    try await SQLUserStore(database: database).allUsers(limit: 10)
                }
                let user = try #require(users.first)
                let report = try await responder.revoke(userId: user.id, reason: "incident", actor: "cli:test")
                let database2 = try await Database.open(config.database, logger: Logger(label: "t"))
                let left = try await database2.withRunning {
                    var count = 0
                    for account in try await SQLUserStore(database: database2).accounts(userId: user.id) {
                        count += try await SQLTokenBlobStore(database: database2).blobs(accountId: account.id).count
                    }
                    return count
                }
                return (report, left)
            }
            #expect(report.grantsRevoked >= 1 && report.accountsErased == 1 && report.failures.isEmpty)
            #expect(blobsLeft == 0)
            let after = try await mcp.post(Self.list, token: tokens.access, session: session)
            #expect(after.status == 401)
            #expect(!after.body.contains("get_profile"))
            let refreshed = try await client.token([
                ("grant_type", "refresh_token"), ("refresh_token", tokens.refresh), ("client_id", client.clientId),
            ])
            #expect(refreshed.status == 400, "the refresh token died with the grant")
        }
    }

    @Test("a blocked user cannot sign in; unblocked, they can again")
    func blockRefusesLogin() async throws {
        try await OAuthFlowTests.withServer { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            _ = try await client.tokens(userIndex: 0)  // the user exists now
            let config = server.config
            let userId = try await SecurityAdmin.withIncidents(config: config, logger: Logger(label: "t")) {
                responder in
                let database = try await Database.open(config.database, logger: Logger(label: "t"))
                let users = try await database.withRunning {
                    try await SQLUserStore(database: database).allUsers(limit: 10)
                }
                let user = try #require(users.first)
                try await responder.block(userId: user.id, for: .seconds(600), reason: "incident", actor: "cli:test")
                return user.id
            }
            browser.clearCookies()
            do {
                _ = try await client.login(userIndex: 0)
                Issue.record("a blocked user signed in")
            } catch let failure as OAuthBrowser.Failure {
                #expect(failure.description.contains("403"), "\(failure.description)")
            }
            _ = try await SecurityAdmin.withIncidents(config: config, logger: Logger(label: "t")) { responder in
                try await responder.unblock(userId: userId, actor: "cli:test")
            }
            browser.clearCookies()
            _ = try await client.tokens(userIndex: 0)
        }
    }
}
