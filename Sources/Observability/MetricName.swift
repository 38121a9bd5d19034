import MCPGateway
import MicrosoftGraph
import SecurityOps
import TokenVault

/// Every metric graphgate exports, by swift-metrics label. Metrics recorded below the app are defined once in
/// the module that records them (`MCPMetrics`, `GraphMetrics`, `VaultMetrics`, `SecurityMetrics`) and only
/// referred to here; `docs/operations.md` lists them all.
///
/// Rules (swift-prometheus enforces them with a crash, `SafeMetricsFactory` with a renamed series): one label
/// = one metric type, always with the same dimension names; counters end in `_total`.
public enum MetricName {
    /// Counter, dimensions `route` (the matched route pattern, never the raw path), `method`, `status`.
    public static let httpRequests = "graphgate_http_requests_total"
    /// Timer, dimensions `route`, `method`.
    public static let httpRequestDuration = "graphgate_http_request_duration_seconds"
    /// Counter, dimensions `tool`, `outcome` (`ok`, `error`, `denied`, `rate_limited`).
    public static let toolCalls = MCPMetrics.toolCalls
    /// Counter, dimension `status` (HTTP status code, or `network` when no response came).
    public static let graphRequests = GraphMetrics.requests
    /// Timer, no dimensions: one Graph HTTP round trip (each retry counted separately).
    public static let graphRequestDuration = GraphMetrics.requestDuration
    /// Counter, dimension `outcome` (`ok`, `invalid_grant`, `failed`): refresh-token redemptions at Microsoft.
    public static let tokenRefreshes = VaultMetrics.tokenRefreshes
    /// Counter, dimension `scope`: the budget that refused (`ip`, `login`, `register`, `tool`, `tool-client`).
    public static let rateLimitHits = SecurityMetrics.rateLimitHits
    /// Counter, dimension `rule`: alerts fired by the security monitor.
    public static let alerts = SecurityMetrics.alerts
    /// Meter (gauge), no dimensions: MCP sessions currently open (increment on open, decrement on close).
    public static let mcpSessionsOpen = MCPMetrics.sessionsOpen
    /// Counter, dimensions `event` (audit event type), `outcome`.
    public static let auditEvents = SecurityMetrics.auditEvents

    // Sampled by `MetricsSampler` from the database every interval.
    /// Gauge: browser sessions not yet expired.
    public static let browserSessionsOpen = "graphgate_browser_sessions_open"
    /// Gauge: users known to this server.
    public static let users = "graphgate_users"
    /// Gauge: 1 when the last database probe answered, else 0.
    public static let databaseUp = "graphgate_db_up"
    /// Gauge: seconds the last `SELECT 1` probe took (includes waiting for a pooled connection).
    public static let databaseProbeSeconds = "graphgate_db_probe_seconds"
    /// Gauge, dimension `state` (`active`, `idle`, …): PostgreSQL connections of this database.
    public static let databaseConnections = "graphgate_db_connections"
    /// Gauge: configured maximum pool size (1 for SQLite's single connection).
    public static let databasePoolMax = "graphgate_db_pool_max"
    /// Gauge: SQLite file size in bytes (page_count × page_size).
    public static let databaseSizeBytes = "graphgate_db_size_bytes"
    /// Counter, dimensions `table`: rows removed by the retention service.
    public static let retentionPruned = "graphgate_retention_pruned_rows_total"
    /// Gauge, dimensions `mode`, `store`: always 1 (build/run information).
    public static let info = "graphgate_info"
}
