/// One versioned schema change. `id` is unique across all groups (`core.001`, `vault.001`, …) and is recorded in
/// `schema_migrations` once applied; statements are produced per backend so column types can differ.
public struct Migration: Sendable {
    public let id: String
    public let statements: @Sendable (SQLTypes) -> [String]

    public init(_ id: String, _ statements: @escaping @Sendable (SQLTypes) -> [String]) {
        self.id = id
        self.statements = statements
    }
}

/// Column types that differ between SQLite and PostgreSQL. Everything else is written in the common subset:
/// `TEXT`, `BIGINT` (epoch seconds for times, 0/1 for flags).
public struct SQLTypes: Sendable {
    public let backend: Database.Backend
    /// Raw bytes: `BLOB` / `BYTEA`.
    public var bytes: String { backend == .postgres ? "BYTEA" : "BLOB" }
    /// An auto-incrementing 64-bit primary key.
    public var serialPrimaryKey: String {
        backend == .postgres ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
    }
}
