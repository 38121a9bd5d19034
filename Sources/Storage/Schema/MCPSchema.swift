/// Tables of the MCP protocol core. Append migrations (`mcp.002`, …); never edit one that has shipped.
///
/// - `mcp_sessions`: handshake-era MCP sessions (`initialize` … `DELETE`), keyed by the SHA-256 (hex) of the
///   `Mcp-Session-Id` the client holds, bound to (user, client, grant), with the negotiated protocol version and
///   the client's declared capabilities. Any instance sharing the database serves any session, and sessions
///   survive a restart. Revoking the grant or deleting the user ends them.
/// - `mcp_consumed_states`: the 2026-07-28 `requestState`s already answered, by the SHA-256 (hex) of their sealed
///   bytes, until they expire: each is consumed once across every instance and restart (a replayed confirmed retry
///   would act twice). Expired rows are purged with idle sessions.
enum MCPSchema {
    static let migrations: [Migration] = [
        Migration("mcp.001") { _ in
            [
                """
                CREATE TABLE mcp_sessions (
                    id_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    client_id TEXT NOT NULL,
                    grant_id TEXT NOT NULL,
                    protocol_version TEXT NOT NULL,
                    client_capabilities TEXT NOT NULL,
                    client_name TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX mcp_sessions_user ON mcp_sessions (user_id)",
                "CREATE INDEX mcp_sessions_grant ON mcp_sessions (grant_id)",
            ]
        },
        Migration("mcp.002") { _ in
            [
                "CREATE TABLE mcp_consumed_states (state_hash TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)",
                "CREATE INDEX mcp_consumed_states_expiry ON mcp_consumed_states (expires_at)",
            ]
        },
    ]
}
