import Foundation
import GraphGateSettings
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

    /// A flag's value (nil or empty: not given), else the server setting's variable.
    private func value<Value>(_ flag: String?, _ setting: Setting<Value>) -> String? {
        if let flag, !flag.isEmpty { return flag }
        return SettingsReader(environment: environment).text(setting)
    }

    /// What a new login signs in with: the emulated tenant (`--sandbox-url`, else the URL of the previous
    /// sandbox login, else `graphgate sandbox`'s default), or Microsoft with the user's own public client.
    func loginSettings(previous: DesktopSettings?) throws(DesktopError) -> DesktopSettings {
        if sandbox {
            let text = sandboxURL ?? previous?.authority ?? Self.defaultSandboxURL
            return .sandbox(url: try Self.url(text, what: "--sandbox-url"))
        }
        guard let clientId = value(clientId, GraphGateConfig.msClientId) ?? previous?.clientId else {
            throw .noClientId
        }
        guard UUID(uuidString: clientId) != nil else { throw .invalid("--client-id: expected the app's GUID") }
        let tenant =
            value(tenant, GraphGateConfig.msTenant) ?? previous?.tenant ?? GraphGateConfig.msTenant.defaultValue
        guard tenant.range(of: #"^[A-Za-z0-9.\-]{1,100}$"#, options: .regularExpression) != nil else {
            throw .invalid("--tenant: expected a tenant id, domain, common, organizations or consumers")
        }
        let authority = try Self.url(
            value(authority, GraphGateConfig.msAuthority) ?? previous?.authority
                ?? GraphGateConfig.msAuthority.defaultValue.absoluteString,
            what: "--authority")
        let graph = try Self.url(
            value(graphURL, GraphGateConfig.graphURL) ?? previous?.graphURL
                ?? GraphGateConfig.graphURL.defaultValue.absoluteString,
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

    /// The tool policy from flags (nil or empty: not given) or the server's settings (`GraphGateConfig.readOnly`,
    /// `.tools`, `.sendAllowedDomains`, `.sendCap`, `.confirmSends`).
    public func toolPolicy(
        readOnly: Bool, tools: String?, sendAllowedDomains: String?, sendCap: String?, confirmSends: Bool
    ) throws(DesktopError) -> ToolPolicy {
        let flags = [
            GraphGateConfig.tools.name: tools, GraphGateConfig.sendAllowedDomains.name: sendAllowedDomains,
            GraphGateConfig.sendCap.name: sendCap,
        ].compactMapValues { $0?.isEmpty == false ? $0 : nil }
        let settings = SettingsReader(flags: flags, environment: environment)
        do {
            try GraphGateConfig.checkNames(environment)
            let envReadOnly = try settings.read(GraphGateConfig.readOnly)
            let envConfirm = try settings.read(GraphGateConfig.confirmSends)
            let patterns = try settings.read(GraphGateConfig.tools)
            if let problem = ToolCatalogue.unmatchedPatternsProblem(patterns) {
                throw ConfigError(GraphGateConfig.tools.name, problem)
            }
            return ToolPolicy(
                readOnly: readOnly || envReadOnly,
                toolPatterns: patterns,
                sendAllowedDomains: try settings.read(GraphGateConfig.sendAllowedDomains),
                sendsPerHour: try settings.read(GraphGateConfig.sendCap),
                confirmSends: confirmSends || envConfirm)
        } catch let error as ConfigError {
            throw .invalid(error.description)
        } catch {
            throw .invalid("\(error)")
        }
    }
}
