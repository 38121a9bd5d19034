import Foundation
import Logging
import SQLKit
import SecurityOps
import Storage
import Testing

/// The audit chain on both backends: appends verify, and each kind of tampering is found at the right row.
@Suite("Audit chain")
struct AuditChainTests {
    static let key = AuditSigningKey(rawKey: Array(repeating: UInt8(7), count: 32))

    /// Writes `count` events through the real recorder and signs the head.
    static func seed(_ database: Database, count: Int) async throws -> (SQLAuditStore, AuditLog) {
        let store = SQLAuditStore(database: database)
        let log = AuditLog(store: store, logger: Logger(label: "test.audit"))
        for index in 1...count {
            await log.record(
                AuditEvent(
                    "tool.call", outcome: index % 3 == 0 ? .failure : .success, userId: "user-\(index % 4)",
                    clientId: "client-a", sourceIP: "127.0.0.\(index % 9)",
                    details: ["tool": "list_messages", "n": "\(index)"]))
        }
        try await AuditHeadSigner(store: store, key: key, logger: Logger(label: "test.audit")).signNow()
        return (store, log)
    }

    @Test("a row's canonical bytes and chain hash stay what format v1 defines (chains written earlier still verify)")
    func formatV1() {
        let row = AuditRow(
            seq: 7, at: 1_764_000_000_000, eventType: "tool.call", outcome: "success", userId: "u-1", clientId: nil,
            sourceIP: "198.51.100.7", details: #"{"tool":"list_messages","note":"é 日本"}"#, hash: "ignored")
        let expected =
            "gg-audit-v1\n1:7\n13:1764000000000\n9:tool.call\n7:success\n3:u-1\n~\n12:198.51.100.7\n"
            + #"43:{"tool":"list_messages","note":"é 日本"}"#
        #expect(AuditChain.canonicalBytes(row) == Array(expected.utf8))
        // SHA-256(previous hash's bytes ‖ canonical bytes), computed independently (Python's hashlib).
        #expect(
            AuditChain.hash(previous: String(repeating: "ab", count: 32), row: row)
                == "ba7019a0412432943374005230e3ae6af39a35406bdc693f1367d17a1a7f64ca")
    }

    static func verify(_ store: SQLAuditStore) async throws -> AuditVerification {
        try await AuditVerifier(store: store, key: key, pageSize: 7).verify()
    }

