import Foundation
import Logging
import SQLKit
import Storage
import Testing

@Suite("Storage, on every backend")
struct StorageTests {
    @Test("migrations apply once and are recorded", arguments: TestDatabases.backends)
    func migrationsAreIdempotent(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let migrator = Migrator(database: database)
            let applied = try await migrator.appliedIDs()
            #expect(applied == Set(Schema.all.map(\.id)))
            let again = try await migrator.migrate(logger: Logger(label: "test"))
            #expect(again.isEmpty)
        }
    }

    @Test("users are keyed by tenant and object id, never by email", arguments: TestDatabases.backends)
    func usersKeyedByIdentity(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let users = SQLUserStore(database: database)
            let first = try await users.upsertUser(
                tenantId: "t1", objectId: "o1", username: "dana@contoso.test", displayName: "Dana")
            let again = try await users.upsertUser(
                tenantId: "t1", objectId: "o1", username: "dana.renamed@contoso.test", displayName: "Dana R")
            #expect(first.id == again.id)
            #expect(again.username == "dana.renamed@contoso.test")
            // Same email, different object id: a different person.
            let other = try await users.upsertUser(
                tenantId: "t1", objectId: "o2", username: "dana.renamed@contoso.test", displayName: "Impostor")
            #expect(other.id != first.id)
            let sameOidOtherTenant = try await users.upsertUser(
                tenantId: "t2", objectId: "o1", username: "x@fabrikam.test", displayName: "X")
            #expect(sameOidOtherTenant.id != first.id)
            #expect(try await users.user(tenantId: "t1", objectId: "o1")?.displayName == "Dana R")
            #expect(try await users.allUsers(limit: 10).count == 3)
        }
    }

    @Test("values are bound, never spliced into SQL", arguments: TestDatabases.backends)
    func injectionIsInert(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let users = SQLUserStore(database: database)
            let hostile = "x'); DROP TABLE users; --"
            let user = try await users.upsertUser(
                tenantId: hostile, objectId: "' OR '1'='1", username: hostile, displayName: "\"; DELETE FROM users")
            #expect(try await users.user(id: user.id)?.username == hostile)
            #expect(try await users.findUsers(matching: "' OR '1'='1").map(\.id) == [user.id])
            #expect(try await users.findUsers(matching: "' OR 1=1 --").isEmpty)
            #expect(try await users.allUsers(limit: 5).count == 1)
        }
    }

    @Test("a unique violation is a typed error and changes nothing", arguments: TestDatabases.backends)
    func uniqueViolationIsTyped(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let users = SQLUserStore(database: database)
            let user = try await users.upsertUser(tenantId: "t", objectId: "o", username: "u", displayName: "U")
            await #expect(throws: StorageError.uniqueViolation) {
                try await database.read { db in
                    try await db.raw(
                        """
                        INSERT INTO users (id, tenant_id, object_id, username, display_name, created_at, last_login_at)
                        VALUES (\(bind: "another"), \(bind: "t"), \(bind: "o"), \(bind: "u2"), \(bind: "U2"),
                        \(bind: 0), \(bind: 0))
                        """
                    ).run()
                }
            }
            #expect(try await users.allUsers(limit: 5) == [user])
        }
    }

    @Test("a failing transaction rolls back every row it wrote", arguments: TestDatabases.backends)
    func transactionsRollBack(backend: Database.Backend) async throws {
        struct Boom: Error {}
        try await TestDatabases.withDatabase(backend) { database in
            let users = SQLUserStore(database: database)
            let user = try await users.upsertUser(tenantId: "t", objectId: "o", username: "u", displayName: "U")
            await #expect(throws: StorageError.self) {
                try await database.transaction { db in
                    try await db.raw("UPDATE users SET display_name = \(bind: "changed") WHERE id = \(bind: user.id)")
                        .run()
                    try await db.raw(
                        """
                        INSERT INTO blocks (subject, blocked_until, reason, created_by, created_at)
                        VALUES (\(bind: "user:x"), \(bind: Int64?.none), \(bind: "r"), \(bind: "t"), \(bind: 0))
                        """
                    ).run()
                    throw Boom()
                }
            }
            #expect(try await users.user(id: user.id)?.displayName == "U")
            #expect(try await users.activeBlocks().isEmpty)
            // The store is still usable after the rollback.
            _ = try await users.upsertUser(tenantId: "t", objectId: "o3", username: "u3", displayName: "U3")
            #expect(try await users.allUsers(limit: 5).count == 2)
        }
    }

    @Test("accounts belong to a user, one per label, and go with the user", arguments: TestDatabases.backends)
    func accounts(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let users = SQLUserStore(database: database)
            let user = try await users.upsertUser(tenantId: "t", objectId: "o", username: "u", displayName: "U")
            let work = try await users.upsertAccount(
                userId: user.id, label: "default", tenantId: "t", objectId: "o", username: "u",
                grantedScopes: "User.Read Mail.Read")
            let personal = try await users.upsertAccount(
                userId: user.id, label: "personal", tenantId: "t9", objectId: "o9", username: "me@outlook.test",
                grantedScopes: "User.Read")
            try await users.setAccountStatus(id: work.id, .needsSignIn)
            #expect(try await users.account(id: work.id)?.status == .needsSignIn)
            let again = try await users.upsertAccount(
                userId: user.id, label: "default", tenantId: "t", objectId: "o", username: "u",
                grantedScopes: "User.Read Mail.Read Mail.Send")
            #expect(again.id == work.id)
            #expect(again.status == .active)
            #expect(again.scopes.contains("Mail.Send"))
            #expect(try await users.accounts(userId: user.id).map(\.id) == [work.id, personal.id])
            try await users.deleteUser(id: user.id)
            #expect(try await users.account(id: personal.id) == nil)
        }
    }

    @Test("blocks apply until they expire or are lifted", arguments: TestDatabases.backends)
    func blocks(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let users = SQLUserStore(database: database)
            let now = Timestamp.now
            try await users.block(
                Block(subject: "user:a", blockedUntil: nil, reason: "incident", createdBy: "admin", createdAt: now))
            try await users.block(
                Block(
                    subject: "user:b", blockedUntil: now - 10, reason: "old", createdBy: "admin", createdAt: now - 100))
            try await users.block(
                Block(
                    subject: "ip:10.0.0.1", blockedUntil: now + 600, reason: "failures", createdBy: "monitor",
                    createdAt: now))
            #expect(try await users.activeBlock(subject: "user:a")?.reason == "incident")
            #expect(try await users.activeBlock(subject: "user:b") == nil)
            #expect(Set(try await users.activeBlocks().map(\.subject)) == ["user:a", "ip:10.0.0.1"])
            #expect(try await users.unblock(subject: "user:a"))
            #expect(try await !users.unblock(subject: "user:a"))
            #expect(try await users.activeBlock(subject: "user:a") == nil)
        }
    }

    @Test("concurrent writers all land", arguments: TestDatabases.backends)
    func concurrentWriters(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let users = SQLUserStore(database: database)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        _ = try await users.upsertUser(
                            tenantId: "t", objectId: "o\(index % 20)", username: "u\(index)", displayName: "U")
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await users.allUsers(limit: 100).count == 20)
        }
    }
}

