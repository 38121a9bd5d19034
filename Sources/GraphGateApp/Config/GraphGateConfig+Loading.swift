import Foundation
import Storage

extension GraphGateConfig {
    /// One setting: its environment variable, its command-line flag, its default (for the help text and README)
    /// and what it means.
    public struct Variable: Sendable {
        public var name: String
        public var flag: String
        public var defaultValue: String
        public var help: String
        public var secret: Bool = false
        /// Read before the command line is parsed (logging), so it has no flag.
        public var environmentOnly: Bool = false

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

    /// Every setting graphgate reads. A `GRAPHGATE_` variable not in this list is refused at start (a typo would
    /// otherwise silently fall back to a default).
    public static let variables: [Variable] =
        [
            Variable(name: "GRAPHGATE_HOST", flag: "host", defaultValue: "127.0.0.1", help: "Address to listen on."),
            Variable(name: "GRAPHGATE_PORT", flag: "port", defaultValue: "8080", help: "Port to listen on."),
            Variable(
                name: "GRAPHGATE_PUBLIC_URL", flag: "public-url", defaultValue: "http://HOST:PORT",
                help: "URL clients reach graphgate at (https in production)."),
            Variable(
                name: "GRAPHGATE_DATABASE_URL", flag: "database-url", defaultValue: "sqlite:graphgate.sqlite",
                help: "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB.", secret: true),
            Variable(
                name: "GRAPHGATE_KEYRING", flag: "keyring", defaultValue: "(sandbox: generated next to the database)",
                help: "Keyring file for encrypting Microsoft tokens at rest."),
            Variable(
                name: "GRAPHGATE_KEYRING_KEY", flag: "keyring-key", defaultValue: "(none)",
                help: "Keyring as ID:BASE64[,ID:BASE64...] for containers (first key primary); instead of a file.",
                secret: true),
            Variable(
                name: "GRAPHGATE_MS_CLIENT_ID", flag: "ms-client-id", defaultValue: "(none: sandbox mode)",
                help: "Application (client) id of your Entra app registration."),
            Variable(
                name: "GRAPHGATE_MS_CLIENT_SECRET", flag: "ms-client-secret", defaultValue: "(none)",
                help: "Client secret of the Entra app (confidential client).", secret: true),
            Variable(
                name: "GRAPHGATE_MS_TENANT", flag: "ms-tenant", defaultValue: "common",
                help: "Tenant id, or common / organizations / consumers."),
            Variable(
                name: "GRAPHGATE_MS_AUTHORITY", flag: "ms-authority", defaultValue: "https://login.microsoftonline.com",
                help: "Microsoft identity platform authority."),
            Variable(
                name: "GRAPHGATE_GRAPH_URL", flag: "graph-url", defaultValue: "https://graph.microsoft.com",
                help: "Microsoft Graph base URL."),
            Variable(
                name: "GRAPHGATE_SANDBOX", flag: "sandbox", defaultValue: "1 when no client id is set",
                help: "1: serve against the emulated Microsoft tenant started in-process."),
            Variable(
                name: "GRAPHGATE_READ_ONLY", flag: "read-only", defaultValue: "0",
                help: "1: expose no write tool and never ask for write scopes."),
            Variable(
                name: "GRAPHGATE_TOOLS", flag: "tools", defaultValue: "(all)",
                help: "Comma-separated tool names or globs to expose, e.g. list_*,get_message."),
            Variable(
                name: "GRAPHGATE_SEND_ALLOWED_DOMAINS", flag: "send-allowed-domains", defaultValue: "(any)",
                help: "Comma-separated recipient domains mail may be sent to, e.g. contoso.com,*.contoso.com."),
            Variable(
                name: "GRAPHGATE_SEND_CAP", flag: "send-cap", defaultValue: "30",
                help: "Sends (send, reply, forward, invitations) per user per hour."),
            Variable(
                name: "GRAPHGATE_CONFIRM_SENDS", flag: "confirm-sends", defaultValue: "0",
                help: "1: ask the user to confirm each send (in the client, else on a graphgate confirmation page)."),
            Variable(
                name: "GRAPHGATE_GRANT_MAX_DAYS", flag: "grant-max-days", defaultValue: "90",
                help: "Days an assistant's authorization lasts at most; refreshing does not extend it."),
            Variable(
                name: "GRAPHGATE_ADMINS", flag: "admins", defaultValue: "(none)",
                help: "Usernames, user ids, object ids or tenant-id/object-id with the admin role."),
            Variable(
                name: "GRAPHGATE_RATE_LIMIT", flag: "rate-limit", defaultValue: "120",
                help: "Tool calls per user per minute."),
            Variable(
                name: "GRAPHGATE_MCP_STATELESS", flag: "mcp-stateless", defaultValue: "0",
                help: "Ignored, accepted so older deployments still start: MCP sessions are rows any instance serves."),
        ] + OperationsConfig.variables + SecurityConfig.variables + LimitsConfig.variables

