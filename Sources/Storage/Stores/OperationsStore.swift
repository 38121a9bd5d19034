import Foundation
import SQLKit

/// What operators' tooling needs from the store: retention pruning, numbers for metrics, and online backup.
public protocol OperationsStore: Sendable {
    /// Removes rows whose useful life ended before `cutoff` (expired or revoked sessions, tokens, codes, pending
    /// sign-ins, revoked grants). Returns rows removed per table.
    func pruneExpired(before cutoff: Int64) async throws(StorageError) -> [String: Int]
    /// Removes audit rows recorded before `cutoff`, keeping the chain verifiable: the last removed row's seq and
    /// hash are stored in `audit_prune_anchor` in the same transaction. Returns the number of rows removed.
    func pruneAudit(before cutoff: Int64, batch: Int) async throws(StorageError) -> Int
    /// The (seq, hash) the first remaining audit row links to, when retention removed earlier rows.
    func auditPruneAnchor() async throws(StorageError) -> (seq: Int64, hash: String)?
    func sample(now: Int64) async throws(StorageError) -> OperationsSample
    /// Writes a consistent copy of the SQLite database to `path` (which must not exist). SQLite only.
    func backupSQLite(to path: String) async throws(StorageError)
}

/// Numbers sampled for `/metrics`.
public struct OperationsSample: Sendable {
    public var users: Int64
    public var browserSessionsOpen: Int64
    /// PostgreSQL: connections to this database by state (`active`, `idle`, …). Empty on SQLite.
    public var connectionsByState: [String: Int64]
    /// SQLite: file size in bytes. Nil on PostgreSQL.
    public var sizeBytes: Int64?
}

/// The SQL implementation of `OperationsStore`, the same on SQLite and PostgreSQL.
public struct SQLOperationsStore: OperationsStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func pruneExpired(before cutoff: Int64) async throws(StorageError) -> [String: Int] {
        try await database.transaction { db in
            var removed: [String: Int] = [:]
            // Each statement is fixed text with bound values only.
            removed["oauth_grants"] = try await Self.count(
                db, delete: "DELETE FROM oauth_grants WHERE revoked_at IS NOT NULL AND revoked_at < \(bind: cutoff)")
            removed["oauth_tokens"] = try await Self.count(
                db, delete: "DELETE FROM oauth_tokens WHERE expires_at < \(bind: cutoff)")
            removed["oauth_codes"] = try await Self.count(
                db, delete: "DELETE FROM oauth_codes WHERE expires_at < \(bind: cutoff)")
            removed["oauth_pending_authorizations"] = try await Self.count(
                db, delete: "DELETE FROM oauth_pending_authorizations WHERE expires_at < \(bind: cutoff)")
            removed["browser_sessions"] = try await Self.count(
                db, delete: "DELETE FROM browser_sessions WHERE expires_at < \(bind: cutoff)")
            return removed
        }
    }

    /// Runs a DELETE … RETURNING 1 and counts the rows (works on SQLite ≥ 3.35 and PostgreSQL alike).
    private static func count(_ db: any SQLDatabase, delete: SQLQueryString) async throws -> Int {
        var query = delete
        query.appendLiteral(" RETURNING 1 AS removed")
        return try await db.raw(query).all().count
    }

    public func pruneAudit(before cutoff: Int64, batch: Int) async throws(StorageError) -> Int {
        let lock = database.lockingClause
        return try await database.transaction { db in
            // Serialise with appenders (they lock the head row) so the anchor and the deletion agree.
            _ = try await db.raw("SELECT seq FROM audit_chain_head WHERE id = 'main'\(unsafeRaw: lock)").all()
            let rows = try await db.raw(
                """
                SELECT seq, hash FROM audit_log WHERE at < \(bind: cutoff) ORDER BY seq LIMIT \(bind: batch)
                """
            ).all()
            // Only a contiguous prefix may go: a later row older than an earlier one (clock change) stops it.
            let first = try await db.raw("SELECT MIN(seq) AS seq FROM audit_log").first()?
                .decode(column: "seq", as: Int64?.self)
            guard var expected = first else { return 0 }
            var last: (seq: Int64, hash: String)?
            for row in rows {
                let seq = try row.decode(column: "seq", as: Int64.self)
                guard seq == expected else { break }
                last = (seq, try row.decode(column: "hash", as: String.self))
                expected += 1
            }
            guard let last else { return 0 }
            let removed = try await Self.count(db, delete: "DELETE FROM audit_log WHERE seq <= \(bind: last.seq)")
            let now = Timestamp.now
            let updated = try await db.raw(
                """
                UPDATE audit_prune_anchor SET seq = \(bind: last.seq), hash = \(bind: last.hash),
                pruned_at = \(bind: now) WHERE id = 'main' RETURNING 1 AS updated
                """
            ).all().count
            if updated == 0 {
                try await db.raw(
                    """
                    INSERT INTO audit_prune_anchor (id, seq, hash, pruned_at)
                    VALUES ('main', \(bind: last.seq), \(bind: last.hash), \(bind: now))
                    """
                ).run()
            }
            return removed
        }
    }

    public func auditPruneAnchor() async throws(StorageError) -> (seq: Int64, hash: String)? {
        try await database.read { db in
            guard let row = try await db.raw("SELECT seq, hash FROM audit_prune_anchor WHERE id = 'main'").first()
            else { return nil }
            return (try row.decode(column: "seq", as: Int64.self), try row.decode(column: "hash", as: String.self))
        }
    }

    public func sample(now: Int64) async throws(StorageError) -> OperationsSample {
        let backend = database.backend
        return try await database.read { db in
            let users = try await db.raw("SELECT COUNT(*) AS n FROM users").first()?.decode(column: "n", as: Int64.self)
            let sessions = try await db.raw(
                "SELECT COUNT(*) AS n FROM browser_sessions WHERE expires_at > \(bind: now)"
            ).first()?.decode(column: "n", as: Int64.self)
            var sample = OperationsSample(
                users: users ?? 0, browserSessionsOpen: sessions ?? 0, connectionsByState: [:], sizeBytes: nil)
            switch backend {
            case .postgres:
                let rows = try await db.raw(
                    """
                    SELECT COALESCE(state, 'unknown') AS state, COUNT(*) AS n FROM pg_stat_activity
                    WHERE datname = current_database() GROUP BY COALESCE(state, 'unknown')
                    """
                ).all()
                for row in rows {
                    sample.connectionsByState[try row.decode(column: "state", as: String.self)] =
                        try row.decode(column: "n", as: Int64.self)
                }
            case .sqlite:
                let pages = try await db.raw("PRAGMA page_count").first()?.decode(column: "page_count", as: Int64.self)
                let size = try await db.raw("PRAGMA page_size").first()?.decode(column: "page_size", as: Int64.self)
                sample.sizeBytes = (pages ?? 0) * (size ?? 0)
            }
            return sample
        }
    }

    public func backupSQLite(to path: String) async throws(StorageError) {
        guard database.backend == .sqlite else {
            throw .failed("online backup is for SQLite; use pg_dump for PostgreSQL")
        }
        // VACUUM INTO takes an expression, so the path is a bound parameter like any other value.
        try await database.read { db in try await db.raw("VACUUM INTO \(bind: path)").run() }
    }
}
