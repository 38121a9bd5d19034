import Crypto
import Foundation
import Logging
import Observability
import SQLKit
import SecurityOps
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

extension OpsRetentionTests {
    static let key = AuditSigningKey(rawKey: Array(repeating: UInt8(9), count: 32))

    @Test(
        "audit verify passes after retention pruned the oldest rows, and still finds tampering at the anchor",
        arguments: TestDatabases.backends)
    func verifyAfterPrune(backend: Storage.Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let now = Timestamp.now
            let old = now - 400 * 86_400
            let store = SQLAuditStore(database: database)
            let signer = AuditHeadSigner(store: store, key: Self.key, logger: Logger(label: "test"))
            // Six events recorded 400 days ago (signed there), four today (signed again): the real recorder.
            let before = AuditLog(store: store, logger: Logger(label: "test"), clock: { old })
            for index in 1...6 { await before.record(AuditEvent("login.success", userId: "u\(index)")) }
            try await signer.signNow(at: old)
            let today = AuditLog(store: store, logger: Logger(label: "test"), clock: { now })
            for index in 7...10 {
                await today.record(AuditEvent("tool.call", outcome: .failure, userId: "u\(index)"))
            }
            try await signer.signNow(at: now)
            let rows = try await store.rows(after: 0, limit: 100)

            let operations = SQLOperationsStore(database: database)
            let retention = RetentionService(
                store: operations, auditRetentionDays: 365, sessionRetentionDays: 30, interval: .seconds(3600),
                logger: Logger(label: "test"))
            #expect(await retention.pruneOnce(now: now)["audit_log"] == 6)
            let anchor = try #require(try await operations.auditPruneAnchor())
            #expect(anchor.seq == 6 && anchor.hash == rows[5].hash)

            let verifier = AuditVerifier(store: store, key: Self.key, pageSize: 3)
            let intact = try await verifier.verify()
            #expect(intact.isIntact, "\(intact)")
            #expect(intact.firstSeq == 7)
            #expect(intact.rowsVerified == 4)
            #expect(intact.lastSeq == 10)
            #expect(intact.signedHeadsChecked == 2, "the head signed below the anchor is still checked")
            #expect(intact.description.contains("rows before 7 removed by retention"))

            func run(_ sql: SQLQueryString) async throws {
                try await database.read { db in try await db.raw(sql).run() }
            }
            // The first remaining row edited.
            try await run("UPDATE audit_log SET outcome = 'success' WHERE seq = 7")
            var result = try await verifier.verify()
            #expect(result.firstBreak?.seq == 7 && result.firstBreak?.problem == .hashMismatch, "\(result)")
            try await run("UPDATE audit_log SET outcome = 'failure' WHERE seq = 7")
            #expect(try await verifier.verify().isIntact)

            // The anchor's hash changed: the first remaining row no longer links to it.
            try await run("UPDATE audit_prune_anchor SET hash = \(bind: rows[4].hash)")
            result = try await verifier.verify()
            #expect(result.firstBreak?.seq == 7 && result.firstBreak?.problem == .hashMismatch, "\(result)")

            // The anchor moved back: row 6 should be there and is not.
            try await run("UPDATE audit_prune_anchor SET seq = 5, hash = \(bind: rows[4].hash)")
            result = try await verifier.verify()
            #expect(result.firstBreak?.seq == 6 && result.firstBreak?.problem == .missingRows, "\(result)")

            // The anchor moved forward over a row that is still there (to skip checking it).
            try await run("UPDATE audit_prune_anchor SET seq = 7, hash = \(bind: rows[6].hash)")
            result = try await verifier.verify()
            #expect(result.firstBreak?.seq == 7 && result.firstBreak?.problem == .anchorMismatch, "\(result)")

            // The anchor deleted: the chain no longer starts at row 1.
            try await run("DELETE FROM audit_prune_anchor")
            result = try await verifier.verify()
            #expect(result.firstBreak?.seq == 1 && result.firstBreak?.problem == .missingRows, "\(result)")
        }
    }
}
