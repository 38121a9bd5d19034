import ArgumentParser
import Foundation
import GraphGateApp
import Logging

/// The flags every server-side command shares. Each flag overrides the environment variable of the same name.
struct ConfigOptions: ParsableArguments {
    @Option(help: "Address to listen on. [GRAPHGATE_HOST, default 127.0.0.1]")
    var host: String?
    @Option(help: "Port to listen on. [GRAPHGATE_PORT, default 8080]")
    var port: String?
    @Option(help: "URL clients reach graphgate at. [GRAPHGATE_PUBLIC_URL, default http://HOST:PORT]")
    var publicURL: String?
    @Option(help: "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB. [GRAPHGATE_DATABASE_URL]")
    var databaseURL: String?
    @Option(help: "Keyring file that encrypts Microsoft tokens at rest. [GRAPHGATE_KEYRING]")
    var keyring: String?
    @Option(help: "Keyring as ID:BASE64[,...] (prefer the environment variable). [GRAPHGATE_KEYRING_KEY]")
    var keyringKey: String?
    @Option(help: "Entra application (client) id. [GRAPHGATE_MS_CLIENT_ID; none = sandbox mode]")
    var msClientId: String?
    @Option(help: "Entra client secret (prefer the environment variable). [GRAPHGATE_MS_CLIENT_SECRET]")
    var msClientSecret: String?
    @Option(help: "Tenant id, common or organizations. [GRAPHGATE_MS_TENANT, default common]")
    var msTenant: String?
    @Option(help: "Identity platform authority. [GRAPHGATE_MS_AUTHORITY]")
    var msAuthority: String?
    @Option(help: "Microsoft Graph base URL. [GRAPHGATE_GRAPH_URL]")
    var graphURL: String?
    @Option(help: "1 to use the emulated Microsoft tenant. [GRAPHGATE_SANDBOX]")
    var sandbox: String?
    @Option(help: "1 to expose only read tools. [GRAPHGATE_READ_ONLY]")
    var readOnly: String?
    @Option(help: "Tool names or globs to expose, comma-separated. [GRAPHGATE_TOOLS]")
    var tools: String?
    @Option(help: "Recipient domains mail may go to, comma-separated. [GRAPHGATE_SEND_ALLOWED_DOMAINS]")
    var sendAllowedDomains: String?
    @Option(help: "Sends per user per hour. [GRAPHGATE_SEND_CAP, default 30]")
    var sendCap: String?
    @Option(help: "1 to confirm each send with the user (MCP elicitation). [GRAPHGATE_CONFIRM_SENDS]")
    var confirmSends: String?
    @Option(help: "Usernames with the admin role, comma-separated. [GRAPHGATE_ADMINS]")
    var admins: String?
    @Option(help: "Tool calls per user per minute. [GRAPHGATE_RATE_LIMIT, default 120]")
    var rateLimit: String?
    @Option(help: "1 for a fresh MCP server per request (load-balanced deployments). [GRAPHGATE_MCP_STATELESS]")
    var mcpStateless: String?
    @OptionGroup(title: "Operations") var operations: OperationsOptions
    @OptionGroup(title: "Security") var security: SecurityOptions
    @OptionGroup(title: "Limits") var limits: LimitsOptions

    /// The flags given, keyed by the environment variable they override.
    var flags: [String: String] {
        let pairs: [(String, String?)] = [
            ("GRAPHGATE_HOST", host), ("GRAPHGATE_PORT", port), ("GRAPHGATE_PUBLIC_URL", publicURL),
            ("GRAPHGATE_DATABASE_URL", databaseURL), ("GRAPHGATE_KEYRING", keyring),
            ("GRAPHGATE_KEYRING_KEY", keyringKey),
            ("GRAPHGATE_MS_CLIENT_ID", msClientId), ("GRAPHGATE_MS_CLIENT_SECRET", msClientSecret),
            ("GRAPHGATE_MS_TENANT", msTenant), ("GRAPHGATE_MS_AUTHORITY", msAuthority),
            ("GRAPHGATE_GRAPH_URL", graphURL), ("GRAPHGATE_SANDBOX", sandbox), ("GRAPHGATE_READ_ONLY", readOnly),
            ("GRAPHGATE_TOOLS", tools), ("GRAPHGATE_SEND_ALLOWED_DOMAINS", sendAllowedDomains),
            ("GRAPHGATE_SEND_CAP", sendCap), ("GRAPHGATE_CONFIRM_SENDS", confirmSends), ("GRAPHGATE_ADMINS", admins),
            ("GRAPHGATE_RATE_LIMIT", rateLimit),
            ("GRAPHGATE_MCP_STATELESS", mcpStateless),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { name, value in value.map { (name, $0) } })
            .merging(operations.flags) { _, new in new }
            .merging(security.flags) { _, new in new }
            .merging(limits.flags) { _, new in new }
    }

    /// Reads the configuration or fails with one line naming the variable.
    func load() throws -> GraphGateConfig {
        do {
            return try GraphGateConfig.load(flags: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CleanExit.failure("configuration error: \(error.description)")
        }
    }
}

/// One-line failures: the message, no stack trace, exit code 1.
enum CleanExit {
    static func failure(_ message: String) -> ValidationError { ValidationError(message) }
}

/// Logs go to stderr (stdout belongs to JSON-RPC in stdio mode and to machine-readable output elsewhere):
/// JSON lines, or plain text on a terminal (`GRAPHGATE_LOG_FORMAT`), redacted, at `GRAPHGATE_LOG_LEVEL`.
enum CLILogging {
    static let bootstrap: Void = {
        LoggingSystem.bootstrap { label in GraphGateLogging.makeHandler(label: label) }
    }()

    static func logger(_ label: String = "graphgate") -> Logger {
        _ = bootstrap
        return Logger(label: label)
    }
}

/// Prints one line to stderr and exits 1: how every command reports an error it understands.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("graphgate: \(message)\n".utf8))
    exit(1)
}