    /// Environment variables with these prefixes belong to tools around graphgate (tests, scripts), not to it.
    static let ignoredPrefixes = ["GRAPHGATE_TEST_", "GRAPHGATE_BIN"]

    /// Reads the configuration. `flags` maps variable names (`GRAPHGATE_PORT`) to values given on the command
    /// line; they win over `environment`.
    public static func load(
        flags: [String: String] = [:], environment: [String: String]
    ) throws(ConfigError)
        -> GraphGateConfig
    {
        let known = Set(variables.map(\.name))
        for name in environment.keys.sorted() where name.hasPrefix("GRAPHGATE_") && !known.contains(name) {
            if ignoredPrefixes.contains(where: { name.hasPrefix($0) }) { continue }
            throw ConfigError(name, "is not a graphgate setting (known: see `graphgate serve --help`)")
        }
        func value(_ name: String) -> String? {
            if let flag = flags[name] { return flag }
            if let env = environment[name], !env.isEmpty { return env }
            return nil
        }

        let host = value("GRAPHGATE_HOST") ?? "127.0.0.1"
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:".contains($0) }) else {
            throw ConfigError("GRAPHGATE_HOST", "expected a host name or IP address")
        }
        let port = try parsePort(value("GRAPHGATE_PORT") ?? "8080")

        let operations = try OperationsConfig.load(value: value)
        let publicURL: URL
        if let text = value("GRAPHGATE_PUBLIC_URL") {
            publicURL = try parseURL(text, variable: "GRAPHGATE_PUBLIC_URL", allowPath: true)
        } else {
            let shown = host.contains(":") ? "[\(host)]" : host
            let hostForURL = (host == "0.0.0.0" || host == "::") ? "127.0.0.1" : shown
            publicURL = URL(string: "\(operations.servesTLS ? "https" : "http")://\(hostForURL):\(port)")!
        }

        let database: DatabaseLocation
        do {
            database = try DatabaseLocation(parsing: value("GRAPHGATE_DATABASE_URL") ?? "sqlite:graphgate.sqlite")
        } catch {
            throw ConfigError("GRAPHGATE_DATABASE_URL", "expected \(DatabaseLocation.expectedForm)")
        }

        let clientId = value("GRAPHGATE_MS_CLIENT_ID")
        let sandbox = try parseBool(value("GRAPHGATE_SANDBOX"), variable: "GRAPHGATE_SANDBOX") ?? (clientId == nil)
        if !sandbox && clientId == nil {
            throw ConfigError(
                "GRAPHGATE_MS_CLIENT_ID", "production mode (GRAPHGATE_SANDBOX=0) needs the Entra application id")
        }
        let tenant = value("GRAPHGATE_MS_TENANT") ?? "common"
        guard tenant.range(of: #"^[A-Za-z0-9.\-]{1,100}$"#, options: .regularExpression) != nil else {
            throw ConfigError("GRAPHGATE_MS_TENANT", "expected a tenant id (GUID), domain, common or organizations")
        }
        let rateLimit = value("GRAPHGATE_RATE_LIMIT") ?? "120"
        guard let rate = Int(rateLimit), rate > 0, rate <= 1_000_000 else {
            throw ConfigError("GRAPHGATE_RATE_LIMIT", "expected a whole number of calls per minute (1 to 1000000)")
        }

