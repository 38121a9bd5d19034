import Foundation
import Logging
import SQLKit
import Storage

/// The backends every storage-backed test runs on: SQLite always, PostgreSQL when `scripts/test` started one
/// (`GRAPHGATE_TEST_POSTGRES_URL`). Under `CI=true` a missing PostgreSQL is an error, not a skip.
enum TestDatabases {
    static var backends: [Database.Backend] {
        var all: [Database.Backend] = [.sqlite]
        if postgresURL != nil || ProcessInfo.processInfo.environment["CI"] == "true" { all.append(.postgres) }
        return all
    }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["GRAPHGATE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Opens a fresh, migrated, empty database of `backend`, runs `body`, and cleans up.
    /// PostgreSQL tests each get their own schema-free database state by dropping every table first.
    static func withDatabase<R: Sendable>(
        _ backend: Database.Backend, _ body: @Sendable (Database) async throws -> R
    ) async throws -> R {
        let logger = {
            var logger = Logger(label: "test.db")
            logger.logLevel = .warning
            return logger
        }()
        switch backend {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("gg-test-\(UUID().uuidString).sqlite").path
            let database = try await Database.open(.sqlite(path: path), logger: logger)
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            return try await database.withRunning {
                try await Migrator(database: database).migrate(logger: logger)
                return try await body(database)
            }
        case .postgres:
            guard let url = postgresURL else {
                throw StorageError.unavailable("CI=true but GRAPHGATE_TEST_POSTGRES_URL is not set")
            }
            let database = try await Database.open(try DatabaseLocation(parsing: url), logger: logger)
            return try await database.withRunning {
                try await PostgresTestLock.shared.withLock {
                    try await resetPostgres(database)
                    try await Migrator(database: database).migrate(logger: logger)
                    return try await body(database)
                }
            }
        }
    }

    /// Drops every table so each test starts from an empty, freshly migrated schema.
    static func resetPostgres(_ database: Database) async throws {
        try await database.read { db in
            try await db.raw("DROP SCHEMA public CASCADE").run()
            try await db.raw("CREATE SCHEMA public").run()
        }
    }
}

/// PostgreSQL tests share one server database, so they take turns (swift-testing runs tests in parallel).
actor PostgresTestLock {
    static let shared = PostgresTestLock()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func withLock<R: Sendable>(_ body: @Sendable () async throws -> R) async throws -> R {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
