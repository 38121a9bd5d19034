import Foundation
import Storage

extension GraphGateConfig {
    /// Environment variables with these prefixes belong to tools around graphgate (tests, scripts), not to it.
    static let ignoredPrefixes = ["GRAPHGATE_TEST_", "GRAPHGATE_BIN"]

    /// Reads the configuration. `flags` maps variable names (`GRAPHGATE_PORT`) to values given on the command
    /// line; they win over `environment`.
    public static func load(
        flags: [String: String] = [:], environment: [String: String]
    ) throws(ConfigError)
        -> GraphGateConfig
    {
        try checkNames(environment)
        return try load(SettingsReader(flags: flags, environment: environment))
    }

    /// Refuses a `GRAPHGATE_…` variable that is no setting (a typo such as `GRAPHGATE_SEND_ALLOWED_DOMAIN` would
    /// otherwise leave the policy it meant unset).
    public static func checkNames(_ environment: [String: String]) throws(ConfigError) {
        let known = Set(variables.map(\.name))
        for name in environment.keys.sorted() where name.hasPrefix("GRAPHGATE_") && !known.contains(name) {
            if ignoredPrefixes.contains(where: { name.hasPrefix($0) }) { continue }
            throw ConfigError(name, "is not a graphgate setting (known: see `graphgate serve --help`)")
        }
    }

    /// Reads every setting through `settings` (tests check what it read against the settings table). The rules
    /// that involve several settings are here; each setting's own are in its declaration.
    package static func load(_ settings: SettingsReader) throws(ConfigError) -> GraphGateConfig {
        let host = try settings.read(Self.host)
        let port = try settings.read(Self.port)
        let operations = try OperationsConfig.load(settings)
        let publicURL: URL
        if let url = try settings.read(Self.publicURL) {
            publicURL = url
        } else {
            let shown = host.contains(":") ? "[\(host)]" : host
            let hostForURL = (host == "0.0.0.0" || host == "::") ? "127.0.0.1" : shown
            publicURL = URL(string: "\(operations.servesTLS ? "https" : "http")://\(hostForURL):\(port)")!
        }
        let database = try settings.read(Self.databaseURL)

        let clientId = try settings.read(Self.msClientId)
        let sandbox = try settings.read(Self.sandbox) ?? (clientId == nil)
        if !sandbox && clientId == nil {
            throw ConfigError(
                Self.msClientId.name, "production mode (\(Self.sandbox.name)=0) needs the Entra application id")
        }
        let tenant = try settings.read(Self.msTenant)
        let rate = try settings.read(Self.rateLimit)
        _ = try settings.read(Self.mcpStateless)

        return GraphGateConfig(
            host: host,
            port: port,
            publicURL: publicURL,
            database: database,
            keyringPath: try settings.read(Self.keyring),
            msClientId: clientId,
            msClientSecret: try settings.read(Self.msClientSecret),
            msTenant: tenant,
            msAuthority: try settings.read(Self.msAuthority),
            graphURL: try settings.read(Self.graphURL),
            sandbox: sandbox,
            readOnly: try settings.read(Self.readOnly),
            tools: try settings.read(Self.tools),
            admins: try settings.read(Self.admins),
            rateLimitPerMinute: rate,
            operations: operations,
            security: try SecurityConfig.load(settings),
            limits: try LimitsConfig.load(settings),
            keyringKey: try settings.read(Self.keyringKey),
            sendAllowedDomains: try settings.read(Self.sendAllowedDomains),
            sendsPerHour: try settings.read(Self.sendCap),
            confirmSends: try settings.read(Self.confirmSends),
            grantMaxDays: try settings.read(Self.grantMaxDays)
        )
    }

    package static func parseList(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// An absolute http(s) URL (``SettingKind/url(allowPath:)``) for a value that is not one of the settings
    /// (desktop mode's `--sandbox-url`); the error names `variable`.
    package static func parseURL(_ text: String, variable: String, allowPath: Bool) throws(ConfigError) -> URL {
        try SettingKind.url(allowPath: allowPath).parse(text, as: variable)
    }
}
