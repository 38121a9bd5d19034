import ArgumentParser

/// Flags for the operations settings (TLS, proxies, who may sign in, metrics, retention). Each overrides the
/// environment variable of the same name. Log level and format are read from the environment only.
struct OperationsOptions: ParsableArguments {
    @Option(help: "PEM certificate chain for native TLS. [GRAPHGATE_TLS_CERT]")
    var tlsCert: String?
    @Option(help: "PEM private key for native TLS. [GRAPHGATE_TLS_KEY]")
    var tlsKey: String?
    @Option(help: "Proxy IPs/CIDRs that terminate TLS, comma-separated. [GRAPHGATE_TRUSTED_PROXIES]")
    var trustedProxies: String?
    @Option(help: "Tenant ids allowed to sign in, or *. [GRAPHGATE_ALLOWED_TENANTS, default the configured tenant]")
    var allowedTenants: String?
    @Option(help: "Usernames allowed to sign in, comma-separated. [GRAPHGATE_ALLOWED_USERS]")
    var allowedUsers: String?
    @Option(help: "Username domains allowed to sign in, comma-separated. [GRAPHGATE_ALLOWED_DOMAINS]")
    var allowedDomains: String?
    @Option(help: "Bearer token for /metrics (prefer the environment variable). [GRAPHGATE_METRICS_TOKEN]")
    var metricsToken: String?
    @Option(help: "Serve /metrics on this separate port. [GRAPHGATE_METRICS_PORT]")
    var metricsPort: String?
    @Option(help: "Days audit rows are kept, 0 = forever. [GRAPHGATE_AUDIT_RETENTION_DAYS, default 365]")
    var auditRetentionDays: String?
    @Option(help: "Days expired sessions/tokens are kept. [GRAPHGATE_SESSION_RETENTION_DAYS, default 30]")
    var sessionRetentionDays: String?

    var flags: [String: String] {
        let pairs: [(String, String?)] = [
            ("GRAPHGATE_TLS_CERT", tlsCert), ("GRAPHGATE_TLS_KEY", tlsKey),
            ("GRAPHGATE_TRUSTED_PROXIES", trustedProxies), ("GRAPHGATE_ALLOWED_TENANTS", allowedTenants),
            ("GRAPHGATE_ALLOWED_USERS", allowedUsers), ("GRAPHGATE_ALLOWED_DOMAINS", allowedDomains),
            ("GRAPHGATE_METRICS_TOKEN", metricsToken), ("GRAPHGATE_METRICS_PORT", metricsPort),
            ("GRAPHGATE_AUDIT_RETENTION_DAYS", auditRetentionDays),
            ("GRAPHGATE_SESSION_RETENTION_DAYS", sessionRetentionDays),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { name, value in value.map { (name, $0) } })
    }
}
