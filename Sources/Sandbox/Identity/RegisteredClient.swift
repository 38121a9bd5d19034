import Foundation

/// An application registered in the emulated tenant.
struct RegisteredClient: Sendable {
    let id: String
    let name: String
    let confidential: Bool
    let redirectURIs: [String]

    static func all(_ configuration: SandboxConfiguration) -> [RegisteredClient] {
        [
            RegisteredClient(
                id: SandboxConfiguration.clientId, name: "graphgate", confidential: true,
                redirectURIs: configuration.extraRedirectURIs),
            RegisteredClient(
                id: SandboxConfiguration.publicClientId, name: "graphgate desktop", confidential: false,
                redirectURIs: ["https://login.microsoftonline.com/common/oauth2/nativeclient"]
                    + configuration.extraRedirectURIs),
        ]
    }

    static func find(_ id: String, _ configuration: SandboxConfiguration) -> RegisteredClient? {
        all(configuration).first { $0.id.lowercased() == id.lowercased() }
    }

    /// Exact registered URIs, or any http loopback URI (Microsoft ignores the port of loopback redirect URIs).
    func accepts(redirectURI: String) -> Bool {
        if redirectURIs.contains(redirectURI) { return true }
        guard let c = URLComponents(string: redirectURI), c.scheme == "http", c.fragment == nil,
            let host = c.host?.lowercased()
        else { return false }
        return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1"
    }
}
