import Foundation
import SQLKit

/// Users, their linked Microsoft accounts, and blocks.
public protocol UserStore: Sendable {
    /// Finds the user for (tenant, object id) or creates one; refreshes name and last-login time.
    func upsertUser(
        tenantId: String, objectId: String, username: String, displayName: String
    ) async throws(StorageError)
        -> User
    func user(id: String) async throws(StorageError) -> User?
    func user(tenantId: String, objectId: String) async throws(StorageError) -> User?
    /// Finds users whose id, username or object id equals `reference` (for admin commands).
    func findUsers(matching reference: String) async throws(StorageError) -> [User]
    func allUsers(limit: Int) async throws(StorageError) -> [User]
    /// The users with these ids, in one query (unknown ids are left out).
    func users(ids: [String]) async throws(StorageError) -> [User]
    func deleteUser(id: String) async throws(StorageError)

    /// Creates or updates the account with this label for the user.
    func upsertAccount(
        userId: String, label: String, tenantId: String, objectId: String, username: String, grantedScopes: String
    ) async throws(StorageError) -> LinkedAccount
    func account(id: String) async throws(StorageError) -> LinkedAccount?
    func accounts(userId: String) async throws(StorageError) -> [LinkedAccount]
    /// The accounts of all these users, in one query, oldest first.
    func accounts(userIds: [String]) async throws(StorageError) -> [LinkedAccount]
    func setAccountStatus(id: String, _ status: LinkedAccount.Status) async throws(StorageError)
    func setGrantedScopes(accountId: String, _ scopes: String) async throws(StorageError)
    func deleteAccount(id: String) async throws(StorageError)

    func block(_ block: Block) async throws(StorageError)
    func unblock(subject: String) async throws(StorageError) -> Bool
    /// The block on `subject` if one is in force now.
    func activeBlock(subject: String) async throws(StorageError) -> Block?
    func activeBlocks() async throws(StorageError) -> [Block]
}

