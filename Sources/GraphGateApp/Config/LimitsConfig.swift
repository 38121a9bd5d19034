import Foundation
import SecurityOps

/// The limits settings: per-address, per-person and per-client budgets, HTTP request limits, Client ID
/// Metadata Document fetching and idle client expiry. Part of `GraphGateConfig` (`config.limits`).
public struct LimitsConfig: Sendable {
    /// `GRAPHGATE_RATE_LIMITS` entries over the defaults (`GRAPHGATE_RATE_LIMIT` sets `tool` before them).
    public var rateLimitEntries: [String] = []
    /// Request headers larger than this (bytes, request line included) get 431.
    public var maxHeaderBytes: Int = 16 * 1024
    /// A connection must deliver a request's complete headers within this time of starting it.
    public var headerTimeout: Duration = .seconds(10)
    /// A connection with nothing to read or write for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// Hosts (`host` or `host:port`) whose metadata documents may be fetched; nil: any public https host.
    public var clientMetadataHosts: [String]?
    /// PEM file of extra certificate authorities for metadata document fetches.
    public var clientMetadataCA: String?
    /// Dynamically registered clients unused for this many days are deleted.
    public var clientIdleDays: Int = 30

    public init() {}

    /// The budgets for `toolCallsPerMinute` (`GRAPHGATE_RATE_LIMIT`) with `rateLimitEntries` applied.
    public func rateLimitPolicy(toolCallsPerMinute: Int) throws(SecurityError) -> RateLimitPolicy {
        try RateLimitPolicy.standard(toolCallsPerMinute: toolCallsPerMinute).overriding(rateLimitEntries)
    }

    static let variables: [GraphGateConfig.Variable] = [
        .init(
            name: "GRAPHGATE_RATE_LIMITS", flag: "rate-limits",
            defaultValue: "ip=600/1m,login_failures=30/5m,register=100/1h,bearer_failures=60/1m,tool=120/1m",
            help: "Budgets as name=count/period: ip (requests without a token, per address), login_failures and "
                + "register (failed sign-in steps and registrations per address), bearer_failures (invalid tokens "
                + "per address), tool and tool_client (tool calls per person and per client)."),
        .init(
            name: "GRAPHGATE_MAX_HEADER_BYTES", flag: "max-header-bytes", defaultValue: "16384",
            help: "Largest request head (request line and headers) accepted; larger gets 431."),
        .init(
            name: "GRAPHGATE_HEADER_TIMEOUT", flag: "header-timeout", defaultValue: "10s",
            help: "Time a connection has to send a request's complete headers before it is closed."),
        .init(
            name: "GRAPHGATE_IDLE_TIMEOUT", flag: "idle-timeout", defaultValue: "60s",
            help: "An idle connection (nothing read or written) is closed after this long."),
        .init(
            name: "GRAPHGATE_CLIENT_METADATA_HOSTS", flag: "client-metadata-hosts", defaultValue: "(any public host)",
            help: "Comma-separated host or host:port whose client metadata documents may be fetched (these may "
                + "be loopback or private; no other host is fetched)."),
        .init(
            name: "GRAPHGATE_CLIENT_METADATA_CA", flag: "client-metadata-ca", defaultValue: "(system roots)",
            help: "PEM file of extra certificate authorities trusted for client metadata document fetches."),
        .init(
            name: "GRAPHGATE_CLIENT_IDLE_DAYS", flag: "client-idle-days", defaultValue: "30",
            help: "Dynamically registered clients unused for this many days are deleted."),
    ]

    static func load(value: (String) -> String?) throws(ConfigError) -> LimitsConfig {
        var config = LimitsConfig()
        if let text = value("GRAPHGATE_RATE_LIMITS") {
            config.rateLimitEntries = GraphGateConfig.parseList(text)
            do {
                _ = try config.rateLimitPolicy(toolCallsPerMinute: 120)
            } catch {
                throw ConfigError("GRAPHGATE_RATE_LIMITS", error.description)
            }
        }
        if let text = value("GRAPHGATE_MAX_HEADER_BYTES") {
            guard let bytes = Int(text), (1024...1_048_576).contains(bytes) else {
                throw ConfigError("GRAPHGATE_MAX_HEADER_BYTES", "expected a number of bytes from 1024 to 1048576")
            }
            config.maxHeaderBytes = bytes
        }
        config.headerTimeout = try duration(value("GRAPHGATE_HEADER_TIMEOUT"), "GRAPHGATE_HEADER_TIMEOUT") ?? .seconds(10)
        config.idleTimeout = try duration(value("GRAPHGATE_IDLE_TIMEOUT"), "GRAPHGATE_IDLE_TIMEOUT") ?? .seconds(60)
        if let text = value("GRAPHGATE_CLIENT_METADATA_HOSTS") {
            let hosts = GraphGateConfig.parseList(text).map { $0.lowercased() }
            for host in hosts where host.range(of: #"^[a-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9a-f:.]+\](:[0-9]{1,5})?$"#, options: .regularExpression) == nil {
                throw ConfigError("GRAPHGATE_CLIENT_METADATA_HOSTS", "expected host or host:port entries")
            }
            config.clientMetadataHosts = hosts
        }
        if let path = value("GRAPHGATE_CLIENT_METADATA_CA") {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigError("GRAPHGATE_CLIENT_METADATA_CA", "expected a readable PEM file")
            }
            config.clientMetadataCA = path
        }
        if let text = value("GRAPHGATE_CLIENT_IDLE_DAYS") {
            guard let days = Int(text), (1...3650).contains(days) else {
                throw ConfigError("GRAPHGATE_CLIENT_IDLE_DAYS", "expected a number of days from 1 to 3650")
            }
            config.clientIdleDays = days
        }
        return config
    }

    static func duration(_ text: String?, _ variable: String) throws(ConfigError) -> Duration? {
        guard let text else { return nil }
        guard let value = try? IncidentResponder.parseDuration(text), value <= .seconds(3600) else {
            throw ConfigError(variable, "expected a duration such as 10s or 2m (at most 1h)")
        }
        return value
    }
}
