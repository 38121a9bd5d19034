import Crypto
import Foundation
import JSONText
import Logging
import SecurityOps
import Storage

/// Handshake-era MCP sessions, kept as rows of the store (never in process memory), so a restart or another
/// instance sharing the database serves them too.
///
/// A session id is 256 random bits (base64url) that only the client holds; the row is keyed by its SHA-256. A
/// session is bound for life to one principal (user, client, grant): presented by anyone else it is a 404,
/// exactly like one that does not exist, and audited as `mcp.session.cross_user`.
public struct MCPSessionManager: Sendable {
    let store: any MCPSessionStore
    let configuration: MCPConfiguration
    let logger: Logger
    let audit: (any AuditRecorder)?
    let now: @Sendable () -> Int64

    /// A use this long after the last recorded one updates `last_used_at` (not every request writes).
    static let touchInterval: Int64 = 60

    public init(
        store: any MCPSessionStore, configuration: MCPConfiguration, logger: Logger, audit: (any AuditRecorder)? = nil,
        now: @escaping @Sendable () -> Int64 = { Timestamp.now }
    ) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.audit = audit
        self.now = now
    }

    var idleSeconds: Int64 { configuration.sessionIdleTimeout.components.seconds }

    /// Stores a new session for `principal` after `initialize`; returns its id (for `Mcp-Session-Id`).
    public func open(principal: MCPPrincipal, handshake: MCPCore.Handshake) async throws(StorageError) -> String {
        let id = Base64URL.encode(Data(SystemRandom.bytes(32)))
        let time = now()
        try await store.insertSession(
            MCPSessionRecord(
                idHash: Self.hash(id), userId: principal.userId, clientId: principal.clientId,
                grantId: principal.grantId, protocolVersion: handshake.version,
                clientCapabilities: JSONWriter.string(handshake.clientCapabilities), clientName: handshake.clientName,
                createdAt: time, lastUsedAt: time))
        let trimmed = try await store.trimSessions(userId: principal.userId, keep: configuration.maxSessionsPerUser)
        MCPMetrics.sessionOpened()
        logger.info(
            "MCP session opened",
            metadata: [
                "gg.user": "\(principal.userId)", "gg.client": "\(principal.clientId)",
                "gg.protocol": "\(handshake.version)", "gg.trimmed": "\(trimmed)",
            ])
        return id
    }

    /// The live session `id` of exactly this principal, or nil (unknown, idle too long, ended, or someone else's).
    public func find(id: String, principal: MCPPrincipal) async throws(StorageError) -> MCPSessionRecord? {
        guard id.utf8.count <= 128 else { return nil }
        let time = now()
        guard let record = try await store.session(idHash: Self.hash(id), now: time, idleTimeout: idleSeconds) else {
            return nil
        }
        guard record.userId == principal.userId, record.clientId == principal.clientId,
            record.grantId == principal.grantId
        else {
            logger.warning(
                "MCP session id presented by another principal",
                metadata: ["gg.user": "\(principal.userId)", "gg.session_user": "\(record.userId)"])
            await audit?.record(
                AuditEvent(
                    "mcp.session.cross_user", outcome: .denied, userId: principal.userId,
                    clientId: principal.clientId, details: ["session_user_id": record.userId]))
            return nil
        }
        if time - record.lastUsedAt >= Self.touchInterval {
            try await store.touchSession(idHash: record.idHash, now: time)
        }
        return record
    }

    /// Ends the session (client's DELETE); false when it was not this principal's live session.
    public func end(id: String, principal: MCPPrincipal) async throws(StorageError) -> Bool {
        guard let record = try await find(id: id, principal: principal) else { return false }
        guard try await store.deleteSession(idHash: record.idHash) else { return false }
        MCPMetrics.sessionClosed()
        logger.info("MCP session closed", metadata: ["gg.user": "\(principal.userId)", "gg.reason": "client_deleted"])
        return true
    }

    /// Ends every session of the user (revocation, block, sign-out everywhere).
    public func closeAll(userId: String) async {
        do {
            try await store.deleteSessions(userId: userId)
        } catch {
            logger.error("deleting MCP sessions failed", metadata: ["gg.error": "\(error)"])
        }
    }

    /// Ends every session bound to one of these grants.
    public func closeAll(grantIds: [String]) async {
        do {
            try await store.deleteSessions(grantIds: grantIds)
        } catch {
            logger.error("deleting MCP sessions failed", metadata: ["gg.error": "\(error)"])
        }
    }

    /// Deletes sessions idle longer than the configured timeout; returns how many.
    @discardableResult
    public func reapIdle() async -> Int {
        do {
            return try await store.purgeIdleSessions(now: now(), idleTimeout: idleSeconds)
        } catch {
            logger.error("purging idle MCP sessions failed", metadata: ["gg.error": "\(error)"])
            return 0
        }
    }

    /// A live session as admin listings show it (never the id: a prefix of its hash).
    public struct Summary: Sendable {
        public var id: String
        public var clientId: String
        public var grantId: String
        public var protocolVersion: String
        public var lastUsedAt: Int64
    }

    /// Live sessions of a user, most recently used first.
    public func summaries(userId: String) async -> [Summary] {
        let cutoff = now() - idleSeconds
        let records = (try? await store.sessions(userId: userId)) ?? []
        return records.filter { $0.lastUsedAt > cutoff }.map {
            Summary(
                id: String($0.idHash.prefix(8)) + "…", clientId: $0.clientId, grantId: $0.grantId,
                protocolVersion: $0.protocolVersion, lastUsedAt: $0.lastUsedAt)
        }
    }

    /// Number of live sessions of one user.
    public func sessionCount(userId: String) async -> Int { await summaries(userId: userId).count }

    static func hash(_ id: String) -> String {
        Hex.string(SHA256.hash(data: Data(id.utf8)))
    }
}
