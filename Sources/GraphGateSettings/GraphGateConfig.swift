import Foundation
import Storage

/// The one typed configuration of graphgate, read once at start.
///
/// Each setting comes from a command-line flag, else an environment variable, else its default. Every setting is
/// declared once, as a ``Setting`` (`GraphGateConfig+Settings.swift`, and the `OperationsConfig`, `SecurityConfig`
/// and `LimitsConfig` ones), with its variable, flag, typed default, help and parser; `GraphGateConfig.variables`
/// (flags, `--help`, README's table) is derived from those declarations, and the loaders read through them.
public struct GraphGateConfig: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var publicURL: URL
    public var database: DatabaseLocation
    public var keyringPath: String?
    public var msClientId: String?
    public var msClientSecret: String?
    public var msTenant: String
    public var msAuthority: URL
    public var graphURL: URL
    /// Run against the emulated tenant started in-process.
    public var sandbox: Bool
    public var readOnly: Bool
    /// Tool names or globs to expose (empty: all).
    public var tools: [String]
    /// Users (username or user id) with the admin role.
    public var admins: [String]
    /// Tool calls per user per minute.
    public var rateLimitPerMinute: Int
    /// TLS, trusted proxies, who may sign in, metrics, logs and retention (`OperationsConfig.swift`).
    public var operations: OperationsConfig
    /// Alert webhook and thresholds, audit signing key (`SecurityConfig.swift`).
    public var security: SecurityConfig
    /// Rate budgets, HTTP limits, client metadata documents, idle clients (`LimitsConfig.swift`).
    public var limits: LimitsConfig
    /// Keyring in compact form (`ID:BASE64[,ID:BASE64…]`, first primary) for containers; wins over `keyringPath`.
    public var keyringKey: String?
    /// Recipient domains mail may be sent to (`*.example.com` allowed); empty allows all.
    public var sendAllowedDomains: [String]
    /// Sends (send, reply, forward, invitations) per user per hour.
    public var sendsPerHour: Int
    /// Ask the user to confirm each send through MCP elicitation when the client supports it.
    public var confirmSends: Bool
    /// Days an assistant's authorization (grant) lasts at most; refreshing does not extend it.
    public var grantMaxDays: Int

    /// Where sandbox keyrings and other generated files go: the SQLite file's directory, or the working directory.
    public var dataDirectory: String {
        if case .sqlite(let path) = database {
            return URL(fileURLWithPath: path).deletingLastPathComponent().path
        }
        return FileManager.default.currentDirectoryPath
    }

    public var modeName: String { sandbox ? "sandbox" : "production" }

    /// The MCP endpoint, which is also the audience of every access token we issue.
    public var mcpResource: String { publicURL.absoluteString.trimmingTrailingSlash + "/mcp" }

    public var description: String {
        """
        GraphGateConfig(mode: \(modeName), listen: \(host):\(port), public: \(publicURL.absoluteString), \
        database: \(database), keyring: \(keyringKey != nil ? "<from \(Self.keyringKey.name)>" : keyringPath ?? "-"), ms_client_id: \(msClientId ?? "-"), \
        ms_client_secret: \(msClientSecret == nil ? "-" : "<redacted>"), tenant: \(msTenant), \
        authority: \(msAuthority.absoluteString), graph: \(graphURL.absoluteString), read_only: \(readOnly), \
        tools: \(tools.isEmpty ? "*" : tools.joined(separator: ",")), admins: \(admins.count), \
        rate_limit: \(rateLimitPerMinute)/min, tls: \(operations.servesTLS), \
        trusted_proxies: \(operations.trustedProxies.count), metrics: \(operations.metricsEnabled))
        """
    }
}

extension String {
    package var trimmingTrailingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}