@Suite("Storage failures are clear")
struct StorageFailureTests {
    @Test("an unreachable PostgreSQL is reported quickly, without the password")
    func unreachablePostgres() async throws {
        let location = try DatabaseLocation(parsing: "postgres://gg:hunter2secret@127.0.0.1:1/graphgate")
        #expect(!location.description.contains("hunter2secret"))
        let database = try await Database.open(location, logger: Logger(label: "test"))
        let error = await #expect(throws: StorageError.self) {
            try await database.withRunning { try await database.checkReachable(timeout: .seconds(3)) }
        }
        #expect(!(error?.description.contains("hunter2secret") ?? true))
    }

    @Test(
        "a PostgreSQL session the server ends mid-transaction fails the transaction at once; the pool recovers",
        .timeLimit(.minutes(2)))
    func serverEndsSession() async throws {
        guard TestDatabases.backends.contains(.postgres) else { return }
        try await TestDatabases.withDatabase(.postgres) { database in
            for _ in 0..<10 {
                let error = await #expect(throws: StorageError.self) {
                    try await database.transaction { db in
                        _ = try await db.raw("SELECT 1 AS one").all()
                        // The server ends this session, as a restart or a failover does (FATAL 57P01) ...
                        _ = try? await db.raw("SELECT pg_terminate_backend(pg_backend_pid())").all()
                        // ... so this statement is written to a closed connection: it must fail, not wait forever.
                        _ = try await db.raw("SELECT 1 AS one").all()
                    }
                }
                if case .unavailable = error {
                } else {
                    Issue.record("expected unavailable, got \(String(describing: error))")
                }
                // The pool may still lease the closed connection once (that statement fails at once, too); it
                // recovers by itself.
                var rows: [any SQLRow] = []
                for _ in 0..<50 where rows.isEmpty {
                    do {
                        rows = try await database.read { db in try await db.raw("SELECT 1 AS one").all() }
                    } catch StorageError.unavailable {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                #expect(rows.count == 1)
            }
        }
    }

    @Test("an unusable SQLite location is refused with a clear error")
    func unusableSQLite() async throws {
        // A path below a regular file can never be created, even by root.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gg-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = await #expect(throws: StorageError.self) {
            _ = try await Database.open(.sqlite(path: file.path + "/db.sqlite"), logger: Logger(label: "t"))
        }
        #expect(error?.description.contains("cannot") == true)
    }

    @Test(
        "database URLs parse or fail with the expected form",
        arguments: [
            ("sqlite:graphgate.sqlite", true), ("sqlite:/tmp/a b/x.sqlite", true), ("postgres://u:p@h:5433/db", true),
            ("postgresql://u@h/db?sslmode=disable", true), ("mysql://u@h/db", false), ("postgres://h/db", false),
            ("postgres://u@h/", false), ("sqlite:", false), ("postgres://u@h/db?sslmode=bogus", false), ("", false),
        ])
    func parsing(text: String, valid: Bool) {
        #expect(((try? DatabaseLocation(parsing: text)) != nil) == valid)
    }
}