/// The SQL implementation of `UserStore`, the same on SQLite and PostgreSQL.
public struct SQLUserStore: UserStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func upsertUser(
        tenantId: String, objectId: String, username: String, displayName: String
    )
        async throws(StorageError) -> User
    {
        // One statement, so two first sign-ins of the same person at once cannot both insert.
        let now = Timestamp.now
        let newId = UUID().uuidString.lowercased()
        return try await database.read { db in
            try await db.raw(
                """
                INSERT INTO users (id, tenant_id, object_id, username, display_name, created_at, last_login_at)
                VALUES (\(bind: newId), \(bind: tenantId), \(bind: objectId), \(bind: username),
                \(bind: displayName), \(bind: now), \(bind: now))
                ON CONFLICT (tenant_id, object_id) DO UPDATE SET username = excluded.username,
                display_name = excluded.display_name, last_login_at = excluded.last_login_at
                """
            ).run()
            guard
                let user = try await db.raw(
                    "SELECT * FROM users WHERE tenant_id = \(bind: tenantId) AND object_id = \(bind: objectId)"
                ).first().map(Self.user)
            else { throw StorageError.failed("user vanished after upsert") }
            return user
        }
    }

    public func user(id: String) async throws(StorageError) -> User? {
        try await database.read { db in
            try await db.raw("SELECT * FROM users WHERE id = \(bind: id)").first().map(Self.user)
        }
    }

    public func user(tenantId: String, objectId: String) async throws(StorageError) -> User? {
        try await database.read { db in
            try await db.raw(
                "SELECT * FROM users WHERE tenant_id = \(bind: tenantId) AND object_id = \(bind: objectId)"
            ).first().map(Self.user)
        }
    }

    public func findUsers(matching reference: String) async throws(StorageError) -> [User] {
        try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM users WHERE id = \(bind: reference) OR object_id = \(bind: reference)
                OR LOWER(username) = \(bind: reference.lowercased()) ORDER BY created_at
                """
            ).all().map(Self.user)
        }
    }

    public func allUsers(limit: Int) async throws(StorageError) -> [User] {
        try await database.read { db in
            try await db.raw("SELECT * FROM users ORDER BY created_at LIMIT \(bind: limit)").all().map(Self.user)
        }
    }

    public func users(ids: [String]) async throws(StorageError) -> [User] {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            try await db.raw("SELECT * FROM users WHERE id IN (\(binds: Array(Set(ids))))").all().map(Self.user)
        }
    }

    public func deleteUser(id: String) async throws(StorageError) {
        try await RevocationEpoch.changingAccess(database) { db in
            try await db.raw("DELETE FROM users WHERE id = \(bind: id)").run()
        }
    }

    public func upsertAccount(
        userId: String, label: String, tenantId: String, objectId: String, username: String, grantedScopes: String
    ) async throws(StorageError) -> LinkedAccount {
        let now = Timestamp.now
        let newId = UUID().uuidString.lowercased()
        let active = LinkedAccount.Status.active.rawValue
        return try await RevocationEpoch.changingAccess(database) { db in
            try await db.raw(
                """
                INSERT INTO accounts (id, user_id, label, tenant_id, object_id, username, granted_scopes, status,
                created_at, updated_at) VALUES (\(bind: newId), \(bind: userId), \(bind: label), \(bind: tenantId),
                \(bind: objectId), \(bind: username), \(bind: grantedScopes), \(bind: active), \(bind: now), \(bind: now))
                ON CONFLICT (user_id, label) DO UPDATE SET tenant_id = excluded.tenant_id,
                object_id = excluded.object_id, username = excluded.username,
                granted_scopes = excluded.granted_scopes, status = excluded.status, updated_at = excluded.updated_at
                """
            ).run()
            guard
                let account = try await db.raw(
                    "SELECT * FROM accounts WHERE user_id = \(bind: userId) AND label = \(bind: label)"
                ).first().map(Self.account)
            else { throw StorageError.failed("account vanished after upsert") }
            return account
        }
    }

    public func account(id: String) async throws(StorageError) -> LinkedAccount? {
        try await database.read { db in
            try await db.raw("SELECT * FROM accounts WHERE id = \(bind: id)").first().map(Self.account)
        }
    }

    public func accounts(userId: String) async throws(StorageError) -> [LinkedAccount] {
        try await database.read { db in
            try await db.raw("SELECT * FROM accounts WHERE user_id = \(bind: userId) ORDER BY created_at").all()
                .map(Self.account)
        }
    }

    public func accounts(userIds: [String]) async throws(StorageError) -> [LinkedAccount] {
        guard !userIds.isEmpty else { return [] }
        return try await database.read { db in
            try await db.raw(
                "SELECT * FROM accounts WHERE user_id IN (\(binds: Array(Set(userIds)))) ORDER BY created_at, id"
            ).all().map(Self.account)
        }
    }

    public func setAccountStatus(id: String, _ status: LinkedAccount.Status) async throws(StorageError) {
        try await RevocationEpoch.changingAccess(database) { db in
            try await db.raw(
                """
                UPDATE accounts SET status = \(bind: status.rawValue), updated_at = \(bind: Timestamp.now)
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    public func setGrantedScopes(accountId: String, _ scopes: String) async throws(StorageError) {
        try await RevocationEpoch.changingAccess(database) { db in
            try await db.raw(
                """
                UPDATE accounts SET granted_scopes = \(bind: scopes), updated_at = \(bind: Timestamp.now)
                WHERE id = \(bind: accountId)
                """
            ).run()
        }
    }

    public func deleteAccount(id: String) async throws(StorageError) {
        try await RevocationEpoch.changingAccess(database) { db in
            try await db.raw("DELETE FROM accounts WHERE id = \(bind: id)").run()
        }
    }

    public func block(_ block: Block) async throws(StorageError) {
        try await RevocationEpoch.changingAccess(database) { db in
            try await db.raw(
                """
                INSERT INTO blocks (subject, blocked_until, reason, created_by, created_at)
                VALUES (\(bind: block.subject), \(bind: block.blockedUntil), \(bind: block.reason),
                \(bind: block.createdBy), \(bind: block.createdAt))
                ON CONFLICT (subject) DO UPDATE SET blocked_until = excluded.blocked_until, reason = excluded.reason,
                created_by = excluded.created_by, created_at = excluded.created_at
                """
            ).run()
        }
    }

    public func unblock(subject: String) async throws(StorageError) -> Bool {
        try await RevocationEpoch.changingAccess(database) { db in
            let existing = try await db.raw("SELECT subject FROM blocks WHERE subject = \(bind: subject)").first()
            try await db.raw("DELETE FROM blocks WHERE subject = \(bind: subject)").run()
            return existing != nil
        }
    }

    public func activeBlock(subject: String) async throws(StorageError) -> Block? {
        let now = Timestamp.now
        return try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM blocks WHERE subject = \(bind: subject)
                AND (blocked_until IS NULL OR blocked_until > \(bind: now))
                """
            ).first().map(Self.block)
        }
    }

    public func activeBlocks() async throws(StorageError) -> [Block] {
        let now = Timestamp.now
        return try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM blocks WHERE blocked_until IS NULL OR blocked_until > \(bind: now)
                ORDER BY created_at
                """
            ).all().map(Self.block)
        }
    }

    static func user(_ row: any SQLRow) throws -> User {
        User(
            id: try row.decode(column: "id", as: String.self),
            tenantId: try row.decode(column: "tenant_id", as: String.self),
            objectId: try row.decode(column: "object_id", as: String.self),
            username: try row.decode(column: "username", as: String.self),
            displayName: try row.decode(column: "display_name", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            lastLoginAt: try row.decode(column: "last_login_at", as: Int64.self))
    }

    static func account(_ row: any SQLRow) throws -> LinkedAccount {
        LinkedAccount(
            id: try row.decode(column: "id", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            label: try row.decode(column: "label", as: String.self),
            tenantId: try row.decode(column: "tenant_id", as: String.self),
            objectId: try row.decode(column: "object_id", as: String.self),
            username: try row.decode(column: "username", as: String.self),
            grantedScopes: try row.decode(column: "granted_scopes", as: String.self),
            status: LinkedAccount.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .needsSignIn,
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            updatedAt: try row.decode(column: "updated_at", as: Int64.self))
    }

    static func block(_ row: any SQLRow) throws -> Block {
        Block(
            subject: try row.decode(column: "subject", as: String.self),
            blockedUntil: try row.decode(column: "blocked_until", as: Int64?.self),
            reason: try row.decode(column: "reason", as: String.self),
            createdBy: try row.decode(column: "created_by", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self))
    }
}
