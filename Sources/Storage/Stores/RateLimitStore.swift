import SQLKit

/// Token buckets shared by every instance that uses the same database.
///
/// One `take` is one statement (`INSERT … ON CONFLICT DO UPDATE … RETURNING`): refill by elapsed time, take the
/// cost if enough is left, and report whether it was taken — atomically in the database, so two instances
/// never both spend the last token. Amounts are integers in nano-tokens and times in milliseconds.
public protocol RateLimitStore: Sendable {
    /// Takes `cost` from the bucket `key` (created full). Returns whether it was taken and what is left.
    func take(
        key: String, capacity: Int64, refillPerMs: Int64, cost: Int64, nowMs: Int64
    )
        async throws(StorageError) -> (allowed: Bool, tokens: Int64)
    /// Deletes buckets untouched since `beforeMs` (they would be full again anyway).
    func prune(beforeMs: Int64) async throws(StorageError) -> Int
}

/// The SQL implementation of `RateLimitStore`, the same on SQLite (3.35+) and PostgreSQL.
public struct SQLRateLimitStore: RateLimitStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func take(
        key: String, capacity: Int64, refillPerMs: Int64, cost: Int64, nowMs: Int64
    )
        async throws(StorageError) -> (allowed: Bool, tokens: Int64)
    {
        // Milliseconds after which an empty bucket is full: elapsed time is capped there, so the product below
        // cannot overflow however long a bucket sat idle.
        let fullAfter = max(1, capacity / max(1, refillPerMs) + 1)
        return try await database.read { db in
            let refilled: SQLQueryString = """
                (CASE WHEN \(bind: nowMs) <= rate_buckets.updated_ms THEN rate_buckets.tokens \
                WHEN \(bind: nowMs) - rate_buckets.updated_ms >= \(bind: fullAfter) THEN \(bind: capacity) \
                WHEN rate_buckets.tokens + (\(bind: nowMs) - rate_buckets.updated_ms) * \(bind: refillPerMs) \
                >= \(bind: capacity) THEN \(bind: capacity) \
                ELSE rate_buckets.tokens + (\(bind: nowMs) - rate_buckets.updated_ms) * \(bind: refillPerMs) END)
                """
            var sql: SQLQueryString = """
                INSERT INTO rate_buckets (bucket_key, tokens, updated_ms, allowed)
                VALUES (\(bind: key), \(bind: min(capacity, capacity - cost)), \(bind: nowMs), 1)
                ON CONFLICT (bucket_key) DO UPDATE SET tokens = CASE WHEN 
                """
            sql.appendInterpolation(refilled)
            sql.appendLiteral(" >= ")
            sql.appendInterpolation(bind: cost)
            // A negative cost gives back, capped at the capacity.
            sql.appendLiteral(" THEN (CASE WHEN ")
            sql.appendInterpolation(refilled)
            sql.appendLiteral(" - ")
            sql.appendInterpolation(bind: cost)
            sql.appendLiteral(" > ")
            sql.appendInterpolation(bind: capacity)
            sql.appendLiteral(" THEN ")
            sql.appendInterpolation(bind: capacity)
            sql.appendLiteral(" ELSE ")
            sql.appendInterpolation(refilled)
            sql.appendLiteral(" - ")
            sql.appendInterpolation(bind: cost)
            sql.appendLiteral(" END) ELSE ")
            sql.appendInterpolation(refilled)
            sql.appendLiteral(" END, allowed = CASE WHEN ")
            sql.appendInterpolation(refilled)
            sql.appendLiteral(" >= ")
            sql.appendInterpolation(bind: cost)
            sql.appendLiteral(" THEN 1 ELSE 0 END, updated_ms = CASE WHEN rate_buckets.updated_ms > ")
            sql.appendInterpolation(bind: nowMs)
            sql.appendLiteral(" THEN rate_buckets.updated_ms ELSE ")
            sql.appendInterpolation(bind: nowMs)
            sql.appendLiteral(" END RETURNING tokens, allowed")
            guard let row = try await db.raw(sql).first() else { throw StorageError.failed("no row returned") }
            return (
                try row.decode(column: "allowed", as: Int64.self) == 1, try row.decode(column: "tokens", as: Int64.self)
            )
        }
    }

    public func prune(beforeMs: Int64) async throws(StorageError) -> Int {
        try await database.read { db in
            let row = try await db.raw(
                "SELECT COUNT(*) AS n FROM rate_buckets WHERE updated_ms < \(bind: beforeMs)"
            ).first()
            try await db.raw("DELETE FROM rate_buckets WHERE updated_ms < \(bind: beforeMs)").run()
            return Int(try row?.decode(column: "n", as: Int64.self) ?? 0)
        }
    }
}
