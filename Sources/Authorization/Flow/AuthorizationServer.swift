import Foundation
import Logging
import SecurityOps
import Storage

/// graphgate's own OAuth 2.1 authorization server for the MCP resource, federated to Microsoft for sign-in.
///
/// It registers public clients (RFC 7591), validates authorize requests, keeps pending requests while the browser
/// is at Microsoft, records consent, issues single-use codes bound to client / redirect URI / PKCE challenge /
/// resource / user, and swaps them for opaque access tokens (audience `{public}/mcp`) and rotating refresh
/// tokens. Everything it stores is a hash; every decision is audited.
public struct AuthorizationServer: Sendable {
    public let settings: AuthorizationSettings
    let store: any OAuthStore
    let browserSessions: any BrowserSessionStore
    let audit: any AuditRecorder
    let logger: Logger
    let now: @Sendable () -> Int64
    let onRevoke: @Sendable (AccessRevocation) async -> Void
    /// Clients identified by an https `client_id` (nil: such clients are refused).
    let metadataDocuments: ClientMetadataDocuments?
    /// Whether a user has an active block; such users get no tokens (`invalid_grant`).
    let isBlocked: @Sendable (_ userId: String) async throws -> Bool
    /// Bearer checks from memory, by token hash; only valid tokens are kept, so guessing cannot fill it (nil when
    /// the store has no revocation epoch: every check reads).
    let tokenCache: AccessChangeCache<AccessTokenInfo>?

    /// - Parameters:
    ///   - onRevoke: called after grants were revoked, to end what still runs on them (live MCP sessions).
    ///   - now: the clock, in epoch seconds (tests move it).
    ///   - isBlocked: whether a user is blocked; checked before any token is issued or refreshed (the root
    ///     passes the same cached check the bearer check at `/mcp` makes).
    ///   - metadataFetcher: fetches Client ID Metadata Documents (nil: they are not supported).
    ///   - accessChanges: what tells the caches that access changed; by default one on the OAuth store's epoch.
    public init(
        settings: AuthorizationSettings, store: any OAuthStore, browserSessions: any BrowserSessionStore,
        audit: any AuditRecorder, logger: Logger, now: @escaping @Sendable () -> Int64 = { Timestamp.now },
        onRevoke: @escaping @Sendable (AccessRevocation) async -> Void = { _ in },
        isBlocked: @escaping @Sendable (_ userId: String) async throws -> Bool = { _ in false },
        metadataFetcher: (any ClientMetadataFetcher)? = nil,
        accessChanges: AccessChanges? = nil
    ) {
        var settings = settings
        settings.clientIdMetadataDocuments = metadataFetcher != nil
        self.settings = settings
        self.store = store
        self.browserSessions = browserSessions
        self.audit = audit
        self.logger = logger
        self.now = now
        self.onRevoke = onRevoke
        self.isBlocked = isBlocked
        self.metadataDocuments = metadataFetcher.map { ClientMetadataDocuments(fetcher: $0, store: store) }
        let changes = accessChanges ?? (store as? any RevocationEpochStore).map { AccessChanges(epochs: $0) }
        self.tokenCache = changes.map { AccessChangeCache(changes: $0) }
    }

    /// Whether `userId` is blocked; a failing check is reported as unavailable (never as "not blocked").
    func blocked(_ userId: String) async throws(AuthorizationError) -> Bool {
        do {
            return try await isBlocked(userId)
        } catch {
            throw .temporarilyUnavailable("the authorization store is unavailable; try again")
        }
    }

    /// Browser sessions of this server (same store, clock and timeouts).
    public var sessions: BrowserSessions {
        BrowserSessions(store: browserSessions, settings: settings, now: now)
    }

    func auditEvent(
        _ type: String, _ outcome: AuditEvent.Outcome = .success, userId: String? = nil, clientId: String? = nil,
        sourceIP: String? = nil, details: [String: String] = [:]
    ) async {
        await audit.record(
            AuditEvent(type, outcome: outcome, userId: userId, clientId: clientId, sourceIP: sourceIP, details: details)
        )
    }

    /// Maps a storage failure to an OAuth error whose text says nothing about the data.
    static func unavailable(_ error: StorageError) -> AuthorizationError {
        .temporarilyUnavailable("the authorization store is unavailable; try again")
    }
}

/// What was revoked, so live MCP sessions on it can be closed.
public enum AccessRevocation: Sendable, Equatable {
    /// Every grant of the user.
    case user(String)
    /// These grants.
    case grants([String])
}
