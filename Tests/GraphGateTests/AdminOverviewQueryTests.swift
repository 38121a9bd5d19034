import Authorization
import Foundation
import Logging
import SecurityOps
import Storage
import Testing
import TokenVault

@testable import GraphGateSettings
@testable import GraphGateWeb

/// The admin page's overview reads in batches: the number of store reads is the same for one user as for sixty,
/// each with an account, a grant, audit rows and (every third) a block.
@Suite("Admin overview reads")
struct AdminOverviewQueryTests {
    @Test("the overview's store reads do not grow with the users it lists", arguments: TestDatabases.backends)
    func readsDoNotGrowWithUsers(_ backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let stores = Stores(database: database)
            let audit = MemoryAudit()
            let config = try GraphGateConfig.load(environment: [:])
            let routes = AdminRoutes(
                config: config, users: stores.users, bindings: stores.usernameBindings, alerts: stores.alerts,
                auditLog: stores.audit, audit: audit,
                keys: KeyMaintenance(
                    blobs: stores.tokenBlobs, pending: stores.pendingSignIns, keyring: Keyring.generate(),
                    audit: audit, logger: Logger(label: "keys")),
                incidents: IncidentTests.responder(database, audit: audit),
                authorization: AuthorizationServer(
                    settings: AuthorizationSettings(
                        issuer: "https://gg.example", resource: "https://gg.example/mcp", scopesSupported: ["mcp"]),
                    store: stores.oauth, browserSessions: stores.browserSessions, audit: audit,
                    logger: Logger(label: "auth")))

            let admin = try await Self.seed(user: 0, stores)
            func reads() async throws -> (count: Int, rows: Int) {
                let before = database.operations
                let overview = try await routes.overview(admin: admin, cookie: "")
                return (database.operations - before, overview.users.count)
            }
            let one = try await reads()
            for index in 1..<60 { _ = try await Self.seed(user: index, stores) }
            let sixty = try await reads()
            #expect(one.rows == 1 && sixty.rows == 60)
            #expect(sixty.count == one.count, "\(one.count) reads for one user, \(sixty.count) for sixty")
        }
    }

    /// A user with a linked account, an OAuth grant, two audit rows, and every third one blocked.
    static func seed(user index: Int, _ stores: Stores) async throws -> User {
        let user = try await stores.users.upsertUser(
            tenantId: "t", objectId: "oid-\(index)", username: "user\(index)@contoso.com", displayName: "User \(index)")
        _ = try await stores.users.upsertAccount(
            userId: user.id, label: "default", tenantId: "t", objectId: "oid-\(index)",
            username: "user\(index)@contoso.com", grantedScopes: "Mail.Read")
        let now = Timestamp.now
        let grant = "grant-\(index)"
        try await stores.oauth.insertGrant(
            OAuthGrantRecord(
                id: grant, userId: user.id, clientId: "client-\(index % 3)", scope: "mcp",
                resource: "https://gg.example/mcp", createdAt: now),
            code: OAuthCodeRecord(
                codeHash: "code-\(index)", grantId: grant, clientId: "client-\(index % 3)", userId: user.id,
                redirectURI: "http://127.0.0.1/cb", codeChallenge: "c", resource: "https://gg.example/mcp",
                scope: "mcp", createdAt: now, expiresAt: now + 60))
        let rows = ["mcp.tool", "admin.block"].map {
            AuditRow(
                seq: 0, at: now, eventType: $0, outcome: "success", userId: user.id, clientId: nil, sourceIP: nil,
                details: "{}", hash: "")
        }
        _ = try await stores.audit.append(rows) { previous, row in previous + row.eventType }
        if index % 3 == 2 {
            try await stores.users.block(
                Block(
                    subject: Block.userSubject(user.id), blockedUntil: nil, reason: "test", createdBy: "ops",
                    createdAt: now))
        }
        return user
    }
}
