import SQLKit

/// The monitor's counters and the alerts it fired, shared by every instance on one database.
public protocol AlertStore: Sendable {
    /// Adds one to the counter of (rule, subject, window) and returns the new count (atomic across instances).
    func increment(rule: String, subject: String, windowStart: Int64) async throws(StorageError) -> Int64
    /// The counter of (rule, subject, window); 0 when there is none.
    func count(rule: String, subject: String, windowStart: Int64) async throws(StorageError) -> Int64
    /// Records an alert; false when one for the same (rule, subject, window) exists (it fired already).
    func insertAlert(_ alert: AlertRecord) async throws(StorageError) -> Bool
    /// Whether an alert for (rule, subject, window) was recorded.
    func hasAlert(rule: String, subject: String, windowStart: Int64) async throws(StorageError) -> Bool
    /// Newest first.
    func recentAlerts(limit: Int) async throws(StorageError) -> [AlertRecord]
    /// Deletes counters of windows that started before `before`.
    func pruneCounters(before: Int64) async throws(StorageError)
    /// Counter sums of windows that started at or after `since`, per rule and kind of subject.
    func counterTotals(since: Int64) async throws(StorageError) -> [SecurityCounterTotal]
}

/// The SQL implementation of `AlertStore`.
public struct SQLAlertStore: AlertStore {
    let database: Database

    public init(database: Database) { self.database = database }

    public func increment(rule: String, subject: String, windowStart: Int64) async throws(StorageError) -> Int64 {
        try await database.read { db in
            guard
                let row = try await db.raw(
                    """
                    INSERT INTO security_counters (rule, subject, window_start, count)
                    VALUES (\(bind: rule), \(bind: subject), \(bind: windowStart), 1)
                    ON CONFLICT (rule, subject, window_start)
                    DO UPDATE SET count = security_counters.count + 1 RETURNING count
                    """
                ).first()
            else { throw StorageError.failed("no row returned") }
            return try row.decode(column: "count", as: Int64.self)
        }
    }

    public func count(rule: String, subject: String, windowStart: Int64) async throws(StorageError) -> Int64 {
        try await database.read { db in
            try await db.raw(
                """
                SELECT count FROM security_counters
                WHERE rule = \(bind: rule) AND subject = \(bind: subject) AND window_start = \(bind: windowStart)
                """
            ).first()?.decode(column: "count", as: Int64.self) ?? 0
        }
    }

    public func insertAlert(_ alert: AlertRecord) async throws(StorageError) -> Bool {
        do {
            try await database.read { db in
                try await db.raw(
                    """
                    INSERT INTO security_alerts (id, rule, subject, window_start, count, fired_at)
                    VALUES (\(bind: alert.id), \(bind: alert.rule), \(bind: alert.subject), \
                    \(bind: alert.windowStart), \(bind: alert.count), \(bind: alert.firedAt))
                    """
                ).run()
            }
            return true
        } catch .uniqueViolation {
            return false
        }
    }

    public func hasAlert(rule: String, subject: String, windowStart: Int64) async throws(StorageError) -> Bool {
        try await database.read { db in
            try await db.raw(
                """
                SELECT 1 AS found FROM security_alerts
                WHERE rule = \(bind: rule) AND subject = \(bind: subject) AND window_start = \(bind: windowStart)
                """
            ).first() != nil
        }
    }

    public func recentAlerts(limit: Int) async throws(StorageError) -> [AlertRecord] {
        try await database.read { db in
            try await db.raw("SELECT * FROM security_alerts ORDER BY fired_at DESC, id LIMIT \(bind: limit)").all()
                .map { row in
                    AlertRecord(
                        id: try row.decode(column: "id", as: String.self),
                        rule: try row.decode(column: "rule", as: String.self),
                        subject: try row.decode(column: "subject", as: String.self),
                        windowStart: try row.decode(column: "window_start", as: Int64.self),
                        count: try row.decode(column: "count", as: Int64.self),
                        firedAt: try row.decode(column: "fired_at", as: Int64.self))
                }
        }
    }

    public func counterTotals(since: Int64) async throws(StorageError) -> [SecurityCounterTotal] {
        try await database.read { db in
            try await db.raw(
                """
                SELECT rule, CASE WHEN subject LIKE 'ip:%' THEN 'ip' WHEN subject LIKE 'user:%' THEN 'user'
                WHEN subject LIKE 'client:%' THEN 'client' ELSE 'other' END AS kind,
                CAST(SUM(count) AS BIGINT) AS total, COUNT(DISTINCT subject) AS subjects
                FROM security_counters WHERE window_start >= \(bind: since) GROUP BY rule, kind ORDER BY rule, kind
                """
            ).all().map { row in
                SecurityCounterTotal(
                    rule: try row.decode(column: "rule", as: String.self),
                    subjectKind: try row.decode(column: "kind", as: String.self),
                    total: try row.decode(column: "total", as: Int64.self),
                    subjects: try row.decode(column: "subjects", as: Int64.self))
            }
        }
    }

    public func pruneCounters(before: Int64) async throws(StorageError) {
        try await database.read { db in
            try await db.raw("DELETE FROM security_counters WHERE window_start < \(bind: before)").run()
        }
    }
}