        return GraphGateConfig(
            host: host,
            port: port,
            publicURL: publicURL,
            database: database,
            keyringPath: value("GRAPHGATE_KEYRING"),
            msClientId: clientId,
            msClientSecret: value("GRAPHGATE_MS_CLIENT_SECRET"),
            msTenant: tenant,
            msAuthority: try parseURL(
                value("GRAPHGATE_MS_AUTHORITY") ?? "https://login.microsoftonline.com",
                variable: "GRAPHGATE_MS_AUTHORITY", allowPath: false),
            graphURL: try parseURL(
                value("GRAPHGATE_GRAPH_URL") ?? "https://graph.microsoft.com", variable: "GRAPHGATE_GRAPH_URL",
                allowPath: false),
            sandbox: sandbox,
            readOnly: try parseBool(value("GRAPHGATE_READ_ONLY"), variable: "GRAPHGATE_READ_ONLY") ?? false,
            tools: parseList(value("GRAPHGATE_TOOLS")),
            admins: parseList(value("GRAPHGATE_ADMINS")),
            rateLimitPerMinute: rate,
            operations: operations,
            security: try SecurityConfig.load(value: value),
            limits: try LimitsConfig.load(value: value),
            keyringKey: value("GRAPHGATE_KEYRING_KEY"),
            sendAllowedDomains: try parseDomains(value("GRAPHGATE_SEND_ALLOWED_DOMAINS")),
            sendsPerHour: try parseSendCap(value("GRAPHGATE_SEND_CAP") ?? "30"),
            confirmSends: try parseBool(value("GRAPHGATE_CONFIRM_SENDS"), variable: "GRAPHGATE_CONFIRM_SENDS") ?? false,
            grantMaxDays: try parseGrantMaxDays(value("GRAPHGATE_GRANT_MAX_DAYS") ?? "90")
        )
    }

    package static func parseDomains(_ text: String?) throws(ConfigError) -> [String] {
        let domains = parseList(text).map { $0.lowercased() }
        for domain in domains
        where domain.range(
            of: #"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"#,
            options: .regularExpression) == nil
        {
            throw ConfigError("GRAPHGATE_SEND_ALLOWED_DOMAINS", "expected domains like contoso.com or *.contoso.com")
        }
        return domains
    }

    package static func parseSendCap(_ text: String) throws(ConfigError) -> Int {
        guard let n = Int(text), (0...100_000).contains(n) else {
            throw ConfigError("GRAPHGATE_SEND_CAP", "expected a whole number of sends per user per hour (0 to 100000)")
        }
        return n
    }

    static func parseGrantMaxDays(_ text: String) throws(ConfigError) -> Int {
        guard let n = Int(text), (1...3650).contains(n) else {
            throw ConfigError("GRAPHGATE_GRANT_MAX_DAYS", "expected a whole number of days from 1 to 3650")
        }
        return n
    }

    static func parsePort(_ text: String) throws(ConfigError) -> Int {
        guard let port = Int(text), (0...65535).contains(port) else {
            throw ConfigError("GRAPHGATE_PORT", "expected a port number from 0 to 65535")
        }
        return port
    }

    package static func parseBool(_ text: String?, variable: String) throws(ConfigError) -> Bool? {
        guard let text else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigError(variable, "expected 1 or 0 (true/false)")
        }
    }

    package static func parseList(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// An absolute http(s) URL; plain `http` only for loopback hosts, so tokens never cross a network in clear.
    package static func parseURL(_ text: String, variable: String, allowPath: Bool) throws(ConfigError) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, components.user == nil, components.query == nil,
            components.fragment == nil, let url = components.url
        else {
            throw ConfigError(variable, "expected an absolute URL like https://host[:port]")
        }
        guard scheme == "https" || (scheme == "http" && isLoopback(host)) else {
            throw ConfigError(variable, "expected https (http is accepted only for loopback hosts)")
        }
        if !allowPath && !(components.path.isEmpty || components.path == "/") {
            throw ConfigError(variable, "expected a base URL without a path")
        }
        return url
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}
