import Foundation
import GraphGateSettings
import Sandbox

/// What `graphgate login` signed in with, kept next to the store (`desktop.json`, mode 0600) so that
/// `graphgate stdio` refreshes tokens with the same app, tenant and authority (a refresh token only works there)
/// and, in sandbox mode, finds the emulated tenant at the URL login used.
public struct DesktopSettings: Codable, Sendable, Equatable {
    public var sandbox: Bool
    /// Identity platform authority (`https://login.microsoftonline.com`, or the emulated tenant's URL).
    public var authority: String
    public var tenant: String
    /// The public client (device code, loopback redirect): no secret.
    public var clientId: String
    /// Graph base URL.
    public var graphURL: String

    public init(sandbox: Bool, authority: String, tenant: String, clientId: String, graphURL: String) {
        self.sandbox = sandbox
        self.authority = authority
        self.tenant = tenant
        self.clientId = clientId
        self.graphURL = graphURL
    }

    /// The emulated tenant at `url`: it is both the authority and the Graph root.
    public static func sandbox(url: URL) -> DesktopSettings {
        let text = url.absoluteString.trimmingTrailingSlash
        return DesktopSettings(
            sandbox: true, authority: text, tenant: SandboxConfiguration.tenantId,
            clientId: SandboxConfiguration.publicClientId, graphURL: text)
    }

    var authorityURL: URL? { URL(string: authority) }
    var graphBaseURL: URL? { URL(string: graphURL) }

    static func load(from path: String) throws(DesktopError) -> DesktopSettings? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path),
            let settings = try? JSONDecoder().decode(DesktopSettings.self, from: data)
        else {
            throw .files("\(path) is unreadable; run `graphgate logout` and sign in again")
        }
        return settings
    }

    /// Written atomically with mode 0600.
    func save(to path: String) throws(DesktopError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(self) else { throw .files("cannot encode the desktop settings") }
        let temporary = path + ".\(UUID().uuidString).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .files("cannot write \(path)") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == data.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .files("cannot write \(path)")
        }
    }
}
