import Crypto
import Foundation
import Logging
import SQLKit
import Storage
import Testing

@testable import GraphGateApp

@Suite("Ops: retention")
struct OpsRetentionTests {
    @Test(
        "expired sessions, tokens and old audit rows are pruned; the chain keeps an anchor",
        arguments: TestDatabases.backends)
    func prune(backend: Storage.Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let now = Timestamp.now
            let day: Int64 = 86_400
            let user = try await SQLUserStore(database: database).upsertUser(
                tenantId: "t", objectId: "o", username: "ada@contoso.com", displayName: "Ada")
            let sessions = SQLBrowserSessionStore(database: database)
            try await sessions.insertSession(
                .init(
                    idHash: "old", userId: user.id, createdAt: now - 90 * day, lastSeenAt: now - 90 * day,
                    expiresAt: now - 60 * day))
            try await sessions.insertSession(
                .init(idHash: "live", userId: user.id, createdAt: now, lastSeenAt: now, expiresAt: now + day))

            // Ten audit rows: the first six are 400 days old.
            let audit = SQLAuditStore(database: database)
            var rows: [AuditRow] = []
            for index in 0..<10 {
                rows.append(
                    AuditRow(
                        seq: 0, at: index < 6 ? now - 400 * day : now, eventType: "test.event", outcome: "ok",
                        userId: user.id, clientId: nil, sourceIP: nil, details: "{}", hash: ""))
            }
            let written = try await audit.append(rows) { previous, row in
                SHA256.hash(data: Data((previous + "|\(row.seq)|\(row.at)").utf8)).map { String(format: "%02x", $0) }
                    .joined()
            }

            let service = RetentionService(
                store: SQLOperationsStore(database: database), auditRetentionDays: 365, sessionRetentionDays: 30,
                interval: .seconds(3600), logger: Logger(label: "test"))
            let removed = await service.pruneOnce(now: now)
            #expect(removed["browser_sessions"] == 1)
            #expect(removed["audit_log"] == 6)

            let remaining = try await audit.rows(after: 0, limit: 100)
            #expect(remaining.map(\.seq) == Array(7...10))
            let anchor = try await SQLOperationsStore(database: database).auditPruneAnchor()
            #expect(anchor?.seq == 6)
            #expect(anchor?.hash == written[5].hash)
            #expect(try await sessions.activeSession(idHash: "live", now: now, idleTimeout: day) != nil)

            // A second pass removes nothing more; retention 0 keeps audit rows forever.
            #expect(await service.pruneOnce(now: now)["audit_log"] == 0)
            let keepAll = RetentionService(
                store: SQLOperationsStore(database: database), auditRetentionDays: 0, sessionRetentionDays: 30,
                interval: .seconds(3600), logger: Logger(label: "test"))
            #expect(await keepAll.pruneOnce(now: now + 1000 * day)["audit_log"] == nil)
            #expect(try await audit.rows(after: 0, limit: 100).count == 4)
        }
    }
}
