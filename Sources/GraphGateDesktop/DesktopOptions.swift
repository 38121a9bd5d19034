import Foundation
import GraphGateApp
import MCPGateway

/// The desktop commands' shared choices, from flags (nil: not given) with the environment as fallback.
public struct DesktopOptions: Sendable {
    /// Where the emulated tenant runs when neither `--sandbox-url` nor a previous login says otherwise: the
    /// default port of `graphgate sandbox`.
    public static let defaultSandboxURL = "http://127.0.0.1:8081"

    public var dataDirectory: String?
    public var sandbox: Bool
    public var sandboxURL: String?
    public var clientId: String?
    public var tenant: String?
    public var authority: String?
    public var graphURL: String?
    public var environment: [String: String]

    public init(
        dataDirectory: String? = nil, sandbox: Bool = false, sandboxURL: String? = nil, clientId: String? = nil,
        tenant: String? = nil, authority: String? = nil, graphURL: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.dataDirectory = dataDirectory
        self.sandbox = sandbox || sandboxURL != nil
        self.sandboxURL = sandboxURL
        self.clientId = clientId
        self.tenant = tenant
        self.authority = authority
        self.graphURL = graphURL
        self.environment = environment
    }

    public func paths() throws(DesktopError) -> DesktopPaths {
        try DesktopPaths.resolve(dataDirectory: dataDirectory, sandbox: sandbox, environment: environment)
    }

    private func value(_ flag: String?, _ variable: String) -> String? {
        if let flag, !flag.isEmpty { return flag }
        if let env = environment[variable], !env.isEmpty { return env }
        return nil
    }

    /// What a new login signs in with: the emulated tenant (`--sandbox-url`, else the URL of the previous
    /// sandbox login, else `graphgate sandbox`'s default), or Microsoft with the user's own public client.
    func loginSettings(previous: DesktopSettings?) throws(DesktopError) -> DesktopSettings {
        if sandbox {
            let text = sandboxURL ?? previous?.authority ?? Self.defaultSandboxURL
            return .sandbox(url: try Self.url(text, what: "--sandbox-url"))
        }
        guard let clientId = value(clientId, "GRAPHGATE_MS_CLIENT_ID") ?? previous?.clientId else {
            throw .noClientId
        }
        guard UUID(uuidString: clientId) != nil else { throw .invalid("--client-id: expected the app's GUID") }
        let tenant = value(tenant, "GRAPHGATE_MS_TENANT") ?? previous?.tenant ?? "common"
        guard tenant.range(of: #"^[A-Za-z0-9.\-]{1,100}$"#, options: .regularExpression) != nil else {
            throw .invalid("--tenant: expected a tenant id, domain, common, organizations or consumers")
        }
        let authority = try Self.url(
            value(authority, "GRAPHGATE_MS_AUTHORITY") ?? previous?.authority ?? "https://login.microsoftonline.com",
            what: "--authority")
        let graph = try Self.url(
            value(graphURL, "GRAPHGATE_GRAPH_URL") ?? previous?.graphURL ?? "https://graph.microsoft.com",
            what: "--graph-url")
        return DesktopSettings(
            sandbox: false, authority: authority.absoluteString.trimmingTrailingSlash, tenant: tenant,
            clientId: clientId, graphURL: graph.absoluteString.trimmingTrailingSlash)
    }

    /// What `stdio` runs with: the settings login saved, with `--sandbox-url` moving the emulated tenant.
    func stdioSettings(saved: DesktopSettings) throws(DesktopError) -> DesktopSettings {
        guard sandbox, let sandboxURL else { return saved }
        return .sandbox(url: try Self.url(sandboxURL, what: "--sandbox-url"))
    }

    static func url(_ text: String, what: String) throws(DesktopError) -> URL {
        do {
            return try GraphGateConfig.parseURL(text, variable: what, allowPath: false)
        } catch {
            throw .invalid(error.description)
        }
    }

    /// The tool policy from flags (nil: not given) or the server's variables (`GRAPHGATE_READ_ONLY`,
    /// `GRAPHGATE_TOOLS`, `GRAPHGATE_SEND_ALLOWED_DOMAINS`, `GRAPHGATE_SEND_CAP`, `GRAPHGATE_CONFIRM_SENDS`).
    public func toolPolicy(
        readOnly: Bool, tools: String?, sendAllowedDomains: String?, sendCap: String?, confirmSends: Bool
    ) throws(DesktopError) -> ToolPolicy {
        do {
            let envReadOnly = try GraphGateConfig.parseBool(
                environment["GRAPHGATE_READ_ONLY"].flatMap { $0.isEmpty ? nil : $0 }, variable: "GRAPHGATE_READ_ONLY")
            let envConfirm = try GraphGateConfig.parseBool(
                environment["GRAPHGATE_CONFIRM_SENDS"].flatMap { $0.isEmpty ? nil : $0 },
                variable: "GRAPHGATE_CONFIRM_SENDS")
            return ToolPolicy(
                readOnly: readOnly || envReadOnly == true,
                toolPatterns: GraphGateConfig.parseList(value(tools, "GRAPHGATE_TOOLS")),
                sendAllowedDomains: try GraphGateConfig.parseDomains(
                    value(sendAllowedDomains, "GRAPHGATE_SEND_ALLOWED_DOMAINS")),
                sendsPerHour: try GraphGateConfig.parseSendCap(value(sendCap, "GRAPHGATE_SEND_CAP") ?? "30"),
                confirmSends: confirmSends || envConfirm == true)
        } catch {
            throw .invalid(error.description)
        }
    }
}
