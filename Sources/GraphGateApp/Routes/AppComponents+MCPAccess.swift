import Foundation
import MCPGateway
import MicrosoftGraph
import Storage
import TokenVault

extension AppComponents {
    /// The MCP front door of this process: our OAuth server (sign-in through the token vault, audit to the audit
    /// log), and the MCP protocol core serving the tool catalogue to each request's principal, with a Graph client
    /// built from the vault's token provider of exactly that user.
    func makeMCPAccess() -> MCPAccess {
        let vault = vault
        let httpClient = httpClient
        let microsoft = microsoft
        let logger = logger
        let limiter = MailboxLimiter()
        let source = ClosureGraphClientSource(
            client: { principal, account in
                let provider = try await vault.tokenProvider(userId: principal.userId, accountLabel: account)
                return GraphClient(
                    httpClient: httpClient, baseURL: microsoft.graph, tokenProvider: provider,
                    mailboxKey: principal.userId + "/" + (account ?? TokenVault.defaultAccountLabel),
                    limiter: limiter, logger: logger)
            },
            consentLink: { _, scopes in vault.consentURL(for: scopes)?.absoluteString })
        let catalogue = ToolCatalogue(
            policy: ToolPolicy(
                readOnly: config.readOnly, toolPatterns: config.tools, sendAllowedDomains: config.sendAllowedDomains,
                sendsPerHour: config.sendsPerHour, confirmSends: config.confirmSends), graph: source,
            audit: security.recorder, logger: logger,
            cursorKey: vault.envelope.keyring.derivedKey(for: "page cursor"), confirmations: sendConfirmations)
        let security = security
        return MCPAccess(
            config: config, users: stores.users, sessionStore: stores.mcpSessions, oauth: stores.oauth,
            browserSessions: stores.browserSessions, signIn: vault, audit: security.recorder, logger: logger,
            toolCallGate: { principal, id in
                await security.checkToolCall(
                    userId: principal.userId, clientId: principal.clientId,
                    rpcID: JSONWriter.string(id.value))
            },
            bearerFailureGate: { sourceIP in await security.checkBearerFailure(sourceIP: sourceIP) },
            userBlock: { userId in try await security.userBlock(userId) },
            catalogue: catalogue, requestStateKey: vault.envelope.keyring.derivedKey(for: "request state"),
            accessChanges: stores.accessChanges,
            // One server per SQLite file: no other process ends a session without moving the revocation epoch.
            sessionCache: database.backend == .sqlite
                ? AccessChangeCache(changes: stores.accessChanges, capacity: 10_000) : nil)
    }
}
