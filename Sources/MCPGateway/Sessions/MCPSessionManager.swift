import Crypto
import Foundation
import JSONText
import Logging
import SecurityOps
import Storage

/// Handshake-era MCP sessions, kept as rows of the store, so a restart or another instance sharing the database
/// serves them too.
///
/// With a `cache` (SQLite: one server per database file), the rows this process read are also kept in memory for
/// a few seconds, so a call in a session costs no store round trip. Every way a session ends here drops it from the
/// cache at once (DELETE, the per-user trim, closing a user's or grants' sessions, the idle reaper); an ending
/// elsewhere (the command line's revocations) moves the revocation epoch, which empties it. On PostgreSQL there is
/// no cache: another instance may end a session at any moment, and the next request must see that.
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
    let cache: AccessChangeCache<MCPSessionRecord>?

    /// A use this long after the last recorded one updates `last_used_at` (not every request writes).
    static let touchInterval: Int64 = 60

    public init(
        store: any MCPSessionStore, configuration: MCPConfiguration, logger: Logger, audit: (any AuditRecorder)? = nil,
        now: @escaping @Sendable () -> Int64 = { Timestamp.now }, cache: AccessChangeCache<MCPSessionRecord>? = nil
    ) {
        self.cache = cache
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
        let record = MCPSessionRecord(
            idHash: Self.hash(id), userId: principal.userId, clientId: principal.clientId,
            grantId: principal.grantId, protocolVersion: handshake.version,
            clientCapabilities: JSONWriter.string(handshake.clientCapabilities), clientName: handshake.clientName,
            createdAt: time, lastUsedAt: time)
        // Taken before the insert: a revocation or trim racing it keeps the new row out of the copy.
        let ticket = await cache?.lookup(record.idHash).ticket
        try await store.insertSession(record)
        let trimmed = try await store.trimSessions(userId: principal.userId, keep: configuration.maxSessionsPerUser)
        if trimmed > 0 { cache?.remove { $1.userId == principal.userId } }
        // The session's first call needs no read (a client's first call follows its `initialize` at once).
        if let ticket { cache?.store(record, for: record.idHash, ticket: ticket) }
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
        let idHash = Self.hash(id)
        let cached = await cache?.lookup(idHash) { [store, now, idleSeconds] in
            try? await store.session(idHash: idHash, now: now(), idleTimeout: idleSeconds)
        }
        var record: MCPSessionRecord
        var read = false
        if let kept = cached?.value, kept.lastUsedAt > time - idleSeconds {
            record = kept
        } else {
            guard let row = try await store.session(idHash: idHash, now: time, idleTimeout: idleSeconds) else {
                return nil
            }
            record = row
            read = true
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
            record.lastUsedAt = time
            read = true
        }
        if read, let cached { cache?.store(record, for: idHash, ticket: cached.ticket) }
        return record
    }

    /// Ends the session (client's DELETE); false when it was not this principal's live session.
    public func end(id: String, principal: MCPPrincipal) async throws(StorageError) -> Bool {
        guard let record = try await find(id: id, principal: principal) else { return false }
        let deleted = try await store.deleteSession(idHash: record.idHash)
        cache?.remove { key, _ in key == record.idHash }
        guard deleted else { return false }
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
        // Even when the store failed: this process stops serving them from memory at once.
        cache?.remove { $1.userId == userId }
    }

    /// Ends every session bound to one of these grants.
    public func closeAll(grantIds: [String]) async {
        do {
            try await store.deleteSessions(grantIds: grantIds)
        } catch {
            logger.error("deleting MCP sessions failed", metadata: ["gg.error": "\(error)"])
        }
        // Even when the store failed: this process stops serving them from memory at once.
        cache?.remove { grantIds.contains($1.grantId) }
    }

    /// Deletes sessions idle longer than the configured timeout; returns how many.
    @discardableResult
    public func reapIdle() async -> Int {
        let time = now()
        let cutoff = time - idleSeconds
        cache?.remove { $1.lastUsedAt <= cutoff }
        do {
            return try await store.purgeIdleSessions(now: time, idleTimeout: idleSeconds)
        } catch {
            logger.error("purging idle MCP sessions failed", metadata: ["gg.error": "\(error)"])
            return 0
        }
    }

    /// Drops the consumed `requestState`s that expired (see ``RequestStateLedger``) five minutes ago or more; returns
    /// how many. The margin covers instances whose clocks differ: a slower one still accepts a state until its own
    /// clock passes the expiry, and its row must still refuse the replay then.
    @discardableResult
    public func purgeConsumedStates() async -> Int {
        do {
            return try await store.purgeConsumedRequestStates(now: now() - 300)
        } catch {
            logger.error("purging consumed request states failed", metadata: ["gg.error": "\(error)"])
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

/// The server's ledger of answered 2026-era `requestState`s is a table of the store: a state answered on one
/// instance is refused on every other, and after a restart.
extension MCPSessionManager: RequestStateLedger {
    public func consume(hash: String, expiresAt: Int64, now: Int64) async throws -> Bool {
        try await store.consumeRequestState(hash: hash, expiresAt: expiresAt)
    }
}
