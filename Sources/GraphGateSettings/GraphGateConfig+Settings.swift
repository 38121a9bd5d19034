import Foundation
import Storage

extension GraphGateConfig {
    /// One row of the settings table: a ``Setting`` without its type, for the command-line flags, `--help` and
    /// README.
    public struct Variable: Sendable {
        public var name: String
        public var flag: String
        /// The default as shown (a value, or a description such as "(none)").
        public var defaultValue: String
        public var help: String
        public var secret: Bool = false
        /// Read before the command line is parsed (logging), so it has no flag.
        public var environmentOnly: Bool = false
        /// Whether `defaultValue` is the default written out (setting it gives the default).
        public var defaultIsLiteral: Bool = false
        /// A true/false setting: its flag alone (`--read-only`) means true.
        public var isSwitch: Bool = false
        /// The value `text` gives this setting, written back as text (what the setting makes of it).
        let canonical: @Sendable (String) throws(ConfigError) -> String?

        /// `text` as this setting reads it, written back as text; fails as loading it would.
        public func canonicalText(_ text: String) throws(ConfigError) -> String? { try canonical(text) }

        /// Its row in the README's configuration table.
        public var readmeRow: String {
            "| `\(name)` | \(environmentOnly ? "" : "`--\(flag)`") | \(defaultValue) | \(help) |"
        }
    }

    /// The variable a command-line flag (`--port`, without the dashes) sets, if any.
    public static func variable(flag: String) -> Variable? {
        variables.first { $0.flag == flag && !$0.environmentOnly }
    }

    /// `--help` text listing every setting: flag, variable, default and meaning, from the one table.
    public static var settingsHelp: String {
        variables.map { variable in
            let flag = variable.environmentOnly ? "" : "--\(variable.flag), "
            return "\(flag)\(variable.name) (default \(variable.defaultValue)): \(variable.help)"
        }.joined(separator: "\n\n")
    }

    /// Every setting graphgate reads, in the order `--help` and README list them. A `GRAPHGATE_` variable not in
    /// this list is refused at start (a typo would otherwise silently fall back to a default).
    public static let variables: [Variable] =
        [
            host.variable, port.variable, publicURL.variable, databaseURL.variable, keyring.variable,
            keyringKey.variable, msClientId.variable, msClientSecret.variable, msTenant.variable,
            msAuthority.variable, graphURL.variable, sandbox.variable, readOnly.variable, tools.variable,
            sendAllowedDomains.variable, sendCap.variable, confirmSends.variable, grantMaxDays.variable,
            admins.variable, rateLimit.variable, mcpStateless.variable,
        ] + OperationsConfig.variables + SecurityConfig.variables + LimitsConfig.variables

    // MARK: - The settings of `GraphGateConfig` itself

