import Logging
import SQLKit

/// Applies the migrations of `Schema.all` that have not run yet, in order, each in its own transaction.
public struct Migrator: Sendable {
    public let database: Database
    public let migrations: [Migration]

    public init(database: Database, migrations: [Migration] = Schema.all) {
        self.database = database
        self.migrations = migrations
    }

    /// Returns the ids applied by this call (empty when the schema was already current).
    @discardableResult
    public func migrate(logger: Logger) async throws(StorageError) -> [String] {
        try await database.read { db in
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)"
            ).run()
        }
        let applied = try await appliedIDs()
        var done: [String] = []
        let types = SQLTypes(backend: database.backend)
        for migration in migrations where !applied.contains(migration.id) {
            do {
                try await database.transaction { db in
                    for statement in migration.statements(types) {
                        try await db.raw(SQLQueryString(statement)).run()
                    }
                    try await db.raw(
                        "INSERT INTO schema_migrations (id, applied_at) VALUES (\(bind: migration.id), \(bind: Timestamp.now))"
                    ).run()
                }
            } catch {
                throw .migrationFailed(id: migration.id, reason: error.description)
            }
            logger.info("applied migration", metadata: ["gg.migration": "\(migration.id)"])
            done.append(migration.id)
        }
        return done
    }

    public func appliedIDs() async throws(StorageError) -> Set<String> {
        try await database.read { db in
            let rows = try await db.raw("SELECT id FROM schema_migrations").all()
            return Set(try rows.map { try $0.decode(column: "id", as: String.self) })
        }
    }
}
