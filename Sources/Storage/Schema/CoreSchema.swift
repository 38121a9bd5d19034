/// Users, their linked Microsoft accounts, and blocks.
///
/// - `username_bindings` (`core.002`): a username named in configuration (admins, allowed users), bound to the
///   first Microsoft principal (tenant id, object id) that signed in with it.
enum CoreSchema {
    static let migrations: [Migration] = [
        Migration("core.001") { _ in
            [
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    tenant_id TEXT NOT NULL,
                    object_id TEXT NOT NULL,
                    username TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    last_login_at BIGINT NOT NULL,
                    UNIQUE (tenant_id, object_id)
                )
                """,
                """
                CREATE TABLE accounts (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    label TEXT NOT NULL,
                    tenant_id TEXT NOT NULL,
                    object_id TEXT NOT NULL,
                    username TEXT NOT NULL,
                    granted_scopes TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    UNIQUE (user_id, label)
                )
                """,
                """
                CREATE TABLE blocks (
                    subject TEXT PRIMARY KEY,
                    blocked_until BIGINT,
                    reason TEXT NOT NULL,
                    created_by TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
            ]
        },
        Migration("core.002") { _ in
            [
                """
                CREATE TABLE username_bindings (
                    username TEXT PRIMARY KEY,
                    tenant_id TEXT NOT NULL,
                    object_id TEXT NOT NULL,
                    bound_at BIGINT NOT NULL
                )
                """
            ]
        },
    ]
}