    @Test("an untouched chain verifies, including events written concurrently", arguments: TestDatabases.backends)
    func intact(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let (store, log) = try await Self.seed(database, count: 20)
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask { await log.record(AuditEvent("login.success", userId: "u\(index)")) }
                }
            }
            try await AuditHeadSigner(store: store, key: Self.key, logger: Logger(label: "t")).signNow()
            let result = try await Self.verify(store)
            #expect(result.isIntact, "\(result)")
            #expect(result.rowsVerified == 60)
            #expect(result.lastSeq == 60)
            #expect(result.signedHeadsChecked == 2)
        }
    }

    @Test("an edited row is reported as the first broken row", arguments: TestDatabases.backends)
    func edited(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let (store, _) = try await Self.seed(database, count: 12)
            try await database.read { db in
                try await db.raw("UPDATE audit_log SET outcome = 'success' WHERE seq = \(bind: Int64(6))").run()
            }
            let result = try await Self.verify(store)
            #expect(result.firstBreak?.seq == 6)
            #expect(result.firstBreak?.problem == .hashMismatch)
            #expect(result.rowsVerified == 5)
        }
    }

    @Test("a deleted row is reported", arguments: TestDatabases.backends)
    func deleted(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let (store, _) = try await Self.seed(database, count: 12)
            try await database.read { db in
                try await db.raw("DELETE FROM audit_log WHERE seq = \(bind: Int64(9))").run()
            }
            let result = try await Self.verify(store)
            #expect(result.firstBreak?.seq == 9)
            #expect(result.firstBreak?.problem == .missingRows)
        }
    }

    @Test(
        "an inserted row is reported, even when the attacker recomputes every later hash",
        arguments: TestDatabases.backends)
    func inserted(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let (store, _) = try await Self.seed(database, count: 10)
            // Naive insert: shift rows 5… up by one and put a forged row at 5.
            let rows = try await store.rows(after: 0, limit: 100)
            try await database.read { db in
                for row in rows.reversed() where row.seq >= 5 {
                    try await db.raw("UPDATE audit_log SET seq = \(bind: row.seq + 1) WHERE seq = \(bind: row.seq)")
                        .run()
                }
                try await db.raw(
                    """
                    INSERT INTO audit_log (seq, at, event_type, outcome, user_id, client_id, source_ip, details, hash)
                    VALUES (5, 0, 'login.success', 'success', 'intruder', NULL, NULL, '{}', \(bind: rows[4].hash))
                    """
                ).run()
            }
            var result = try await Self.verify(store)
            #expect(result.firstBreak?.seq == 5)
            #expect(result.firstBreak?.problem == .hashMismatch)

            // Clever insert: recompute the chain from the forged row on, and the head row too.
            let tampered = try await store.rows(after: 0, limit: 100)
            var previous = tampered[3].hash
            var rehashed: [(Int64, String)] = []
            for row in tampered where row.seq >= 5 {
                previous = AuditChain.hash(previous: previous, row: row)
                rehashed.append((row.seq, previous))
            }
            let newHead = previous
            try await database.read { [rehashed] db in
                for (seq, hash) in rehashed {
                    try await db.raw("UPDATE audit_log SET hash = \(bind: hash) WHERE seq = \(bind: seq)").run()
                }
                try await db.raw(
                    "UPDATE audit_chain_head SET seq = \(bind: Int64(11)), hash = \(bind: newHead) WHERE id = 'main'"
                ).run()
            }
            result = try await Self.verify(store)
            #expect(result.firstBreak?.problem == .headMismatch, "\(result)")
            #expect(result.firstBreak?.seq == 10)
            // Without the key the signed head cannot be forged to match: a made-up MAC is reported as such.
            try await database.read { db in
                try await db.raw("UPDATE audit_signed_heads SET hash = \(bind: newHead), seq = 11").run()
            }
            result = try await Self.verify(store)
            #expect(result.firstBreak?.problem == .badSignature)
        }
    }

    @Test("truncation is detected against the head row and the signed head", arguments: TestDatabases.backends)
    func truncated(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let (store, _) = try await Self.seed(database, count: 15)
            try await database.read { db in
                try await db.raw("DELETE FROM audit_log WHERE seq > \(bind: Int64(11))").run()
            }
            var result = try await Self.verify(store)
            #expect(result.firstBreak?.problem == .truncated)
            #expect(result.firstBreak?.seq == 12)
            // The attacker also rewinds the head row: the signed head still remembers row 15.
            let last = try await store.rows(after: 10, limit: 1)[0]
            try await database.read { db in
                try await db.raw(
                    "UPDATE audit_chain_head SET seq = \(bind: Int64(11)), hash = \(bind: last.hash) WHERE id = 'main'"
                ).run()
            }
            result = try await Self.verify(store)
            #expect(result.firstBreak?.problem == .truncated, "\(result)")
            #expect(result.rowsVerified == 11)
            // And if every signed head is deleted too, an exported head held elsewhere still catches it.
            let heads = try await store.signedHeads(limit: 1)
            let exported = try #require(heads.first)
            try await database.read { db in try await db.raw("DELETE FROM audit_signed_heads").run() }
            #expect(try await Self.verify(store).isIntact)
            result = try await AuditVerifier(store: store, key: Self.key).verify(expectedHeads: [exported])
            #expect(result.firstBreak?.problem == .truncated)
        }
    }

    @Test("details are redacted before they are written, and export is JSON lines", arguments: TestDatabases.backends)
    func redactedExport(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let store = SQLAuditStore(database: database)
            let log = AuditLog(store: store, logger: Logger(label: "t"))
            let secret = "Zx9QvB7mK2pL4rT8wY1nC6dF3gH5jS0aE"
            await log.record(
                AuditEvent(
                    "token.refresh", outcome: .failure, userId: "u1",
                    details: [
                        "error": "invalid_grant for refresh_token=\(secret) of alice@contoso.com",
                        "refresh_token": secret, "message_id": "AAMkAGI2TG93AAA=",
                    ]))
            var lines: [String] = []
            try await AuditExporter(store: store).export { lines.append($0) }
            #expect(lines.count == 1)
            let line = try #require(lines.first)
            #expect(!line.contains(secret))
            #expect(!line.contains("alice@contoso.com"))
            #expect(line.contains("AAMkAGI2TG93AAA="), "target ids are kept")
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["type"] as? String == "token.refresh")
            #expect(object?["seq"] as? Int == 1)
            #expect((object?["details"] as? [String: String])?["refresh_token"] == Redactor.mask)
        }
    }

    @Test("instances creating the audit key file at once all sign with the one key that stays on disk")
    func concurrentKeyCreation() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gg-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("audit-signing.key").path
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { try AuditSigningKey.load(path: path, create: true).id } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        let onDisk = try AuditSigningKey.load(path: path, create: false).id
        #expect(ids.count == 16 && ids.allSatisfy { $0 == onDisk })
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers == ["audit-signing.key"], "no temporary files are left behind")
    }
}

