import Authorization
import Foundation
import MCPGateway
import Storage
import TokenVault

/// Everything graphgate holds about one signed-in user, loaded for the `/account` page and for "Download my
/// data". Only that user's rows are read (every query is bound to `user.id`); nothing secret is loaded (no
/// token blob, no hash of a token or cookie except to recognise this browser's own session).
struct AccountData: Sendable {
    var user: User
    var accounts: [LinkedAccount]
    /// Active grants and remembered approvals, one entry per client.
    var clients: [ConnectedClient]
    /// Every grant, revoked ones included (for the download).
    var allGrants: [OAuthGrantRecord]
    var consents: [OAuthConsentRecord]
    var browserSessions: [BrowserSessionRecord]
    /// Live MCP sessions of this process, per client id.
    var liveSessions: [String: Int]
    /// Newest first.
    var events: [AuditRow]
    /// Every client the grants, approvals and events mention.
    var clientRecords: [OAuthClientRecord]
    var block: Block?

    /// One MCP client the user allowed (an active grant or a remembered approval), its active grants merged.
    struct ConnectedClient: Sendable {
        var clientId: String
        var name: String
        var redirectHosts: [String]
        var verified: Bool
        var scopes: [String]
        var grantIds: [String]
        var createdAt: Int64?
        var lastUsedAt: Int64?
        /// When its newest active grant ends (`GRAPHGATE_GRANT_MAX_DAYS` after approval); nil without one.
        var expiresAt: Int64? = nil
    }

    /// How many audit rows the page shows, and how many the notices look through.
    static let eventsShown = 25
    static let eventsScanned = 200

    /// Loads the user's data: OAuth rows through the authorization server, the rest through the stores.
    /// `eventLimit` bounds the audit rows read (the download reads more).
    static func load(
        user: User, authorization: AuthorizationServer, mcpSessions: MCPSessionManager, users: any UserStore,
        store: any AccountDataStore, auditLog: any AuditStore, eventLimit: Int = eventsScanned
    ) async throws -> AccountData {
        let accounts = try await users.accounts(userId: user.id)
        let allGrants = try await authorization.grants(userId: user.id, includeRevoked: true)
        let consents = try await authorization.consents(userId: user.id)
        let lastToken = try await store.lastTokenIssued(userId: user.id)
        let lastActivity = try await store.lastClientActivity(userId: user.id, window: 5_000)
        let settings = authorization.settings
        let sessions = try await store.browserSessions(
            userId: user.id, now: Timestamp.now, idleTimeout: settings.browserSessionIdleTimeout)
        let events = try await auditLog.recent(userId: user.id, limit: eventLimit)
        let block = try await users.activeBlock(subject: Block.userSubject(user.id))

        var live: [String: Int] = [:]
        for summary in await mcpSessions.summaries(userId: user.id) { live[summary.clientId, default: 0] += 1 }

        let active = allGrants.filter { $0.revokedAt == nil }
        let mentioned = allGrants.map(\.clientId) + consents.map(\.clientId) + events.compactMap(\.clientId)
        let clientRecords = try await authorization.clients(ids: mentioned).sorted { $0.createdAt < $1.createdAt }
        let records = Dictionary(clientRecords.map { ($0.clientId, $0) }, uniquingKeysWith: { a, _ in a })

        var order: [String] = []
        for id in active.map(\.clientId) + consents.map(\.clientId) where !order.contains(id) { order.append(id) }
        let clients = order.map { id -> ConnectedClient in
            let grants = active.filter { $0.clientId == id }
            let record = records[id]
            var scopes: [String] = []
            for grant in grants {
                for scope in OAuthScopes.parse(grant.scope) where !scopes.contains(scope) { scopes.append(scope) }
            }
            let consent = consents.first { $0.clientId == id }
            if scopes.isEmpty, let consent { scopes = OAuthScopes.parse(consent.scope) }
            let created = (grants.map(\.createdAt) + [consent?.createdAt].compactMap { $0 }).min()
            // Activity of the client counts only from when it was allowed (an older grant may have been revoked).
            var uses = grants.compactMap { lastToken[$0.id] }
            if let activity = lastActivity[id], activity >= (created ?? 0) { uses.append(activity) }
            return ConnectedClient(
                clientId: id, name: record?.clientName ?? "Unknown client",
                redirectHosts: hosts(of: record?.redirectURIs ?? []), verified: record?.kind == .metadataDocument,
                scopes: scopes, grantIds: grants.map(\.id), createdAt: created, lastUsedAt: uses.max(),
                expiresAt: grants.map(\.createdAt).max().map { $0 + settings.grantMaxLifetime })
        }
        return AccountData(
            user: user, accounts: accounts, clients: clients, allGrants: allGrants, consents: consents,
            browserSessions: sessions, liveSessions: live, events: events,
            clientRecords: clientRecords, block: block)
    }

