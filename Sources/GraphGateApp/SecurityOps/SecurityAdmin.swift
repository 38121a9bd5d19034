import AsyncHTTPClient
import Foundation
import Logging
import Security
import Storage

/// What the `audit` and `admin` commands do, against the configured store (no server needed).
public enum SecurityAdmin {
    /// Opens and migrates the store, runs `body`, closes the store.
    static func withStore<R: Sendable>(
        config: GraphGateConfig, logger: Logger, _ body: @Sendable @escaping (Database) async throws -> R
    ) async throws -> R {
        let database = try await Database.open(config.database, logger: logger)
        return try await database.withRunning {
            try await database.checkReachable()
            try await Migrator(database: database).migrate(logger: logger)
            return try await body(database)
        }
    }

    /// Walks the chain. Uses the signing key when it exists (never creates one here). `expectedHeads` are heads
    /// exported earlier (`audit export-head`), kept outside the database.
    public static func verifyAudit(config: GraphGateConfig, logger: Logger, expectedHeads: [AuditSignedHead])
        async throws -> AuditVerification
    {
        let key = try? SecurityServices.signingKey(config: config, create: false)
        return try await withStore(config: config, logger: logger) { database in
            try await AuditVerifier(store: SQLAuditStore(database: database), key: key).verify(
                expectedHeads: expectedHeads)
        }
    }

    /// Writes rows after `after` as JSON lines. Returns how many.
    public static func exportAudit(
        config: GraphGateConfig, logger: Logger, after: Int64, write: @Sendable @escaping (String) throws -> Void
    ) async throws -> Int64 {
        try await withStore(config: config, logger: logger) { database in
            try await AuditExporter(store: SQLAuditStore(database: database)).export(after: after, write: write)
        }
    }

    /// Signs the current head now (creating the key if needed) and returns it, to keep outside the database.
    public static func signAuditHead(config: GraphGateConfig, logger: Logger) async throws -> AuditSignedHead {
        let key = try SecurityServices.signingKey(config: config, create: true)
        return try await withStore(config: config, logger: logger) { database in
            let signer = AuditHeadSigner(store: SQLAuditStore(database: database), key: key, logger: logger)
            guard let head = try await signer.signNow(force: true) else { throw SecurityError.storage("nothing signed") }
            return head
        }
    }

    /// Runs `body` with the incident actions wired to the stores, acting as `actor` (recorded in the audit).
    public static func withIncidents<R: Sendable>(
        config: GraphGateConfig, logger: Logger, _ body: @Sendable @escaping (IncidentResponder) async throws -> R
    ) async throws -> R {
        try await withStore(config: config, logger: logger) { database in
            let users = SQLUserStore(database: database)
            let audit = AuditLog(store: SQLAuditStore(database: database), logger: logger)
            let oauth = SQLOAuthStore(database: database)
            let responder = IncidentResponder(
                users: users, audit: audit,
                revoker: StoreAccessRevoker(oauth: oauth, browserSessions: SQLBrowserSessionStore(database: database)),
                eraser: VaultTokenEraser(users: users, blobs: SQLTokenBlobStore(database: database)),
                lister: GrantSessionLister(oauth: oauth), logger: logger)
            return try await body(responder)
        }
    }
}