/// The signed head written when the server stops: it must cover the last event, and must never hang the stop.
@Suite("Audit chain: signed head at shutdown")
struct AuditShutdownSigningTests {
    /// The newest signed head and the chain head of the store at `url`.
    static func heads(_ url: String) async throws -> (signed: AuditSignedHead?, head: (seq: Int64, hash: String)) {
        let database = try await Database.open(try DatabaseLocation(parsing: url), logger: Logger(label: "test"))
        return try await database.withRunning {
            let store = SQLAuditStore(database: database)
            return (try await store.signedHeads(limit: 1).first, try await store.head())
        }
    }

    @Test(
        "graceful shutdown signs a final head that covers the last row, before the store closes",
        arguments: TestDatabases.backends)
    func finalHead(backend: Database.Backend) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gg-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyPath = directory.appendingPathComponent("audit.key").path

        @Sendable func check(_ url: String) async throws {
            let environment = ["GRAPHGATE_DATABASE_URL": url, "GRAPHGATE_AUDIT_KEY": keyPath]
            try await TestApp.with(environment: environment) { server in
                // The head signed at start comes first; the events below are written after it.
                var started: AuditSignedHead?
                for _ in 0..<100 {
                    started = try await Self.heads(url).signed
                    if started != nil { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(started != nil, "no head was signed at start")
                for _ in 0..<3 {
                    let refused = try await server.http.fetch(
                        server.url("/mcp"), method: .POST, headers: [("Authorization", "Bearer not-a-token-of-ours")],
                        body: "{}")
                    #expect(refused.status == 401)  // audited as mcp.auth failure
                }
                // The batching audit writer stores those rows ~100 ms after the responses (later when loaded).
                let running = try await AuditSettling.eventually({ try await Self.heads(url) }) { $0.head.seq >= 3 }
                #expect(running.head.seq >= 3)
                #expect((running.signed?.seq ?? 0) < running.head.seq, "nothing signed these events yet")
            }
            // Stopped gracefully: the newest signed head is the chain's last row, and it verifies with the key.
            let stopped = try await Self.heads(url)
            let signed = try #require(stopped.signed)
            #expect(signed.seq == stopped.head.seq)
            #expect(signed.hash == stopped.head.hash)
            let database = try await Database.open(try DatabaseLocation(parsing: url), logger: Logger(label: "test"))
            let result = try await database.withRunning {
                try await AuditVerifier(
                    store: SQLAuditStore(database: database),
                    key: try AuditSigningKey.load(path: keyPath, create: false)
                ).verify()
            }
            #expect(result.isIntact, "\(result)")
            #expect(result.latestSignedSeq == stopped.head.seq)
        }

        if backend == .postgres {
            try await TestDatabases.withPostgresDatabase { url in try await check(url) }
        } else {
            try await check("sqlite:\(directory.path)/graphgate.sqlite")
        }
    }

    @Test("a store that is closed or does not answer makes the final signature give up, not crash or hang")
    func finalHeadWithoutStore() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gg-closed-\(UUID().uuidString).sqlite"
        )
        .path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try await Database.open(.sqlite(path: path), logger: Logger(label: "test"))
        try await Migrator(database: database).migrate(logger: Logger(label: "test"))
        await database.close()
        let closed = AuditHeadSigner(
            store: SQLAuditStore(database: database), key: AuditChainTests.key, logger: Logger(label: "test"))
        #expect(await closed.signFinal() == nil)

        let silent = AuditHeadSigner(store: SilentAuditStore(), key: AuditChainTests.key, logger: Logger(label: "test"))
        #expect(await silent.signFinal(timeout: .milliseconds(200)) == nil)
    }
}

/// An audit store that never answers (a database gone away mid-shutdown), ignoring cancellation.
private struct SilentAuditStore: AuditStore {
    func hang<T>() async -> T {
        await withUnsafeContinuation { (_: UnsafeContinuation<T, Never>) in }
    }

    func append(
        _ rows: [AuditRow], hash: @escaping @Sendable (String, AuditRow) -> String
    ) async throws(StorageError) -> [AuditRow] { await hang() }
    func head() async throws(StorageError) -> (seq: Int64, hash: String) { await hang() }
    func rows(after: Int64, limit: Int) async throws(StorageError) -> [AuditRow] { await hang() }
    func recent(userId: String?, limit: Int) async throws(StorageError) -> [AuditRow] { await hang() }
    func recent(typePrefixes: [String], failedTypes: [String], limit: Int) async throws(StorageError) -> [AuditRow] {
        await hang()
    }
    func lastActivity(
        userIds: [String], window: Int, excludingPrefixes: [String]
    ) async throws(StorageError) -> [String: Int64] { await hang() }
    func stats() async throws(StorageError) -> (count: Int64, maxSeq: Int64) { await hang() }
    func pruneAnchor() async throws(StorageError) -> (seq: Int64, hash: String)? { await hang() }
    func addSignedHead(_ head: AuditSignedHead) async throws(StorageError) { await hang() as Void }
    func signedHeads(limit: Int) async throws(StorageError) -> [AuditSignedHead] { await hang() }
}
