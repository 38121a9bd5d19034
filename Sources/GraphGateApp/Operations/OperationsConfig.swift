import Authorization
import Foundation
import Observability

/// The operator-facing settings: transport (native TLS, trusted proxies), who may sign in, metrics, logs and
/// retention. Part of `GraphGateConfig` (`config.operations`), read once with the rest.
public struct OperationsConfig: Sendable {
    /// PEM certificate chain and private key for native TLS; both or neither.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Proxies whose `X-Forwarded-*` headers are believed (IP addresses or CIDR ranges), and which terminate TLS.
    public var trustedProxies: [String]
    /// Tenant ids allowed to sign in; `nil` = the configured tenant (resolved at start), `["*"]` = any.
    public var allowedTenants: [String]?
    public var allowedUsers: [String]
    public var allowedDomains: [String]
    /// Bearer token that protects `/metrics` (nil: no token).
    public var metricsToken: String?
    /// Serve `/metrics` on this separate port instead of the main one (same host).
    public var metricsPort: Int?
    /// Audit rows older than this are pruned (0 keeps them forever).
    public var auditRetentionDays: Int
    /// Expired or revoked sessions, tokens, codes and pending sign-ins are kept this long, then pruned.
    public var sessionRetentionDays: Int

    public var servesTLS: Bool { tlsCertificatePath != nil }

    /// `/metrics` is served when it is protected by a token or moved to its own port.
    public var metricsEnabled: Bool { metricsToken != nil || metricsPort != nil }

    /// The access policy for a server whose effective tenant is `effectiveTenant` (the sandbox's tenant id in
    /// sandbox mode, else `GRAPHGATE_MS_TENANT`).
    public func accessPolicy(effectiveTenant: String) -> AccessPolicy {
        let tenants: Set<String>?
        if let allowedTenants {
            tenants = allowedTenants.contains("*") ? nil : Set(allowedTenants)
        } else if effectiveTenant.lowercased() == "consumers" {
            tenants = [AccessPolicy.personalAccountsTenant]
        } else {
            tenants = [effectiveTenant]
        }
        return AccessPolicy(
            allowedTenants: tenants, allowedUsers: Set(allowedUsers), allowedDomains: Set(allowedDomains))
    }

    static let variables: [GraphGateConfig.Variable] = [
        .init(
            name: "GRAPHGATE_TLS_CERT", flag: "tls-cert", defaultValue: "(none: plain HTTP)",
            help: "PEM certificate chain for native TLS (with GRAPHGATE_TLS_KEY); TLS 1.2+, HTTP/2 via ALPN."),
        .init(
            name: "GRAPHGATE_TLS_KEY", flag: "tls-key", defaultValue: "(none)",
            help: "PEM private key for GRAPHGATE_TLS_CERT."),
        .init(
            name: "GRAPHGATE_TRUSTED_PROXIES", flag: "trusted-proxies", defaultValue: "(none)",
            help: "Comma-separated proxy IPs/CIDRs that terminate TLS and set X-Forwarded-For."),
        .init(
            name: "GRAPHGATE_ALLOWED_TENANTS", flag: "allowed-tenants", defaultValue: "(the configured tenant)",
            help: "Tenant ids allowed to sign in, or * for any (required with common/organizations in production)."),
        .init(
            name: "GRAPHGATE_ALLOWED_USERS", flag: "allowed-users", defaultValue: "(all users of allowed tenants)",
            help: "Usernames or tenant-id/object-id allowed to sign in (a username binds to its first account)."),
        .init(
            name: "GRAPHGATE_ALLOWED_DOMAINS", flag: "allowed-domains", defaultValue: "(all)",
            help: "Comma-separated username domains allowed to sign in (with or instead of GRAPHGATE_ALLOWED_USERS)."),
        .init(
            name: "GRAPHGATE_METRICS_TOKEN", flag: "metrics-token", defaultValue: "(none: /metrics off)",
            help: "Bearer token required for /metrics (Prometheus text).", secret: true),
        .init(
            name: "GRAPHGATE_METRICS_PORT", flag: "metrics-port", defaultValue: "(none)",
            help: "Serve /metrics on this separate port instead (token still required when set)."),
        .init(
            name: "GRAPHGATE_AUDIT_RETENTION_DAYS", flag: "audit-retention-days", defaultValue: "365",
            help: "Days audit rows are kept (0: forever)."),
        .init(
            name: "GRAPHGATE_SESSION_RETENTION_DAYS", flag: "session-retention-days", defaultValue: "30",
            help: "Days expired/revoked sessions, tokens and codes are kept before they are pruned."),
        .init(
            name: "GRAPHGATE_LOG_LEVEL", flag: "log-level", defaultValue: "info",
            help: "trace, debug, info, notice, warning, error or critical (environment only).", environmentOnly: true),
        .init(
            name: "GRAPHGATE_LOG_FORMAT", flag: "log-format", defaultValue: "auto",
            help: "json, text, or auto (text on a terminal, JSON lines otherwise; environment only).",
            environmentOnly: true),
    ]

    /// Reads the operations settings (`value` gives a flag or environment value by variable name).
    static func load(value: (String) -> String?) throws(ConfigError) -> OperationsConfig {
        let cert = value("GRAPHGATE_TLS_CERT")
        let key = value("GRAPHGATE_TLS_KEY")
        if (cert == nil) != (key == nil) {
            throw ConfigError(
                cert == nil ? "GRAPHGATE_TLS_CERT" : "GRAPHGATE_TLS_KEY",
                "native TLS needs both GRAPHGATE_TLS_CERT and GRAPHGATE_TLS_KEY")
        }
        for (name, path) in [("GRAPHGATE_TLS_CERT", cert), ("GRAPHGATE_TLS_KEY", key)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw ConfigError(name, "cannot read the PEM file at that path")
            }
        }

