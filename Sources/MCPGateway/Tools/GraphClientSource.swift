import Foundation
import MicrosoftGraph

/// Gives the tools a Graph client for the principal's Microsoft account, and the link that lets the user
/// grant more permissions. The composition root implements it with the token vault.
public protocol GraphClientSource: Sendable {
    /// The Graph client of `principal`'s account (`account`: a linked account label, desktop mode only).
    /// Throws when the account is not linked or needs to sign in again; the error's description is shown.
    func graphClient(for principal: MCPPrincipal, account: String?) async throws -> GraphClient

    /// Where the user grants `scopes` (incremental consent), or nil when graphgate cannot make such a link.
    func consentLink(for principal: MCPPrincipal, scopes: [String]) async -> String?
}

/// A ``GraphClientSource`` made of two closures (the composition root builds `GraphClient(httpClient:…,
/// tokenProvider: vault.tokenProvider(…))` in the first).
public struct ClosureGraphClientSource: GraphClientSource {
    public typealias MakeClient = @Sendable (_ principal: MCPPrincipal, _ account: String?) async throws -> GraphClient
    public typealias ConsentLink = @Sendable (_ principal: MCPPrincipal, _ scopes: [String]) async -> String?

    let make: MakeClient
    let link: ConsentLink

    public init(client: @escaping MakeClient, consentLink: @escaping ConsentLink = { _, _ in nil }) {
        self.make = client
        self.link = consentLink
    }

    public func graphClient(for principal: MCPPrincipal, account: String?) async throws -> GraphClient {
        try await make(principal, account)
    }

    public func consentLink(for principal: MCPPrincipal, scopes: [String]) async -> String? {
        await link(principal, scopes)
    }
}
