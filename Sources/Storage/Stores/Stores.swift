/// Every store over one database, each built once. A composition root (the server, desktop mode, a one-shot
/// command) makes one `Stores` right after opening the database and hands each part only the store protocols it
/// uses; nothing outside `Storage` constructs an `SQL*Store`.
public struct Stores: Sendable {
    public let users: any UserStore
    public let usernameBindings: any UsernameBindingStore
    public let oauth: any OAuthStore
    /// This process's watch on the revocation epoch (the OAuth store's), shared by every access cache.
    public let accessChanges: AccessChanges
    public let browserSessions: any BrowserSessionStore
    public let mcpSessions: any MCPSessionStore
    public let tokenBlobs: any TokenBlobStore
    public let pendingSignIns: any PendingSignInStore
    public let audit: any AuditStore
    public let alerts: any AlertStore
    public let rateLimits: any RateLimitStore
    public let operations: any OperationsStore
    /// The `/account` page's reads and "delete my data".
    public let accountData: any AccountDataStore

    /// The SQL implementations, the same on SQLite and PostgreSQL.
    public init(database: Database) {
        users = SQLUserStore(database: database)
        usernameBindings = SQLUsernameBindingStore(database: database)
        let oauth = SQLOAuthStore(database: database)
        self.oauth = oauth
        accessChanges = AccessChanges(epochs: oauth)
        browserSessions = SQLBrowserSessionStore(database: database)
        mcpSessions = SQLMCPSessionStore(database: database)
        tokenBlobs = SQLTokenBlobStore(database: database)
        pendingSignIns = SQLPendingSignInStore(database: database)
        audit = SQLAuditStore(database: database)
        alerts = SQLAlertStore(database: database)
        rateLimits = SQLRateLimitStore(database: database)
        operations = SQLOperationsStore(database: database)
        accountData = SQLAccountDataStore(database: database)
    }
}