        let proxies = GraphGateConfig.parseList(value("GRAPHGATE_TRUSTED_PROXIES"))
        for proxy in proxies where !Self.isAddressOrRange(proxy) {
            throw ConfigError("GRAPHGATE_TRUSTED_PROXIES", "expected IP addresses or CIDR ranges, comma-separated")
        }

        let tenants = value("GRAPHGATE_ALLOWED_TENANTS").map { GraphGateConfig.parseList($0) }
        if let tenants {
            guard !tenants.isEmpty,
                tenants.allSatisfy({
                    $0 == "*" || $0.range(of: #"^[A-Za-z0-9.\-]{1,100}$"#, options: .regularExpression) != nil
                })
            else {
                throw ConfigError("GRAPHGATE_ALLOWED_TENANTS", "expected tenant ids (GUIDs), comma-separated, or *")
            }
            if tenants.contains(where: { ["common", "organizations", "consumers"].contains($0.lowercased()) }) {
                throw ConfigError(
                    "GRAPHGATE_ALLOWED_TENANTS",
                    "expected tenant ids (GUIDs) as they appear in tokens, not common/organizations/consumers")
            }
        }
        let users = GraphGateConfig.parseList(value("GRAPHGATE_ALLOWED_USERS"))
        if users.contains(where: { !$0.contains("@") && $0.count > 320 }) {
            throw ConfigError("GRAPHGATE_ALLOWED_USERS", "expected usernames like ada@contoso.com")
        }
        let domains = GraphGateConfig.parseList(value("GRAPHGATE_ALLOWED_DOMAINS"))
        for domain in domains
        where domain.range(of: #"^@?[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$"#, options: .regularExpression) == nil {
            throw ConfigError("GRAPHGATE_ALLOWED_DOMAINS", "expected domain names like contoso.com")
        }

        let metricsToken = value("GRAPHGATE_METRICS_TOKEN")
        if let metricsToken, metricsToken.count < 16 {
            throw ConfigError("GRAPHGATE_METRICS_TOKEN", "expected at least 16 characters")
        }
        var metricsPort: Int?
        if let text = value("GRAPHGATE_METRICS_PORT") {
            guard let port = Int(text), (1...65535).contains(port) else {
                throw ConfigError("GRAPHGATE_METRICS_PORT", "expected a port number from 1 to 65535")
            }
            metricsPort = port
        }

        let auditDays = try parseDays(
            value("GRAPHGATE_AUDIT_RETENTION_DAYS") ?? "365", "GRAPHGATE_AUDIT_RETENTION_DAYS")
        let sessionDays = try parseDays(
            value("GRAPHGATE_SESSION_RETENTION_DAYS") ?? "30", "GRAPHGATE_SESSION_RETENTION_DAYS")
        if let level = value("GRAPHGATE_LOG_LEVEL"), GraphGateLogging.level(level) == nil {
            throw ConfigError("GRAPHGATE_LOG_LEVEL", "expected trace, debug, info, notice, warning, error or critical")
        }
        if let format = value("GRAPHGATE_LOG_FORMAT"), GraphGateLogging.Format(rawValue: format.lowercased()) == nil {
            throw ConfigError("GRAPHGATE_LOG_FORMAT", "expected json, text or auto")
        }

        return OperationsConfig(
            tlsCertificatePath: cert, tlsKeyPath: key, trustedProxies: proxies, allowedTenants: tenants,
            allowedUsers: users, allowedDomains: domains, metricsToken: metricsToken, metricsPort: metricsPort,
            auditRetentionDays: auditDays, sessionRetentionDays: sessionDays)
    }

    /// The rules checked when a server starts (not by `migrate` or `backup`): outside the sandbox, a multi-tenant
    /// registration needs an explicit tenant list, and plain HTTP on a network interface is refused unless a proxy
    /// in front of graphgate terminates TLS (`GRAPHGATE_TRUSTED_PROXIES` says which).
    static func checkStartupRules(_ config: GraphGateConfig) throws(ConfigError) {
        guard !config.sandbox else { return }
        let ops = config.operations
        if ["common", "organizations"].contains(config.msTenant.lowercased()) && ops.allowedTenants == nil {
            throw ConfigError(
                "GRAPHGATE_ALLOWED_TENANTS",
                "GRAPHGATE_MS_TENANT=\(config.msTenant.lowercased()) lets any organisation sign in: list the allowed tenant ids, or * to allow all"
            )
        }
        if !ops.servesTLS && ops.trustedProxies.isEmpty && !GraphGateConfig.isLoopback(config.publicURL.host ?? "") {
            throw ConfigError(
                "GRAPHGATE_TRUSTED_PROXIES",
                "production mode without TLS: set GRAPHGATE_TLS_CERT and GRAPHGATE_TLS_KEY, or name the TLS-terminating proxy in GRAPHGATE_TRUSTED_PROXIES"
            )
        }
    }

    private static func parseDays(_ text: String, _ variable: String) throws(ConfigError) -> Int {
        guard let days = Int(text), (0...36500).contains(days) else {
            throw ConfigError(variable, "expected a whole number of days (0 to 36500)")
        }
        return days
    }

    /// An IPv4/IPv6 address, optionally with a `/prefix`.
    static func isAddressOrRange(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = parts.first, !address.isEmpty else { return false }
        let isV6 = address.contains(":")
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...(isV6 ? 128 : 32)).contains(prefix) else { return false }
        }
        if isV6 {
            return address.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { Int($0).map { (0...255).contains($0) } ?? false }
    }
}