    /// `host[:port]` of each redirect URI, without duplicates.
    static func hosts(of uris: [String]) -> [String] {
        var result: [String] = []
        for uri in uris {
            guard let components = URLComponents(string: uri), let host = components.host, !host.isEmpty else {
                continue
            }
            let text = components.port.map { "\(host):\($0)" } ?? host
            if !result.contains(text) { result.append(text) }
        }
        return result
    }

    /// Client names by id.
    var clientNames: [String: String] {
        Dictionary(clientRecords.map { ($0.clientId, $0.clientName) }, uniquingKeysWith: { a, _ in a })
    }

    /// The account whose scopes the page explains: `default`, else the first.
    var primaryAccount: LinkedAccount? {
        accounts.first { $0.label == "default" } ?? accounts.first
    }

    /// Audit detail keys safe to show the user: they name tools, reasons and outcomes, never another user,
    /// an administrator, an address or an internal id.
    static let safeDetailKeys: Set<String> = [
        "tool", "reason", "error", "status", "scopes", "granted", "missing", "source", "until", "rotated",
    ]

    /// The details of an audit row, reduced to `safeDetailKeys`.
    static func safeDetails(_ row: AuditRow) -> [String: String] {
        let all = (try? JSONDecoder().decode([String: String].self, from: Data(row.details.utf8))) ?? [:]
        return all.filter { safeDetailKeys.contains($0.key) }
    }
}

// MARK: Security notices

extension AccountData {
    struct Notice: Sendable, Equatable {
        var text: String
        var link: String?
        var linkText: String?
        var warn: Bool
    }

    /// Notices derived from the vault's state (an account that needs sign-in), an active block, and the user's
    /// recent audit events (last 30 days, newest of each kind, only those after the last successful sign-in
    /// where signing in again resolves them).
    func notices(now: Int64 = Timestamp.now) -> [Notice] {
        var notices: [Notice] = []
        if let block {
            let until =
                block.blockedUntil.map { "until " + AccountPage.utc($0) + " UTC" } ?? "until an administrator lifts it"
            notices.append(
                Notice(
                    text: "Your access is blocked by the graphgate administrator \(until). Assistants cannot use "
                        + "your account meanwhile.", warn: true))
        }
        for account in accounts where account.status == .needsSignIn {
            notices.append(
                Notice(
                    text: "graphgate can no longer reach Microsoft 365 for \(account.username): its access was "
                        + "revoked or Microsoft stopped renewing it.",
                    link: TokenVault.signInPath, linkText: "Sign in again", warn: true))
        }
        let since = now - 30 * 86_400
        let recent = events.filter { $0.at >= since }
        let lastLogin = recent.first { $0.eventType == "login.success" }?.at ?? 0
        let names = clientNames
        var seen = Set<String>()
        for row in recent {
            guard let (kind, notice) = Self.notice(for: row, clientName: row.clientId.flatMap { names[$0] }),
                seen.insert(kind).inserted
            else { continue }
            if kind == "refresh" || kind == "signin-failed", row.at < lastLogin { continue }
            if kind == "admin-block", block != nil { continue }
            notices.append(notice)
        }
        return notices
    }

    /// The notice an audit row calls for, with its kind (one notice per kind), or nil.
    static func notice(for row: AuditRow, clientName: String?) -> (String, Notice)? {
        let when = AccountPage.utc(row.at) + " UTC"
        let details = safeDetails(row)
        let client = clientName.map { " (\($0))" } ?? ""
        switch (row.eventType, row.outcome) {
        case ("admin.revoke", _):
            return (
                "admin-revoke",
                Notice(
                    text: "On \(when) the graphgate administrator revoked your access: assistants were "
                        + "disconnected and your Microsoft sign-in was removed.", warn: true)
            )
        case ("admin.block", _):
            let until = details["until"].flatMap(Int64.init).map { " until " + AccountPage.utc($0) + " UTC" } ?? ""
            return (
                "admin-block", Notice(text: "On \(when) the graphgate administrator blocked you\(until).", warn: true)
            )
        case ("security.auto_block", _):
            return (
                "auto-block",
                Notice(text: "On \(when) graphgate blocked your access for a while after unusual activity.", warn: true)
            )
        case ("login", "failure"), ("login", "denied"), ("login.microsoft", "failure"):
            return (
                "signin-failed", Notice(text: "A sign-in to your graphgate account failed on \(when).", warn: false)
            )
        case ("token.refresh", "failure") where details["status"] == "needs_sign_in":
            return (
                "refresh",
                Notice(
                    text: "On \(when) Microsoft refused to renew graphgate's access to your account.",
                    link: TokenVault.signInPath, linkText: "Sign in again", warn: true)
            )
        case ("token.refresh_reuse", _):
            return (
                "reuse",
                Notice(
                    text: "On \(when) an old refresh token of an assistant\(client) was presented again, which can "
                        + "mean it was copied. graphgate ended that connection; connect the assistant again.",
                    warn: true)
            )
        case ("token.code_replay", _):
            return (
                "replay",
                Notice(
                    text: "On \(when) a sign-in code for an assistant\(client) was used twice; graphgate refused it.",
                    warn: true)
            )
        case ("mcp.session.cross_user", _):
            return (
                "cross-user",
                Notice(
                    text: "On \(when) an assistant signed in as you\(client) tried to use someone else's connection; "
                        + "graphgate refused it.", warn: true)
            )
        case ("consent.microsoft", "failure"):
            let missing = details["missing"].map { " (\($0))" } ?? ""
            return (
                "consent",
                Notice(text: "On \(when) Microsoft did not grant a permission you asked for\(missing).", warn: false)
            )
        default:
            return nil
        }
    }
}

