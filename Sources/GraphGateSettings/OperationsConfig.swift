import Authorization
import Foundation
import Logging
import Observability
import SecurityOps

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
        tlsCertificate.variable, tlsKey.variable, trustedProxies.variable, allowedTenants.variable,
        allowedUsers.variable, allowedDomains.variable, metricsToken.variable, metricsPort.variable,
        auditRetentionDays.variable, sessionRetentionDays.variable, logLevel.variable, logFormat.variable,
    ]

    public static let tlsCertificate = Setting<String?>(
        "GRAPHGATE_TLS_CERT", flag: "tls-cert", shown: "(none: plain HTTP)",
        help: "PEM certificate chain for native TLS (with \(tlsKey.name)); TLS 1.2+, HTTP/2 via ALPN.",
        kind: .readableFile)

    public static let tlsKey = Setting<String?>(
        "GRAPHGATE_TLS_KEY", flag: "tls-key", shown: "(none)", help: "PEM private key for GRAPHGATE_TLS_CERT.",
        kind: .readableFile)

    public static let trustedProxies = Setting<[String]>(
        "GRAPHGATE_TRUSTED_PROXIES", flag: "trusted-proxies", default: [], shown: "(none)",
        help: "Comma-separated proxy IPs/CIDRs that terminate TLS and set X-Forwarded-For.",
        kind: .list(each: { isAddressOrRange($0) }, else: "expected IP addresses or CIDR ranges, comma-separated"))

    /// Unset: the configured tenant (resolved at start).
    public static let allowedTenants = Setting<[String]?>(
        "GRAPHGATE_ALLOWED_TENANTS", flag: "allowed-tenants", shown: "(the configured tenant)",
        help: "Tenant ids allowed to sign in, or * for any (required with common/organizations in production).",
        kind: SettingKind(
            parse: { text throws(SettingProblem) in
                let tenants = GraphGateConfig.parseList(text)
                guard !tenants.isEmpty,
                    tenants.allSatisfy({
                        $0 == "*" || $0.range(of: #"^[A-Za-z0-9.\-]{1,100}$"#, options: .regularExpression) != nil
                    })
                else {
                    throw SettingProblem("expected tenant ids (GUIDs), comma-separated, or *")
                }
                if tenants.contains(where: { ["common", "organizations", "consumers"].contains($0.lowercased()) }) {
                    throw SettingProblem(
                        "expected tenant ids (GUIDs) as they appear in tokens, not common/organizations/consumers")
                }
                return tenants
            }, show: { $0.joined(separator: ",") }))

    public static let allowedUsers = Setting<[String]>(
        "GRAPHGATE_ALLOWED_USERS", flag: "allowed-users", default: [], shown: "(all users of allowed tenants)",
        help: "Usernames or tenant-id/object-id allowed to sign in (a username binds to its first account).",
        kind: .list(each: { $0.contains("@") || $0.count <= 320 }, else: "expected usernames like ada@contoso.com"))

    public static let allowedDomains = Setting<[String]>(
        "GRAPHGATE_ALLOWED_DOMAINS", flag: "allowed-domains", default: [], shown: "(all)",
        help: "Comma-separated username domains allowed to sign in (with or instead of \(allowedUsers.name)).",
        kind: .list(
            each: { $0.range(of: #"^@?[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$"#, options: .regularExpression) != nil },
            else: "expected domain names like contoso.com"))

    public static let metricsToken = Setting<String?>(
        "GRAPHGATE_METRICS_TOKEN", flag: "metrics-token", shown: "(none: /metrics off unless GRAPHGATE_METRICS_PORT)",
        help: "Bearer token required for /metrics (Prometheus text).", secret: true,
        kind: .text(where: { $0.count >= 16 }, else: "expected at least 16 characters"))

    public static let metricsPort = Setting<Int?>(
        "GRAPHGATE_METRICS_PORT", flag: "metrics-port", shown: "(none)",
        help:
            "Serve /metrics on this separate port instead, for a private network (the token, when set, is still required; without one the port is open).",
        kind: .port(in: 1...65535))

    public static let auditRetentionDays = Setting(
        "GRAPHGATE_AUDIT_RETENTION_DAYS", flag: "audit-retention-days", default: 365,
        help: "Days audit rows are kept (0: forever).", kind: .days(in: 0...36500))

    public static let sessionRetentionDays = Setting(
        "GRAPHGATE_SESSION_RETENTION_DAYS", flag: "session-retention-days", default: 30,
        help: "Days expired/revoked sessions, tokens and codes are kept before they are pruned.",
        kind: .days(in: 0...36500))

    /// Read by `GraphGateLogging` from the environment when logging starts; checked here with the rest.
    public static let logLevel = Setting(
        GraphGateLogging.levelVariable, flag: "log-level", default: GraphGateLogging.defaultLevel,
        help: "trace, debug, info, notice, warning, error or critical (environment only).", environmentOnly: true,
        kind: SettingKind(
            parse: { text throws(SettingProblem) in
                guard let level = GraphGateLogging.level(text) else {
                    throw SettingProblem("expected trace, debug, info, notice, warning, error or critical")
                }
                return level
            }, show: { $0.rawValue }))

    /// Read by `GraphGateLogging` from the environment when logging starts; checked here with the rest.
    public static let logFormat = Setting(
        GraphGateLogging.formatVariable, flag: "log-format", default: GraphGateLogging.defaultFormat,
        help: "json, text, or auto (text on a terminal, JSON lines otherwise; environment only).",
        environmentOnly: true,
        kind: SettingKind(
            parse: { text throws(SettingProblem) in
                guard let format = GraphGateLogging.Format(rawValue: text.lowercased()) else {
                    throw SettingProblem("expected json, text or auto")
                }
                return format
            }, show: { $0.rawValue }))

    /// Reads the operations settings. Each setting's own rules are in its declaration; TLS needs both files.
    static func load(_ settings: SettingsReader) throws(ConfigError) -> OperationsConfig {
        let cert = try settings.read(tlsCertificate)
        let key = try settings.read(tlsKey)
        if (cert == nil) != (key == nil) {
            throw ConfigError(
                cert == nil ? tlsCertificate.name : tlsKey.name,
                "native TLS needs both \(tlsCertificate.name) and \(tlsKey.name)")
        }
        let operations = OperationsConfig(
            tlsCertificatePath: cert, tlsKeyPath: key, trustedProxies: try settings.read(trustedProxies),
            allowedTenants: try settings.read(allowedTenants), allowedUsers: try settings.read(allowedUsers),
            allowedDomains: try settings.read(allowedDomains), metricsToken: try settings.read(metricsToken),
            metricsPort: try settings.read(metricsPort), auditRetentionDays: try settings.read(auditRetentionDays),
            sessionRetentionDays: try settings.read(sessionRetentionDays))
        _ = try settings.read(logLevel)
        _ = try settings.read(logFormat)
        return operations
    }

    /// The rules checked when a server starts (not by `migrate` or `backup`): outside the sandbox, a multi-tenant
    /// registration needs an explicit tenant list, and plain HTTP on a network interface is refused unless a proxy
    /// in front of graphgate terminates TLS (`GRAPHGATE_TRUSTED_PROXIES` says which).
    package static func checkStartupRules(_ config: GraphGateConfig) throws(ConfigError) {
        guard !config.sandbox else { return }
        let ops = config.operations
        if ["common", "organizations"].contains(config.msTenant.lowercased()) && ops.allowedTenants == nil {
            throw ConfigError(
                allowedTenants.name,
                "\(GraphGateConfig.msTenant.name)=\(config.msTenant.lowercased()) lets any organisation sign in: "
                    + "list the allowed tenant ids, or * to allow all")
        }
        if !ops.servesTLS && ops.trustedProxies.isEmpty && !RedirectURIPolicy.isLoopback(config.publicURL.host ?? "") {
            throw ConfigError(
                trustedProxies.name,
                "production mode without TLS: set \(tlsCertificate.name) and \(tlsKey.name), or name the "
                    + "TLS-terminating proxy in \(trustedProxies.name)")
        }
    }

    /// An IPv4/IPv6 address, optionally with a `/prefix`: exactly what the rate limiter's resolver will accept.
    static func isAddressOrRange(_ text: String) -> Bool {
        (try? ClientAddressResolver(trustedProxies: [text])) != nil
    }
}
