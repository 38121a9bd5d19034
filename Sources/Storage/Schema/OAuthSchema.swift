/// Tables of the OAuth group. Append migrations (`oauth.001`, …); never edit one that has shipped.
///
/// Every secret our authorization server hands out (pending-request handles, codes, access and refresh tokens,
/// browser-session cookies) is stored only as its SHA-256 hash (hex); the plaintext exists in memory and on
/// the wire, never here.
///
/// - `oauth_clients`: registered MCP clients (RFC 7591 or a Client ID Metadata Document); a registered client
///   may hold a secret (its hash).
/// - `oauth_pending_authorizations`: an `/oauth/authorize` request waiting for sign-in and consent.
/// - `oauth_consents`: remembered approvals per (user, client).
/// - `oauth_grants`: one approval that issued a code; tokens belong to a grant, revoking it ends them all.
/// - `oauth_codes`: single-use authorization codes, kept after use to detect replay.
/// - `oauth_tokens`: access and refresh tokens; rotated refresh tokens stay (with `rotated_at`) to detect reuse.
/// - `browser_sessions`: graphgate's own sign-in sessions in the browser (cookie hash, idle/absolute expiry).
/// - `revocation_epoch` (oauth.002): one counter bumped by every revocation and block, which instances poll to
///   drop cached access decisions (`RevocationEpochStore`).
enum OAuthSchema {
    static let migrations: [Migration] = [
        Migration("oauth.001") { _ in
            [
                """
                CREATE TABLE oauth_clients (
                    client_id TEXT PRIMARY KEY,
                    client_name TEXT NOT NULL,
                    redirect_uris TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    client_uri TEXT,
                    created_at BIGINT NOT NULL,
                    refreshed_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE oauth_pending_authorizations (
                    id_hash TEXT PRIMARY KEY,
                    client_id TEXT NOT NULL,
                    redirect_uri TEXT NOT NULL,
                    code_challenge TEXT NOT NULL,
                    resource TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    state TEXT,
                    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE oauth_consents (
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    client_id TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (user_id, client_id)
                )
                """,
                """
                CREATE TABLE oauth_grants (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    client_id TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    resource TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    revoked_at BIGINT,
                    revoked_reason TEXT
                )
                """,
                "CREATE INDEX oauth_grants_user ON oauth_grants (user_id)",
                """
                CREATE TABLE oauth_codes (
                    code_hash TEXT PRIMARY KEY,
                    grant_id TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
                    client_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    redirect_uri TEXT NOT NULL,
                    code_challenge TEXT NOT NULL,
                    resource TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    used_at BIGINT
                )
                """,
                """
                CREATE TABLE oauth_tokens (
                    token_hash TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    grant_id TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
                    user_id TEXT NOT NULL,
                    client_id TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    audience TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    rotated_at BIGINT,
                    revoked_at BIGINT
                )
                """,
                "CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id)",
                "CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at)",
                """
                CREATE TABLE browser_sessions (
                    id_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX browser_sessions_user ON browser_sessions (user_id)",
            ]
        },
        // Clients with a secret (`client_secret_post`/`_basic`, hash only), `application_type`, a fingerprint
        // of the registered metadata (the same metadata again returns the same client) and the last use
        // (clients idle too long are deleted).
        Migration("oauth.clients-2") { _ in
            [
                "ALTER TABLE oauth_clients ADD COLUMN secret_hash TEXT",
                "ALTER TABLE oauth_clients ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'none'",
                "ALTER TABLE oauth_clients ADD COLUMN application_type TEXT NOT NULL DEFAULT 'web'",
                "ALTER TABLE oauth_clients ADD COLUMN fingerprint TEXT",
                "ALTER TABLE oauth_clients ADD COLUMN last_used_at BIGINT",
                "CREATE INDEX oauth_clients_fingerprint ON oauth_clients (fingerprint)",
            ]
        },
        // One counter per deployment that moves on every revocation or block: instances compare it to know
        // when their in-memory access cache is stale.
        Migration("oauth.002") { _ in
            [
                "CREATE TABLE revocation_epoch (id TEXT PRIMARY KEY, value BIGINT NOT NULL)",
                "INSERT INTO revocation_epoch (id, value) VALUES ('main', 0)",
            ]
        },
    ]
}
