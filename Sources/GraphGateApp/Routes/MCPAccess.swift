import Authorization
import Crypto
import Foundation
import GraphGateSettings
import GraphGateWeb
import Hummingbird
import Logging
import MCPGateway
import SecurityOps
import ServiceLifecycle
import Storage
import TokenVault

/// The multi-user MCP front door: our OAuth authorization server, browser sessions and the MCP protocol core
/// (``MCPHTTPEndpoint``: both eras, handshake-era sessions as rows of the store). Built once at the composition
/// root; `addRoutes(to:)` mounts `/.well-known/*`, `/oauth/*` and `/mcp`; `services` are the background work
/// (idle-session reaper, purge).
public struct MCPAccess: Sendable {
    public let authorization: AuthorizationServer
    public let endpoint: MCPHTTPEndpoint
    public var sessions: MCPSessionManager { endpoint.sessions }
    let signIn: any MicrosoftSignIn
    let users: any UserStore
    let audit: any AuditRecorder
    let logger: Logger
    /// The `Origin`s accepted at `/mcp`: `scheme://host[:port]` of the public URL and, when that host is
    /// loopback, the same scheme and port under the other loopback names (`localhost`, `127.0.0.1`, `[::1]`).
    let acceptedOrigins: Set<String>
    let loopbackPublicHost: Bool
    /// Runs after authentication for each `tools/call` (per-user and per-client budgets); a response stops it,
    /// answering with the call's JSON-RPC id.
    let toolCallGate: @Sendable (MCPPrincipal, JSONRPCID) async -> Response?
    /// Runs for each invalid bearer token, by client address, before it is audited (the address's
    /// `bearer_failures` budget); a response (429) answers instead, and that refusal writes no audit row.
    let bearerFailureGate: @Sendable (_ sourceIP: String?) async -> Response?
    /// The block in force on a user (throws when the store cannot say): checked for every bearer request and
    /// before any token is issued.
    let userBlock: @Sendable (_ userId: String) async throws -> Block?
    /// Request body cap at `/mcp` (form bodies: `FormParameters.bodyLimit`).
    static let mcpBodyLimit = 512 * 1024

    /// - Parameters:
    ///   - sessionStore, oauth, browserSessions: the stores of handshake-era MCP sessions, of our OAuth server and
    ///     of browser sessions.
    ///   - signIn: the Microsoft side of sign-in (the token vault).
    ///   - catalogue: the tools `/mcp` serves.
    ///   - configuration: MCP server identity and limits (session idle timeout, list TTL, …).
    ///   - userBlock: the block in force on a user (nil: read from `users` each time; the root passes the
    ///     security services' cached check).
    ///   - requestStateKey: seals 2026-era `requestState` (nil: a random key of this process; the root derives
    ///     one from the keyring, so any instance, or this one after a restart, opens it).
    ///   - accessChanges: the process's watch on the revocation epoch (nil: one on `oauth`'s).
    ///   - sessionCache: keeps the session rows this process read in memory (nil: every request reads its row;
    ///     the root passes one on SQLite only, see `MCPSessionManager`).
    public init(
        config: GraphGateConfig, users: any UserStore, sessionStore: any MCPSessionStore, oauth: any OAuthStore,
        browserSessions: any BrowserSessionStore, signIn: any MicrosoftSignIn,
        audit: any AuditRecorder, logger: Logger, configuration: MCPConfiguration = MCPConfiguration(),
        now: @escaping @Sendable () -> Int64 = { Timestamp.now },
        toolCallGate: @escaping @Sendable (MCPPrincipal, JSONRPCID) async -> Response? = { _, _ in nil },
        bearerFailureGate: @escaping @Sendable (_ sourceIP: String?) async -> Response? = { _ in nil },
        userBlock: (@Sendable (_ userId: String) async throws -> Block?)? = nil,
        catalogue: ToolCatalogue, requestStateKey: SymmetricKey? = nil, accessChanges: AccessChanges? = nil,
        sessionCache: AccessChangeCache<MCPSessionRecord>? = nil
    ) {
        let userBlock = userBlock ?? { userId in try await users.activeBlock(subject: Block.userSubject(userId)) }
        let sessions = MCPSessionManager(
            store: sessionStore, configuration: configuration, logger: logger, audit: audit,
            now: now, cache: sessionCache)
        let core = MCPCore(
            catalogue: catalogue, configuration: configuration, stateKey: requestStateKey, consumedStates: sessions,
            now: now)
        let issuer = config.publicURL.absoluteString.trimmingTrailingSlash
        var settings = AuthorizationSettings(
            issuer: issuer, resource: config.mcpResource,
            scopesSupported: config.readOnly ? [OAuthScopes.mcp] : [OAuthScopes.mcp, OAuthScopes.write])
        settings.grantMaxLifetime = Int64(config.grantMaxDays) * 86400
        settings.clientIdleLifetime = Int64(config.limits.clientIdleDays) * 86_400
        self.authorization = AuthorizationServer(
            settings: settings, store: oauth, browserSessions: browserSessions, audit: audit, logger: logger, now: now,
            onRevoke: { revocation in
                switch revocation {
                case .user(let userId): await sessions.closeAll(userId: userId)
                case .grants(let ids): await sessions.closeAll(grantIds: ids)
                }
            },
            isBlocked: { userId in try await userBlock(userId) != nil },
            metadataFetcher: ClientMetadataHTTPSFetcher(limits: config.limits, logger: logger),
            accessChanges: accessChanges)
        self.endpoint = MCPHTTPEndpoint(core: core, sessions: sessions, logger: logger)
        self.signIn = signIn
        self.users = users
        self.audit = audit
        self.logger = logger
        self.toolCallGate = toolCallGate
        self.bearerFailureGate = bearerFailureGate
        self.userBlock = userBlock
        let publicHost = config.publicURL.host ?? ""
        self.loopbackPublicHost = RedirectURIPolicy.isLoopback(publicHost)
        let port = config.publicURL.port.map { ":\($0)" } ?? ""
        let hosts = loopbackPublicHost ? [publicHost, "localhost", "127.0.0.1", "[::1]"] : [publicHost]
        self.acceptedOrigins = Set(hosts.map { "\(config.publicURL.scheme ?? "https")://\($0)\(port)" })
    }

    /// Mounts the well-known metadata, the OAuth endpoints and `/mcp`.
    public func addRoutes(to router: Router<GraphGateRequestContext>) {
        WellKnownRoutes(settings: authorization.settings).add(to: router)
        OAuthRoutes(access: self).add(to: router)
        AccountRoutes(access: self).add(to: router)
        MCPRoutes(access: self).add(to: router)
    }

    /// Background work: the idle MCP session reaper and the purge of expired OAuth rows.
    public var services: [any Service] {
        [MCPSessionReaper(sessions: sessions, authorization: authorization, logger: logger)]
    }
}

extension MCPAccess: AccessRevoker {
    public func revokeAllAccess(userId: String, reason: String, actor: String) async throws -> Int {
        try await authorization.revokeAll(userId: userId, reason: reason, actor: actor).count
    }
}

extension MCPAccess: SessionLister {
    public func sessions(userId: String) async throws -> [SessionSummary] {
        let grants = try await authorization.grants(userId: userId)
        var result = grants.map {
            SessionSummary(kind: "grant", id: $0.id, clientId: $0.clientId, createdAt: $0.createdAt, lastUsedAt: nil)
        }
        result += await sessions.summaries(userId: userId).map {
            SessionSummary(kind: "mcp", id: $0.id, clientId: $0.clientId, createdAt: nil, lastUsedAt: $0.lastUsedAt)
        }
        return result
    }
}
