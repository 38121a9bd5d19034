import SQLKit

/// One handshake-era MCP session as stored (the id itself is never stored, only its hash).
public struct MCPSessionRecord: Sendable, Equatable {
    public var idHash: String
    public var userId: String
    public var clientId: String
    public var grantId: String
    public var protocolVersion: String
    /// The `capabilities` object of the client's `initialize`, as compact JSON.
    public var clientCapabilities: String
    /// `clientInfo.name` (display only, at most 200 characters).
    public var clientName: String
    public var createdAt: Int64
    public var lastUsedAt: Int64

    public init(
        idHash: String, userId: String, clientId: String, grantId: String, protocolVersion: String,
        clientCapabilities: String, clientName: String, createdAt: Int64, lastUsedAt: Int64
    ) {
        self.idHash = idHash
        self.userId = userId
        self.clientId = clientId
        self.grantId = grantId
        self.protocolVersion = protocolVersion
        self.clientCapabilities = clientCapabilities
        self.clientName = clientName
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// Handshake-era MCP sessions (table `mcp_sessions`).
public protocol MCPSessionStore: Sendable {
    func insertSession(_ session: MCPSessionRecord) async throws(StorageError)
    /// The session unless it has been idle `idleTimeout` seconds or longer.
    func session(idHash: String, now: Int64, idleTimeout: Int64) async throws(StorageError) -> MCPSessionRecord?
    func touchSession(idHash: String, now: Int64) async throws(StorageError)
    /// Returns whether a row was deleted.
    @discardableResult func deleteSession(idHash: String) async throws(StorageError) -> Bool
    func deleteSessions(userId: String) async throws(StorageError)
    func deleteSessions(grantIds: [String]) async throws(StorageError)
    func sessions(userId: String) async throws(StorageError) -> [MCPSessionRecord]
    /// Deletes sessions idle `idleTimeout` seconds or longer; returns how many.
    @discardableResult func purgeIdleSessions(now: Int64, idleTimeout: Int64) async throws(StorageError) -> Int
    /// Keeps the `keep` most recently used sessions of the user and deletes the rest; returns how many went.
    @discardableResult func trimSessions(userId: String, keep: Int) async throws(StorageError) -> Int
    /// Records a 2026-era `requestState` (by the hash of its sealed bytes) as answered: true the first time, false
    /// when it was recorded before (by this or any instance).
    func consumeRequestState(hash: String, expiresAt: Int64) async throws(StorageError) -> Bool
    /// Deletes consumed-state rows that expired before `now`; returns how many.
    @discardableResult func purgeConsumedRequestStates(now: Int64) async throws(StorageError) -> Int
}

/// The SQL implementation of `MCPSessionStore`.
public struct SQLMCPSessionStore: MCPSessionStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func insertSession(_ s: MCPSessionRecord) async throws(StorageError) {
        try await database.read { db in
            try await db.raw(
                """
                INSERT INTO mcp_sessions (id_hash, user_id, client_id, grant_id, protocol_version,
                client_capabilities, client_name, created_at, last_used_at)
                VALUES (\(bind: s.idHash), \(bind: s.userId), \(bind: s.clientId), \(bind: s.grantId),
                \(bind: s.protocolVersion), \(bind: s.clientCapabilities), \(bind: s.clientName), \(bind: s.createdAt),
                \(bind: s.lastUsedAt))
                """
            ).run()
        }
    }

    public func session(idHash: String, now: Int64, idleTimeout: Int64) async throws(StorageError)
        -> MCPSessionRecord?
    {
        let idleSince = now - idleTimeout
        return try await database.read { db in
            try await db.raw(
                """
                SELECT * FROM mcp_sessions WHERE id_hash = \(bind: idHash) AND last_used_at > \(bind: idleSince)
                """
            ).first().map(Self.record)
        }
    }

    public func touchSession(idHash: String, now: Int64) async throws(StorageError) {
        try await database.read { db in
            try await db.raw(
                "UPDATE mcp_sessions SET last_used_at = \(bind: now) WHERE id_hash = \(bind: idHash)"
            ).run()
        }
    }

    @discardableResult
    public func deleteSession(idHash: String) async throws(StorageError) -> Bool {
        try await database.read { db in
            try await db.raw("DELETE FROM mcp_sessions WHERE id_hash = \(bind: idHash) RETURNING id_hash").all()
                .count > 0
        }
    }

    public func deleteSessions(userId: String) async throws(StorageError) {
        try await database.read { db in
            try await db.raw("DELETE FROM mcp_sessions WHERE user_id = \(bind: userId)").run()
        }
    }

    public func deleteSessions(grantIds: [String]) async throws(StorageError) {
        guard !grantIds.isEmpty else { return }
        try await database.read { db in
            for grantId in grantIds {
                try await db.raw("DELETE FROM mcp_sessions WHERE grant_id = \(bind: grantId)").run()
            }
        }
    }

    public func sessions(userId: String) async throws(StorageError) -> [MCPSessionRecord] {
        try await database.read { db in
            try await db.raw(
                "SELECT * FROM mcp_sessions WHERE user_id = \(bind: userId) ORDER BY last_used_at DESC, id_hash"
            ).all().map(Self.record)
        }
    }

    @discardableResult
    public func purgeIdleSessions(now: Int64, idleTimeout: Int64) async throws(StorageError) -> Int {
        let idleSince = now - idleTimeout
        return try await database.read { db in
            try await db.raw(
                "DELETE FROM mcp_sessions WHERE last_used_at <= \(bind: idleSince) RETURNING id_hash"
            ).all().count
        }
    }

    @discardableResult
    public func trimSessions(userId: String, keep: Int) async throws(StorageError) -> Int {
        try await database.transaction { db in
            let rows = try await db.raw(
                """
                SELECT id_hash FROM mcp_sessions WHERE user_id = \(bind: userId)
                ORDER BY last_used_at DESC, created_at DESC
                """
            ).all()
            let extra = try rows.dropFirst(max(0, keep)).map { try $0.decode(column: "id_hash", as: String.self) }
            for idHash in extra {
                try await db.raw("DELETE FROM mcp_sessions WHERE id_hash = \(bind: idHash)").run()
            }
            return extra.count
        }
    }

    public func consumeRequestState(hash: String, expiresAt: Int64) async throws(StorageError) -> Bool {
        try await database.read { db in
            try await db.raw(
                """
                INSERT INTO mcp_consumed_states (state_hash, expires_at) VALUES (\(bind: hash), \(bind: expiresAt))
                ON CONFLICT (state_hash) DO NOTHING RETURNING state_hash
                """
            ).all().count == 1
        }
    }

    @discardableResult
    public func purgeConsumedRequestStates(now: Int64) async throws(StorageError) -> Int {
        try await database.read { db in
            try await db.raw(
                "DELETE FROM mcp_consumed_states WHERE expires_at < \(bind: now) RETURNING state_hash"
            ).all().count
        }
    }

    static func record(_ row: any SQLRow) throws -> MCPSessionRecord {
        MCPSessionRecord(
            idHash: try row.decode(column: "id_hash", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            clientId: try row.decode(column: "client_id", as: String.self),
            grantId: try row.decode(column: "grant_id", as: String.self),
            protocolVersion: try row.decode(column: "protocol_version", as: String.self),
            clientCapabilities: try row.decode(column: "client_capabilities", as: String.self),
            clientName: try row.decode(column: "client_name", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            lastUsedAt: try row.decode(column: "last_used_at", as: Int64.self))
    }
}
