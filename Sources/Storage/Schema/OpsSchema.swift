/// Tables of the operations group (retention, backups). Append migrations (`ops.001`, …); never edit one that has
/// shipped.
///
/// - `audit_prune_anchor`: one row (`id = 'main'`) holding the `seq` and `hash` of the last audit row removed by
///   retention, so the chain can still be verified from there: the first remaining row must link to this hash.
enum OpsSchema {
    static let migrations: [Migration] = [
        Migration("ops.001") { _ in
            [
                """
                CREATE TABLE audit_prune_anchor (
                    id TEXT PRIMARY KEY,
                    seq BIGINT NOT NULL,
                    hash TEXT NOT NULL,
                    pruned_at BIGINT NOT NULL
                )
                """
            ]
        }
    ]
}
