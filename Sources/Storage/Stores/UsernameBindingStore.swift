import Foundation
import SQLKit

/// Usernames named in configuration (admins, allowed users), each bound to the first Microsoft principal
/// (tenant id, object id) that signed in with it. Microsoft documents `preferred_username` as mutable: after a
/// rename, whoever gets the old name next gets none of its rights, and the first owner keeps them.
public protocol UsernameBindingStore: Sendable {
    /// Binds `username` (compared ignoring case) to (tenantId, objectId) unless it is bound already; returns
    /// whether it is bound to exactly them. Two concurrent first sign-ins cannot both win.
    func claim(username: String, tenantId: String, objectId: String, now: Int64) async throws(StorageError) -> Bool
    /// The usernames bound to (tenantId, objectId), lower-cased (what the principal was called when it claimed them).
    func usernames(tenantId: String, objectId: String) async throws(StorageError) -> [String]
}

/// The SQL implementation of `UsernameBindingStore`, the same on SQLite and PostgreSQL.
public struct SQLUsernameBindingStore: UsernameBindingStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func claim(
        username: String, tenantId: String, objectId: String, now: Int64
    ) async throws(StorageError) -> Bool {
        let name = username.lowercased()
        let tenant = tenantId.lowercased()
        let object = objectId.lowercased()
        return try await database.transaction { db in
            try await db.raw(
                """
                INSERT INTO username_bindings (username, tenant_id, object_id, bound_at)
                VALUES (\(bind: name), \(bind: tenant), \(bind: object), \(bind: now))
                ON CONFLICT (username) DO NOTHING
                """
            ).run()
            guard
                let row = try await db.raw(
                    "SELECT tenant_id, object_id FROM username_bindings WHERE username = \(bind: name)"
                ).first()
            else { return false }
            return try row.decode(column: "tenant_id", as: String.self) == tenant
                && row.decode(column: "object_id", as: String.self) == object
        }
    }

    public func usernames(tenantId: String, objectId: String) async throws(StorageError) -> [String] {
        try await database.read { db in
            try await db.raw(
                """
                SELECT username FROM username_bindings WHERE tenant_id = \(bind: tenantId.lowercased())
                AND object_id = \(bind: objectId.lowercased())
                """
            ).all().map { try $0.decode(column: "username", as: String.self) }
        }
    }
}
