import SQLKit

/// The append-only audit chain.
///
/// Appends are serialised: each runs in a transaction that first locks the single chain-head row
/// (`SELECT … FOR UPDATE` on PostgreSQL; `BEGIN IMMEDIATE` on SQLite), so writers on every instance take turns
/// and the chain stays one linear sequence that `audit verify` can walk without merging.
public protocol AuditStore: Sendable {
    /// Appends rows in order, in one transaction. `hash(previousHash, row)` is called for each row (with
    /// `row.hash` empty) and must return the row's chain hash. Returns the rows as written.
    func append(
        _ rows: [AuditRow], hash: @escaping @Sendable (String, AuditRow) -> String
    )
        async throws(StorageError) -> [AuditRow]
    /// The chain head as recorded in the head row: (last seq, its hash); (0, 64 zeros) for an empty chain.
    func head() async throws(StorageError) -> (seq: Int64, hash: String)
    /// Rows with `seq > after`, in order, at most `limit`.
    func rows(after: Int64, limit: Int) async throws(StorageError) -> [AuditRow]
    /// The newest rows (optionally of one user), newest first.
    func recent(userId: String?, limit: Int) async throws(StorageError) -> [AuditRow]
    /// The newest rows, of all users, whose type starts with one of `typePrefixes` or that are one of
    /// `failedTypes` with an outcome other than success; newest first.
    func recent(typePrefixes: [String], failedTypes: [String], limit: Int) async throws(StorageError) -> [AuditRow]
    /// The row count and the highest seq present.
    /// For each user of `userIds`: the time of the newest row, among that user's `window` newest rows, whose type
    /// starts with none of `excludingPrefixes`. One query; unknown users and users without such a row are left
    /// out.
    func lastActivity(
        userIds: [String], window: Int, excludingPrefixes: [String]
    ) async throws(StorageError) -> [String: Int64]
    func stats() async throws(StorageError) -> (count: Int64, maxSeq: Int64)

    /// Where the chain starts when retention removed its oldest rows: the (seq, hash) of the last removed row,
    /// recorded by the retention pass (`audit_prune_anchor`). Nil when nothing was pruned.
    func pruneAnchor() async throws(StorageError) -> (seq: Int64, hash: String)?

    func addSignedHead(_ head: AuditSignedHead) async throws(StorageError)
    /// Signed heads, newest first.
    func signedHeads(limit: Int) async throws(StorageError) -> [AuditSignedHead]
}

/// The SQL implementation of `AuditStore`, the same on SQLite and PostgreSQL.
public struct SQLAuditStore: AuditStore {
    /// The hash of "nothing before the first row".
    public static let genesisHash = String(repeating: "0", count: 64)

    let database: Database

    public init(database: Database) { self.database = database }

    public func append(
        _ rows: [AuditRow], hash: @escaping @Sendable (String, AuditRow) -> String
    )
        async throws(StorageError) -> [AuditRow]
    {
        guard !rows.isEmpty else { return [] }
        let lock = database.lockingClause
        return try await database.transaction { db in
            guard
                let head = try await db.raw(
                    "SELECT seq, hash FROM audit_chain_head WHERE id = 'main'\(unsafeRaw: lock)"
                ).first()
            else { throw StorageError.failed("audit chain head row is missing") }
            var seq = try head.decode(column: "seq", as: Int64.self)
            var previous = try head.decode(column: "hash", as: String.self)
            var written: [AuditRow] = []
            written.reserveCapacity(rows.count)
            for var row in rows {
                seq += 1
                row.seq = seq
                row.hash = ""
                row.hash = hash(previous, row)
                previous = row.hash
                written.append(row)
            }
            // Multi-row INSERTs in chunks keep round trips low for batches (SQLite allows 32766 parameters).
            for chunk in stride(from: 0, to: written.count, by: 500) {
                let part = written[chunk..<min(chunk + 500, written.count)]
                var sql = SQLQueryString(
                    "INSERT INTO audit_log (seq, at, event_type, outcome, user_id, client_id, source_ip, details, hash) VALUES "
                )
                for (index, row) in part.enumerated() {
                    if index > 0 { sql.appendLiteral(", ") }
                    sql.appendInterpolation(
                        """
                        (\(bind: row.seq), \(bind: row.at), \(bind: row.eventType), \(bind: row.outcome), \
                        \(bind: row.userId), \(bind: row.clientId), \(bind: row.sourceIP), \(bind: row.details), \
                        \(bind: row.hash))
                        """ as SQLQueryString)
                }
                try await db.raw(sql).run()
            }
            try await db.raw(
                "UPDATE audit_chain_head SET seq = \(bind: seq), hash = \(bind: previous) WHERE id = 'main'"
            ).run()
            return written
        }
    }

    public func head() async throws(StorageError) -> (seq: Int64, hash: String) {
        try await database.read { db in
            guard let row = try await db.raw("SELECT seq, hash FROM audit_chain_head WHERE id = 'main'").first()
            else { return (0, Self.genesisHash) }
            return (try row.decode(column: "seq", as: Int64.self), try row.decode(column: "hash", as: String.self))
        }
    }

    public func rows(after: Int64, limit: Int) async throws(StorageError) -> [AuditRow] {
        try await database.read { db in
            try await db.raw(
                "SELECT * FROM audit_log WHERE seq > \(bind: after) ORDER BY seq LIMIT \(bind: limit)"
            ).all().map(Self.row)
        }
    }