    public static let host = Setting(
        "GRAPHGATE_HOST", flag: "host", default: "127.0.0.1", help: "Address to listen on.",
        kind: .text(
            where: { !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || ".-:".contains($0) } },
            else: "expected a host name or IP address"))

    public static let port = Setting(
        "GRAPHGATE_PORT", flag: "port", default: 8080, help: "Port to listen on.", kind: .port(in: 0...65535))

    /// Unset: `http(s)://HOST:PORT` from the listening address (loopback for a wildcard address).
    public static let publicURL = Setting<URL?>(
        "GRAPHGATE_PUBLIC_URL", flag: "public-url", shown: "http://HOST:PORT",
        help: "URL clients reach graphgate at (https in production).", kind: .url(allowPath: true))

    public static let databaseURL = Setting(
        "GRAPHGATE_DATABASE_URL", flag: "database-url", default: DatabaseLocation.sqlite(path: "graphgate.sqlite"),
        help: "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB.", secret: true,
        kind: SettingKind(
            parse: { text throws(SettingProblem) in
                do {
                    return try DatabaseLocation(parsing: text)
                } catch let error as StorageError {
                    // The parser's reasons are fixed text (never the URL, which may hold a password).
                    guard case .invalidLocation(let reason) = error else {
                        throw SettingProblem("expected \(DatabaseLocation.expectedForm)")
                    }
                    throw SettingProblem(reason)
                } catch {
                    throw SettingProblem("expected \(DatabaseLocation.expectedForm)")
                }
            }, show: { $0.description }))

    /// Unset: a generated keyring next to the database in sandbox mode (production requires one).
    public static let keyring = Setting<String?>(
        "GRAPHGATE_KEYRING", flag: "keyring", shown: "(sandbox: generated next to the database)",
        help: "Keyring file for encrypting Microsoft tokens at rest.", kind: .text)

    public static let keyringKey = Setting<String?>(
        "GRAPHGATE_KEYRING_KEY", flag: "keyring-key", shown: "(none)",
        help: "Keyring as ID:BASE64[,ID:BASE64...] for containers (first key primary); instead of a file.",
        secret: true, kind: .text)

    public static let msClientId = Setting<String?>(
        "GRAPHGATE_MS_CLIENT_ID", flag: "ms-client-id", shown: "(none: sandbox mode)",
        help: "Application (client) id of your Entra app registration.", kind: .text)

    public static let msClientSecret = Setting<String?>(
        "GRAPHGATE_MS_CLIENT_SECRET", flag: "ms-client-secret", shown: "(none)",
        help: "Client secret of the Entra app (confidential client).", secret: true, kind: .text)

    public static let msTenant = Setting(
        "GRAPHGATE_MS_TENANT", flag: "ms-tenant", default: "common",
        help: "Tenant id, or common / organizations / consumers.",
        kind: .text(
            where: { $0.range(of: #"^[A-Za-z0-9.\-]{1,100}$"#, options: .regularExpression) != nil },
            else: "expected a tenant id (GUID), domain, common or organizations"))

    public static let msAuthority = Setting(
        "GRAPHGATE_MS_AUTHORITY", flag: "ms-authority", default: URL(string: "https://login.microsoftonline.com")!,
        help: "Microsoft identity platform authority.", kind: .url(allowPath: false))

    public static let graphURL = Setting(
        "GRAPHGATE_GRAPH_URL", flag: "graph-url", default: URL(string: "https://graph.microsoft.com")!,
        help: "Microsoft Graph base URL.", kind: .url(allowPath: false))

    /// Unset: sandbox mode exactly when no client id is set.
    public static let sandbox = Setting<Bool?>(
        "GRAPHGATE_SANDBOX", flag: "sandbox", shown: "1 when no client id is set",
        help: "1: serve against the emulated Microsoft tenant started in-process.", kind: .bool)

    public static let readOnly = Setting(
        "GRAPHGATE_READ_ONLY", flag: "read-only", default: false,
        help: "1: expose no write tool and never ask for write scopes.", kind: .bool)

    public static let tools = Setting<[String]>(
        "GRAPHGATE_TOOLS", flag: "tools", default: [], shown: "(all)",
        help: "Comma-separated tool names or globs to expose, e.g. list_*,get_message.", kind: .list)

    public static let sendAllowedDomains = Setting<[String]>(
        "GRAPHGATE_SEND_ALLOWED_DOMAINS", flag: "send-allowed-domains", default: [], shown: "(any)",
        help: "Comma-separated recipient domains mail may be sent to, e.g. contoso.com,*.contoso.com.",
        kind: .list(
            lowercased: true,
            each: {
                $0.range(
                    of: #"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"#,
                    options: .regularExpression) != nil
            }, else: "expected domains like contoso.com or *.contoso.com"))

    public static let sendCap = Setting(
        "GRAPHGATE_SEND_CAP", flag: "send-cap", default: 30,
        help: "Sends (send, reply, forward, invitations) per user per hour.",
        kind: .wholeNumber(in: 0...100_000, of: "sends per user per hour"))

    public static let confirmSends = Setting(
        "GRAPHGATE_CONFIRM_SENDS", flag: "confirm-sends", default: false,
        help: "1: ask the user to confirm each send (in the client, else on a graphgate confirmation page).",
        kind: .bool)

    public static let grantMaxDays = Setting(
        "GRAPHGATE_GRANT_MAX_DAYS", flag: "grant-max-days", default: 90,
        help: "Days an assistant's authorization lasts at most; refreshing does not extend it.",
        kind: .days(in: 1...3650))

    public static let admins = Setting<[String]>(
        "GRAPHGATE_ADMINS", flag: "admins", default: [], shown: "(none)",
        help: "Usernames, user ids, object ids or tenant-id/object-id with the admin role.", kind: .list)

    public static let rateLimit = Setting(
        "GRAPHGATE_RATE_LIMIT", flag: "rate-limit", default: 120, help: "Tool calls per user per minute.",
        kind: .wholeNumber(in: 1...1_000_000, of: "calls per minute"))

    /// Read and ignored.
    public static let mcpStateless = Setting(
        "GRAPHGATE_MCP_STATELESS", flag: "mcp-stateless", default: "0",
        help: "Ignored, accepted so older deployments still start: MCP sessions are rows any instance serves.",
        kind: .text)
}