// MARK: Download

extension AccountData {
    /// The "Download my data" document. Holds no token, code, cookie, key or hash of one.
    struct Export: Encodable {
        struct UserPart: Encodable {
            var id, tenantId, objectId, username, displayName, createdAt, lastLoginAt: String
        }
        struct AccountPart: Encodable {
            var label, tenantId, objectId, username, status, createdAt, updatedAt: String
            var grantedScopes: [String]
        }
        struct ClientPart: Encodable {
            var clientId, name: String
            var redirectURIs: [String]
            var registeredAt: String?
        }
        struct GrantPart: Encodable {
            var id, clientId, createdAt: String
            var scopes: [String]
            var revokedAt, revokedReason: String?
        }
        struct ConsentPart: Encodable {
            var clientId, createdAt: String
            var scopes: [String]
        }
        struct SessionPart: Encodable {
            var createdAt, lastSeenAt, expiresAt: String
        }
        struct EventPart: Encodable {
            var seq: Int64
            var at, type, outcome: String
            var clientId, sourceIP: String?
            var details: [String: String]
        }

        var exportedAt: String
        var note: String
        var user: UserPart
        var linkedAccounts: [AccountPart]
        var clients: [ClientPart]
        var grants: [GrantPart]
        var rememberedApprovals: [ConsentPart]
        var browserSessions: [SessionPart]
        var openAssistantConnections: [String: Int]
        var auditEvents: [EventPart]
    }

    /// The export as pretty JSON (keys sorted, times ISO 8601 UTC).
    func exportJSON() -> Data {
        let iso = { (seconds: Int64) in Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601) }
        let export = Export(
            exportedAt: iso(Timestamp.now),
            note: "Everything graphgate stores about you, without secrets: Microsoft's tokens and graphgate's own "
                + "tokens are never exported. graphgate never stores your mail, calendar or contacts.",
            user: .init(
                id: user.id, tenantId: user.tenantId, objectId: user.objectId, username: user.username,
                displayName: user.displayName, createdAt: iso(user.createdAt), lastLoginAt: iso(user.lastLoginAt)),
            linkedAccounts: accounts.map {
                .init(
                    label: $0.label, tenantId: $0.tenantId, objectId: $0.objectId, username: $0.username,
                    status: $0.status.rawValue, createdAt: iso($0.createdAt), updatedAt: iso($0.updatedAt),
                    grantedScopes: $0.grantedScopes.split(separator: " ").map(String.init))
            },
            clients: clientRecords.map {
                .init(
                    clientId: $0.clientId, name: $0.clientName, redirectURIs: $0.redirectURIs,
                    registeredAt: iso($0.createdAt))
            },
            grants: allGrants.map {
                .init(
                    id: $0.id, clientId: $0.clientId, createdAt: iso($0.createdAt), scopes: OAuthScopes.parse($0.scope),
                    revokedAt: $0.revokedAt.map(iso), revokedReason: $0.revokedReason)
            },
            rememberedApprovals: consents.map {
                .init(clientId: $0.clientId, createdAt: iso($0.createdAt), scopes: OAuthScopes.parse($0.scope))
            },
            browserSessions: browserSessions.map {
                .init(createdAt: iso($0.createdAt), lastSeenAt: iso($0.lastSeenAt), expiresAt: iso($0.expiresAt))
            },
            openAssistantConnections: liveSessions,
            auditEvents: events.map {
                .init(
                    seq: $0.seq, at: iso($0.at), type: $0.eventType, outcome: $0.outcome, clientId: $0.clientId,
                    sourceIP: $0.sourceIP, details: Self.safeDetails($0))
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(export)) ?? Data("{}".utf8)
    }
}
