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
            return try await withPostgresDatabase { url in
                let database = try await Database.open(try DatabaseLocation(parsing: url), logger: logger)
                return try await database.withRunning {
                    try await Migrator(database: database).migrate(logger: logger)
                    return try await body(database)
                }
            }
        }
    }

    /// Creates a fresh, empty PostgreSQL database on the test server for one test, passes its URL to `body`,
    /// and drops it afterwards. Tests run in parallel, each in its own database.
    static func withPostgresDatabase<R: Sendable>(_ body: @Sendable (String) async throws -> R) async throws -> R {
        guard let url = postgresURL, var components = URLComponents(string: url) else {
            throw StorageError.unavailable("CI=true but GRAPHGATE_TEST_POSTGRES_URL is not set")
        }
        var logger = Logger(label: "test.db.admin")
        logger.logLevel = .warning
        // The name is ours (hex only), passed as an identifier, never spliced from input.
        let name = "gg_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try await Database.open(try DatabaseLocation(parsing: url), logger: logger)
        try await admin.withRunning {
            try await admin.read { db in try await db.raw("CREATE DATABASE \(ident: name)").run() }
        }
        components.path = "/" + name
        do {
            let result = try await body(components.string!)
            try? await dropPostgresDatabase(name, adminURL: url, logger: logger)
            return result
        } catch {
            try? await dropPostgresDatabase(name, adminURL: url, logger: logger)
            throw error
        }
    }

    private static func dropPostgresDatabase(_ name: String, adminURL: String, logger: Logger) async throws {
        let admin = try await Database.open(try DatabaseLocation(parsing: adminURL), logger: logger)
        try await admin.withRunning {
            try await admin.read { db in try await db.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run() }
        }
    }
}
