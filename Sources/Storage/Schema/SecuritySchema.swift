/// Tables of the Security group. Append migrations (`security.001`, …); never edit one that has shipped.
///
/// - `audit_log`: the hash-chained, append-only audit rows (`seq` is the position in the one chain).
/// - `audit_chain_head`: a single row (`id = 'main'`) holding the last `seq` and hash; appends lock it, so
///   concurrent writers on every instance take turns and the chain stays linear.
/// - `audit_signed_heads`: periodically recorded (seq, hash) pairs with an HMAC, to detect truncation.
/// - `rate_buckets`: shared token buckets (several instances on PostgreSQL).
/// - `security_counters`: monitor counters per (rule, subject, window).
/// - `security_alerts`: one row per alert fired, unique per (rule, subject, window) so an alert fires once.
enum SecuritySchema {
    static let migrations: [Migration] = [
        Migration("security.001") { types in
            [
                """
                CREATE TABLE audit_log (
                    seq BIGINT PRIMARY KEY,
                    at BIGINT NOT NULL,
                    event_type TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    user_id TEXT,
                    client_id TEXT,
                    source_ip TEXT,
                    details TEXT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
                "CREATE INDEX audit_log_user ON audit_log (user_id, seq)",
                """
                CREATE TABLE audit_chain_head (
                    id TEXT PRIMARY KEY,
                    seq BIGINT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
                """
                INSERT INTO audit_chain_head (id, seq, hash)
                VALUES ('main', 0, '0000000000000000000000000000000000000000000000000000000000000000')
                """,
                """
                CREATE TABLE audit_signed_heads (
                    id \(types.serialPrimaryKey),
                    seq BIGINT NOT NULL,
                    hash TEXT NOT NULL,
                    signed_at BIGINT NOT NULL,
                    key_id TEXT NOT NULL,
                    mac TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE rate_buckets (
                    bucket_key TEXT PRIMARY KEY,
                    tokens BIGINT NOT NULL,
                    updated_ms BIGINT NOT NULL,
                    allowed BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE security_counters (
                    rule TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    window_start BIGINT NOT NULL,
                    count BIGINT NOT NULL,
                    PRIMARY KEY (rule, subject, window_start)
                )
                """,
                """
                CREATE TABLE security_alerts (
                    id TEXT PRIMARY KEY,
                    rule TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    window_start BIGINT NOT NULL,
                    count BIGINT NOT NULL,
                    fired_at BIGINT NOT NULL,
                    UNIQUE (rule, subject, window_start)
                )
                """,
            ]
        }
    ]
}