    public func recent(userId: String?, limit: Int) async throws(StorageError) -> [AuditRow] {
        try await database.read { db in
            if let userId {
                return try await db.raw(
                    "SELECT * FROM audit_log WHERE user_id = \(bind: userId) ORDER BY seq DESC LIMIT \(bind: limit)"
                ).all().map(Self.row)
            }
            return try await db.raw("SELECT * FROM audit_log ORDER BY seq DESC LIMIT \(bind: limit)").all()
                .map(Self.row)
        }
    }

    public func recent(
        typePrefixes: [String], failedTypes: [String], limit: Int
    ) async throws(StorageError) -> [AuditRow] {
        try await database.read { db in
            var sql = SQLQueryString("SELECT * FROM audit_log WHERE 1 = 0")
            for prefix in typePrefixes {
                sql.appendInterpolation(" OR event_type LIKE \(bind: prefix + "%")" as SQLQueryString)
            }
            if !failedTypes.isEmpty {
                sql.appendLiteral(" OR (outcome <> 'success' AND event_type IN (")
                for (index, type) in failedTypes.enumerated() {
                    if index > 0 { sql.appendLiteral(", ") }
                    sql.appendInterpolation("\(bind: type)" as SQLQueryString)
                }
                sql.appendLiteral("))")
            }
            sql.appendInterpolation(" ORDER BY seq DESC LIMIT \(bind: limit)" as SQLQueryString)
            return try await db.raw(sql).all().map(Self.row)
        }
    }

    public func lastActivity(
        userIds: [String], window: Int, excludingPrefixes: [String]
    ) async throws(StorageError) -> [String: Int64] {
        guard !userIds.isEmpty, window > 0 else { return [:] }
        return try await database.read { db in
            // Per user, two short walks down the (user_id, seq) index: the seq of the user's window-th newest row,
            // then the newest row from there on that is not excluded. Never a scan of a user's whole history.
            var sql: SQLQueryString = """
                SELECT u.id AS user_id, (SELECT a.at FROM audit_log a WHERE a.user_id = u.id
                AND a.seq >= COALESCE((SELECT b.seq FROM audit_log b WHERE b.user_id = u.id
                ORDER BY b.seq DESC LIMIT 1 OFFSET \(bind: window - 1)), 0)
                """
            for prefix in excludingPrefixes {
                sql.appendInterpolation(" AND a.event_type NOT LIKE \(bind: prefix + "%")" as SQLQueryString)
            }
            sql.appendInterpolation(
                " ORDER BY a.seq DESC LIMIT 1) AS at FROM users u WHERE u.id IN (\(binds: Array(Set(userIds))))"
                    as SQLQueryString)
            var result: [String: Int64] = [:]
            for row in try await db.raw(sql).all() {
                if let at = try row.decode(column: "at", as: Int64?.self) {
                    result[try row.decode(column: "user_id", as: String.self)] = at
                }
            }
            return result
        }
    }

    public func stats() async throws(StorageError) -> (count: Int64, maxSeq: Int64) {
        try await database.read { db in
            guard let row = try await db.raw("SELECT COUNT(*) AS n, MAX(seq) AS m FROM audit_log").first() else {
                return (0, 0)
            }
            return (
                try row.decode(column: "n", as: Int64.self), try row.decode(column: "m", as: Int64?.self) ?? 0
            )
        }
    }

    public func pruneAnchor() async throws(StorageError) -> (seq: Int64, hash: String)? {
        try await database.read { db in
            guard let row = try await db.raw("SELECT seq, hash FROM audit_prune_anchor WHERE id = 'main'").first()
            else { return nil }
            return (try row.decode(column: "seq", as: Int64.self), try row.decode(column: "hash", as: String.self))
        }
    }

    public func addSignedHead(_ head: AuditSignedHead) async throws(StorageError) {
        try await database.read { db in
            try await db.raw(
                """
                INSERT INTO audit_signed_heads (seq, hash, signed_at, key_id, mac)
                VALUES (\(bind: head.seq), \(bind: head.hash), \(bind: head.signedAt), \(bind: head.keyId), \
                \(bind: head.mac))
                """
            ).run()
        }
    }

    public func signedHeads(limit: Int) async throws(StorageError) -> [AuditSignedHead] {
        try await database.read { db in
            try await db.raw("SELECT * FROM audit_signed_heads ORDER BY seq DESC, id DESC LIMIT \(bind: limit)")
                .all().map { row in
                    AuditSignedHead(
                        seq: try row.decode(column: "seq", as: Int64.self),
                        hash: try row.decode(column: "hash", as: String.self),
                        signedAt: try row.decode(column: "signed_at", as: Int64.self),
                        keyId: try row.decode(column: "key_id", as: String.self),
                        mac: try row.decode(column: "mac", as: String.self))
                }
        }
    }

    static func row(_ row: any SQLRow) throws -> AuditRow {
        AuditRow(
            seq: try row.decode(column: "seq", as: Int64.self),
            at: try row.decode(column: "at", as: Int64.self),
            eventType: try row.decode(column: "event_type", as: String.self),
            outcome: try row.decode(column: "outcome", as: String.self),
            userId: try row.decode(column: "user_id", as: String?.self),
            clientId: try row.decode(column: "client_id", as: String?.self),
            sourceIP: try row.decode(column: "source_ip", as: String?.self),
            details: try row.decode(column: "details", as: String.self),
            hash: try row.decode(column: "hash", as: String.self))
    }
}
