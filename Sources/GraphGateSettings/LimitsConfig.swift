import Foundation
import SecurityOps

/// The limits settings: per-address, per-person and per-client budgets, HTTP request limits, Client ID
/// Metadata Document fetching and idle client expiry. Part of `GraphGateConfig` (`config.limits`).
public struct LimitsConfig: Sendable {
    /// `GRAPHGATE_RATE_LIMITS` entries over the defaults (`GRAPHGATE_RATE_LIMIT` sets `tool` before them).
    public var rateLimitEntries: [String]
    /// Request headers larger than this (bytes, request line included) get 431.
    public var maxHeaderBytes: Int
    /// A connection must deliver a request's complete headers within this time of starting it.
    public var headerTimeout: Duration
    /// A connection with nothing to read or write for this long is closed.
    public var idleTimeout: Duration
    /// Hosts (`host` or `host:port`) whose metadata documents may be fetched; nil: any public https host.
    public var clientMetadataHosts: [String]?
    /// PEM file of extra certificate authorities for metadata document fetches.
    public var clientMetadataCA: String?
    /// Dynamically registered clients unused for this many days are deleted.
    public var clientIdleDays: Int

    /// The budgets for `toolCallsPerMinute` (`GRAPHGATE_RATE_LIMIT`) with `rateLimitEntries` applied.
    public func rateLimitPolicy(toolCallsPerMinute: Int) throws(SecurityError) -> RateLimitPolicy {
        try RateLimitPolicy.standard(toolCallsPerMinute: toolCallsPerMinute).overriding(rateLimitEntries)
    }

    static let variables: [GraphGateConfig.Variable] = [
        rateLimits.variable, maxHeaderBytes.variable, headerTimeout.variable, idleTimeout.variable,
        clientMetadataHosts.variable, clientMetadataCA.variable, clientIdleDays.variable,
    ]

    /// Shown as the standard budgets the entries override (`GRAPHGATE_RATE_LIMIT` sets `tool`).
    public static let rateLimits = Setting<[String]>(
        "GRAPHGATE_RATE_LIMITS", flag: "rate-limits", default: [],
        shown: {
            let policy = RateLimitPolicy.standard(toolCallsPerMinute: GraphGateConfig.rateLimit.defaultValue)
            return [
                policy.perIP, policy.loginFailures, policy.registerFailures, policy.bearerFailures,
                policy.toolCallsPerUser,
            ]
            .map { "\($0.name)=\($0.capacity)/\($0.period.compactSettingText)" }.joined(separator: ",")
        }(),
        help: "Budgets as name=count/period: ip (requests without a token, per address), login_failures and "
            + "register (failed sign-in steps and registrations per address), bearer_failures (invalid tokens "
            + "per address), tool and tool_client (tool calls per person, and per person with one client).",
        kind: SettingKind(
            parse: { text throws(SettingProblem) in
                let entries = GraphGateConfig.parseList(text)
                do throws(SecurityError) {
                    _ = try RateLimitPolicy.standard(toolCallsPerMinute: GraphGateConfig.rateLimit.defaultValue)
                        .overriding(entries)
                } catch {
                    throw SettingProblem(error.description)
                }
                return entries
            }, show: { $0.joined(separator: ",") }))

    public static let maxHeaderBytes = Setting(
        "GRAPHGATE_MAX_HEADER_BYTES", flag: "max-header-bytes", default: 16 * 1024,
        help: "Largest request head (request line and headers) accepted; larger gets 431.",
        kind: .wholeNumber(in: 1024...1_048_576, of: "bytes"))

    public static let headerTimeout = Setting(
        "GRAPHGATE_HEADER_TIMEOUT", flag: "header-timeout", default: Duration.seconds(10),
        help: "Time a connection has to send a request's complete headers before it is closed.",
        kind: .duration(atMost: .seconds(3600)))

    public static let idleTimeout = Setting(
        "GRAPHGATE_IDLE_TIMEOUT", flag: "idle-timeout", default: Duration.seconds(60),
        help: "An idle connection (nothing read or written) is closed after this long.",
        kind: .duration(atMost: .seconds(3600)))

    /// Unset: any public https host.
    public static let clientMetadataHosts = Setting<[String]?>(
        "GRAPHGATE_CLIENT_METADATA_HOSTS", flag: "client-metadata-hosts", shown: "(any public host)",
        help: "Comma-separated host or host:port whose client metadata documents may be fetched (these may "
            + "be loopback or private; no other host is fetched).",
        kind: .list(
            lowercased: true,
            each: {
                $0.range(
                    of: #"^[a-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9a-f:.]+\](:[0-9]{1,5})?$"#,
                    options: .regularExpression) != nil
            }, else: "expected host or host:port entries"))

    public static let clientMetadataCA = Setting<String?>(
        "GRAPHGATE_CLIENT_METADATA_CA", flag: "client-metadata-ca", shown: "(system roots)",
        help: "PEM file of extra certificate authorities trusted for client metadata document fetches.",
        kind: .readableFile)

    public static let clientIdleDays = Setting(
        "GRAPHGATE_CLIENT_IDLE_DAYS", flag: "client-idle-days", default: 180,
        help: "Dynamically registered clients unused for this many days are deleted (never used: after a week).",
        kind: .days(in: 1...3650))

    static func load(_ settings: SettingsReader) throws(ConfigError) -> LimitsConfig {
        LimitsConfig(
            rateLimitEntries: try settings.read(rateLimits), maxHeaderBytes: try settings.read(maxHeaderBytes),
            headerTimeout: try settings.read(headerTimeout), idleTimeout: try settings.read(idleTimeout),
            clientMetadataHosts: try settings.read(clientMetadataHosts),
            clientMetadataCA: try settings.read(clientMetadataCA), clientIdleDays: try settings.read(clientIdleDays))
    }
}
