/// Tables of the Vault group. Append migrations (`vault.001`, …); never edit one that has shipped.
///
/// - `token_blobs`: Microsoft's tokens of one linked account, one row per kind (`refresh`, `access`), each an
///   AES-256-GCM envelope bound to (user, account, kind). `key_id` repeats the envelope's key id so rewrap and
///   `keys status` can find rows by key without decrypting.
/// - `token_refresh_leases`: who is refreshing an account right now (instance + attempt), so two instances sharing
///   PostgreSQL never redeem the same refresh token at once. Times in milliseconds.
/// - `pending_sign_ins`: a started Microsoft sign-in, keyed by SHA-256 of its `state`; the PKCE verifier is
///   encrypted, the nonce kept only as a hash.
enum VaultSchema {
    static let migrations: [Migration] = [
        Migration("vault.001") { types in
            [
                """
                CREATE TABLE token_blobs (
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    key_id BIGINT NOT NULL,
                    blob \(types.bytes) NOT NULL,
                    expires_at BIGINT NOT NULL,
                    obtained_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (account_id, kind)
                )
                """,
                "CREATE INDEX token_blobs_key_id ON token_blobs (key_id)",
                """
                CREATE TABLE token_refresh_leases (
                    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
                    owner TEXT NOT NULL,
                    expires_at_ms BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE pending_sign_ins (
                    state_hash TEXT PRIMARY KEY,
                    continuation TEXT NOT NULL,
                    redirect_uri TEXT NOT NULL,
                    scopes TEXT NOT NULL,
                    nonce_hash TEXT NOT NULL,
                    key_id BIGINT NOT NULL,
                    verifier_blob \(types.bytes) NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX pending_sign_ins_expires_at ON pending_sign_ins (expires_at)",
            ]
        }
    ]
}
