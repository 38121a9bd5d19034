import Authorization
import Foundation
import GraphGateSettings
import HTTPTypes
import Hummingbird
import SecurityOps
import Storage
import TokenVault

/// `/admin`, for the users `GRAPHGATE_ADMINS` names (`GraphGateConfig.isAdmin`), signed in with a graphgate
/// browser session:
///
/// - `GET /admin`: users and their status, blocks, alerts and the monitor's counters of the last 24 hours, the
///   token encryption keys, recent security events (`AdminPage`).
/// - `POST /admin/action` (`action` = block | unblock | revoke, `user`, for block an optional `duration`): with
///   the page's CSRF token it only answers a confirmation page, which repeats what will happen and carries a
///   CSRF token bound to exactly that action, user and duration; its final button (`confirm=yes`) acts.
///
/// The actions are `IncidentResponder`'s, the same as `graphgate admin block|unblock|revoke`, composed with
/// this process's authorization server (so revoking also closes the user's live MCP sessions here) and audited
/// with the acting admin (`web:<user id>`). No session: a sign-in offer (401). Not an admin: 403, audited as
/// `admin.access` denied.
package struct AdminRoutes {
    let config: GraphGateConfig
    let users: any UserStore
    let bindings: any UsernameBindingStore
    let alerts: any AlertStore
    /// The audit log's rows (read); `audit` is where this page records.
    let auditLog: any AuditStore
    let audit: any AuditRecorder
    /// The keyring of this process and the stored envelopes, for the keys table.
    let keys: KeyMaintenance
    let incidents: IncidentResponder
    /// Browser sessions (who is asking) and the users' grants.
    let authorization: AuthorizationServer

    package init(
        config: GraphGateConfig, users: any UserStore, bindings: any UsernameBindingStore, alerts: any AlertStore,
        auditLog: any AuditStore, audit: any AuditRecorder, keys: KeyMaintenance, incidents: IncidentResponder,
        authorization: AuthorizationServer
    ) {
        self.config = config
        self.users = users
        self.bindings = bindings
        self.alerts = alerts
        self.auditLog = auditLog
        self.audit = audit
        self.keys = keys
        self.incidents = incidents
        self.authorization = authorization
    }

    /// Users listed on the page (the `admin` command reaches the rest).
    static let userLimit = 200
    static let eventLimit = 50
    static let alertLimit = 50
    /// A user's newest audit rows looked at for "last seen".
    static let activityWindow = 10
    /// How far back alerts and counters go.
    static let recentWindow: Int64 = 86_400
    /// Audit events shown as security events: every event of these kinds…
    static let securityTypePrefixes = ["security.", "admin.", "keys."]
    /// …and these when they did not succeed.
    static let securityFailureTypes = [
        "mcp.auth", "mcp.session.cross_user", "login", "login.microsoft", "logout", "oauth.consent",
        "oauth.client.register", "token.code", "token.code_replay", "token.refresh", "token.refresh_reuse",
        "token.decrypt_failed", "token.store",
    ]
    static let pagePurpose = "admin"

    var browser: BrowserSessions { authorization.sessions }

    package func add(to router: Router<GraphGateRequestContext>) {
        router.get("admin") { request, context in await page(request, context) }
        router.post("admin/action") { request, context in await action(request, context) }
    }

    // MARK: Who is asking

    enum Caller {
        case admin(cookie: String, user: User)
        case refused(Response)
    }

    /// The signed-in admin, or the answer for everyone else.
    func caller(_ request: Request, _ context: GraphGateRequestContext) async -> Caller {
        do {
            guard let cookie = request.cookies[browser.cookieName]?.value,
                let session = try await browser.resolve(cookie),
                let user = try await users.user(id: session.userId)
            else { return .refused(AdminPage.signInOffer()) }
            if try await users.activeBlock(subject: Block.userSubject(user.id)) != nil {
                return .refused(
                    WebPage.message(
                        title: "Access blocked", message: "Your account is blocked on this graphgate server.",
                        status: .forbidden))
            }
            guard try await config.isAdmin(user, bindings: bindings) else {
                await audit.record(
                    AuditEvent(
                        "admin.access", outcome: .denied, userId: user.id, sourceIP: context.sourceIP,
                        details: ["reason": "not_admin", "path": request.uri.path]))
                return .refused(
                    WebPage.message(
                        title: "Administrators only",
                        message: "This page is for the administrators of this graphgate server.",
                        hint: "Your account is not one of them; the attempt was recorded.", status: .forbidden))
            }
            return .admin(cookie: cookie, user: user)
        } catch {
            return .refused(unavailable(context, error))
        }
    }

    func unavailable(_ context: GraphGateRequestContext, _ error: any Error) -> Response {
        context.logger.error("admin page failed", metadata: ["gg.error": "\(type(of: error))"])
        return WebPage.message(
            title: "Unavailable", message: "graphgate could not load this page.", hint: "Try again in a moment.",
            status: .serviceUnavailable)
    }

    // MARK: The page

    func page(_ request: Request, _ context: GraphGateRequestContext) async -> Response {
        let cookie: String
        let admin: User
        switch await caller(request, context) {
        case .refused(let response): return response
        case .admin(let value, let user): (cookie, admin) = (value, user)
        }
        do {
            return AdminPage.render(try await overview(admin: admin, cookie: cookie))
        } catch {
            return unavailable(context, error)
        }
    }

    /// Everything the page shows, in a fixed number of reads whatever the number of users (one per kind).
    func overview(admin: User, cookie: String) async throws -> AdminPage.Overview {
        let now = Timestamp.now
        let listed = try await users.allUsers(limit: Self.userLimit + 1)
        let shown = Array(listed.prefix(Self.userLimit))
        let ids = shown.map(\.id)
        var names = Dictionary(shown.map { ($0.id, $0.username) }) { first, _ in first }
        let blocks = try await users.activeBlocks()
        let userBlocks = Dictionary(blocks.map { ($0.subject, $0) }) { first, _ in first }
        let accountsByUser = Dictionary(grouping: try await users.accounts(userIds: ids), by: \.userId)
        let grantsByUser = try await authorization.activeGrants(userIds: ids)
        // Admin actions and alerts name the user too, but are not the user being seen.
        let activity = try await auditLog.lastActivity(
            userIds: ids, window: Self.activityWindow, excludingPrefixes: ["admin.", "security."])

        var rows: [AdminPage.UserRow] = []
        for user in shown {
            let accounts = accountsByUser[user.id] ?? []
            let grants = grantsByUser[user.id] ?? []
            let lastSeen = max(user.lastLoginAt, activity[user.id] ?? 0)
            let status: String
            let block = userBlocks[Block.userSubject(user.id)]
            if let block {
                status = "blocked " + Self.until(block)
            } else if !accounts.isEmpty, accounts.allSatisfy({ $0.status == .needsSignIn }), grants.isEmpty {
                status = "revoked"
            } else if accounts.contains(where: { $0.status == .needsSignIn }) {
                status = "needs sign-in"
            } else {
                status = "active"
            }
            rows.append(
                AdminPage.UserRow(
                    id: user.id, displayName: user.displayName, username: user.username, status: status,
                    blocked: block != nil,
                    lastSeen: "\(AdminPage.time(lastSeen)) (\(AdminPage.span(now - lastSeen)) ago)",
                    clients: Set(grants.map(\.clientId)).count, isSelf: user.id == admin.id))
        }

        let alerts = try await self.alerts.recentAlerts(limit: Self.alertLimit)
            .filter { $0.firedAt >= now - Self.recentWindow }
        let totals = try await self.alerts.counterTotals(since: now - Self.recentWindow)
        let events = try await auditLog.recent(
            typePrefixes: Self.securityTypePrefixes, failedTypes: Self.securityFailureTypes, limit: Self.eventLimit)

        // Names of users the page mentions beyond the listed ones.
        let mentioned =
            blocks.compactMap { Self.userId(subject: $0.subject) }
            + alerts.compactMap { Self.userId(subject: $0.subject) }
            + events.compactMap(\.userId)
        let unnamed = Set(mentioned).filter { names[$0] == nil }
        for user in try await users.users(ids: Array(unnamed)) { names[user.id] = user.username }
        func subject(_ text: String) -> String {
            if let id = Self.userId(subject: text) { return "user " + (names[id] ?? id) }
            if text.hasPrefix("ip:") { return "address " + text.dropFirst("ip:".count) }
            if text.hasPrefix("client:") { return "client " + text.dropFirst("client:".count) }
            return text
        }

        let keyring = keys.keyring
        let usage = try await keys.usage()
        let primary = keyring.primary

        return AdminPage.Overview(
            adminName: admin.displayName, adminUsername: admin.username, sandbox: config.sandbox,
            csrf: BrowserSessions.csrfToken(session: cookie, purpose: Self.pagePurpose), users: rows,
            usersTruncated: listed.count > Self.userLimit,
            blocked: blocks.map {
                AdminPage.BlockRow(
                    who: subject($0.subject), until: Self.until($0), reason: $0.reason, createdBy: $0.createdBy,
                    userId: Self.userId(subject: $0.subject))
            },
            alerts: alerts.map {
                AdminPage.AlertRow(
                    firedAt: AdminPage.time($0.firedAt), rule: Self.signalName($0.rule), subject: subject($0.subject),
                    count: $0.count, windowStart: AdminPage.time($0.windowStart))
            },
            counters: SecuritySignal.allCases.map { signal in
                func cell(_ kind: String) -> String {
                    guard let total = totals.first(where: { $0.rule == signal.rawValue && $0.subjectKind == kind })
                    else { return "0" }
                    return "\(total.total) (\(total.subjects))"
                }
                return AdminPage.CounterRow(
                    signal: Self.signalName(signal.rawValue), byAddress: cell("ip"), byUser: cell("user"),
                    byClient: cell("client"))
            },
            primaryKey:
                "Primary key \(primary.id), created \(AdminPage.time(primary.createdAt)) "
                + "(\(AdminPage.span(now - primary.createdAt)) ago).",
            keys: KeyMaintenance.lines(keyring: keyring, usage: usage).map {
                AdminPage.KeyRow(
                    id: $0.id, status: $0.status, created: $0.createdAt > 0 ? AdminPage.time($0.createdAt) : "-",
                    tokens: $0.tokens, pendingSignIns: $0.pendingSignIns)
            },
            events: events.map {
                AdminPage.EventRow(
                    at: AdminPage.time($0.at), type: $0.eventType, outcome: $0.outcome,
                    user: $0.userId.map { names[$0] ?? $0 } ?? "-", sourceIP: $0.sourceIP ?? "-",
                    details: Self.readable(details: $0.details))
            })
    }

    /// An audit row's details (canonical JSON, already redacted) as `key: value; …`, at most 300 characters.
    static func readable(details: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(details.utf8)) as? [String: Any] else {
            return String(details.prefix(300))
        }
        let text = object.keys.sorted().map { "\($0): \(object[$0].map { "\($0)" } ?? "")" }.joined(separator: "; ")
        return String(text.prefix(300))
    }

    static func userId(subject: String) -> String? {
        subject.hasPrefix("user:") ? String(subject.dropFirst("user:".count)) : nil
    }

    static func until(_ block: Block) -> String {
        block.blockedUntil.map { "until " + AdminPage.time($0) } ?? "until unblocked"
    }

    static func signalName(_ rule: String) -> String {
        switch SecuritySignal(rawValue: rule) {
        case .failedAuth: "Failed authentication"
        case .invalidBearer: "Invalid bearer tokens"
        case .crossUserAccess: "Cross-user attempts"
        case .refreshFailure: "Refresh failures (Microsoft)"
        case .decryptFailure: "Token decryption failures"
        case .rateLimitHit: "Rate-limit hits"
        case .send: "Mail sent"
        case nil: rule
        }
    }

    // MARK: Actions

    func action(_ request: Request, _ context: GraphGateRequestContext) async -> Response {
        let cookie: String
        let admin: User
        switch await caller(request, context) {
        case .refused(let response): return response
        case .admin(let value, let user): (cookie, admin) = (value, user)
        }
        func invalid(_ message: String) -> Response {
            AdminPage.result(
                title: "Nothing was changed", message: message, hint: "Start again from the admin page.",
                status: .badRequest)
        }
        let form: [(name: String, value: String)]
        do {
            guard let parsed = try await FormParameters.body(of: request, limit: FormParameters.bodyLimit) else {
                return invalid("The form could not be read.")
            }
            form = parsed
        } catch {
            return invalid("The form could not be read.")
        }
        func value(_ name: String) -> String { FormParameters.first(name, in: form) ?? "" }
        let confirmed = value("confirm") == "yes"
        let reference = value("user")
        let durationText = value("duration").trimmingCharacters(in: .whitespaces)
        guard let action = AdminPage.Action(rawValue: value("action")) else {
            return invalid("Choose Block, Unblock or Revoke.")
        }
        guard !reference.isEmpty, reference.count <= 200 else { return invalid("The form names no user.") }
        let purpose =
            confirmed ? Self.confirmPurpose(action, user: reference, duration: durationText) : Self.pagePurpose
        guard BrowserSessions.verifyCSRF(FormParameters.first("csrf", in: form), session: cookie, purpose: purpose)
        else {
            await audit.record(
                AuditEvent(
                    "admin.action", outcome: .denied, userId: admin.id, sourceIP: context.sourceIP,
                    details: [
                        "action": action.rawValue,
                        "reason": FormParameters.first("csrf", in: form) == nil ? "csrf_missing" : "csrf_mismatch",
                    ]))
            return AdminPage.result(
                title: "Request refused",
                message:
                    "This request did not come from graphgate's admin page (its security token is missing or wrong).",
                hint: "Nothing was changed. Open the admin page and try again.", status: .forbidden)
        }
        var duration: Duration?
        if action == .block, !durationText.isEmpty {
            guard durationText.count <= 16, let parsed = try? IncidentResponder.parseDuration(durationText) else {
                return invalid("“\(durationText)” is not a duration: use e.g. 30m, 12h or 7d, or leave it empty.")
            }
            duration = parsed
        }
        let target: User
        do {
            target = try await incidents.resolve(reference)
        } catch {
            if case .unknownUser = error {
                return AdminPage.result(
                    title: "No such user", message: "No user of this server matches the form.",
                    hint: "Nothing was changed.", status: .notFound)
            }
            return invalid(error.description)
        }
        if action == .block, target.id == admin.id {
            await audit.record(
                AuditEvent(
                    "admin.action", outcome: .denied, userId: admin.id, sourceIP: context.sourceIP,
                    details: ["action": "block", "reason": "self"]))
            return invalid("You cannot block yourself: you would lock yourself out of this page.")
        }
        guard confirmed else {
            return AdminPage.confirm(
                await confirmation(
                    action, target: target, admin: admin, duration: duration, durationText: durationText,
                    csrf: BrowserSessions.csrfToken(
                        session: cookie, purpose: Self.confirmPurpose(action, user: reference, duration: durationText)))
            )
        }
        let reason = String(value("reason").trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))
        return await perform(
            action, target: target, actor: "web:\(admin.id)", duration: duration, reason: reason, context: context)
    }

    /// The CSRF purpose of a confirmation page: the token it carries is good for exactly this request.
    static func confirmPurpose(_ action: AdminPage.Action, user: String, duration: String) -> String {
        "admin-confirm\u{0}\(action.rawValue)\u{0}\(user)\u{0}\(action == .block ? duration : "")"
    }

    func confirmation(
        _ action: AdminPage.Action, target: User, admin: User, duration: Duration?, durationText: String,
        csrf: String
    ) async -> AdminPage.Confirmation {
        let who = "\(target.displayName) (\(target.username))"
        let summary: String
        var effects: [String]
        switch action {
        case .block:
            let until =
                duration.map {
                    "for \(AdminPage.span($0.components.seconds)), until "
                        + AdminPage.time(Timestamp.now + $0.components.seconds)
                } ?? "until you unblock them"
            summary = "\(who) will be blocked \(until)."
            effects = [
                "Every request with their tokens is refused with 403, including their assistants' next MCP calls.",
                "They cannot sign in or get new tokens while blocked.",
                "Their approvals and Microsoft tokens are kept: unblocking restores access as it was.",
            ]
        case .unblock:
            let block = await incidents.activeBlock(subject: Block.userSubject(target.id))
            summary =
                block.map { "The block on \(who) (\(Self.until($0))) will be lifted." }
                ?? "\(who) is not blocked; confirming changes nothing."
            effects = ["Their assistants work again with the approvals they already have."]
        case .revoke:
            summary = "Everything \(who) has on this server will end now."
            effects = [
                "Their Microsoft tokens are deleted from this server.",
                "Every approval they gave an assistant is revoked: all access and refresh tokens stop working at "
                    + "once, on every instance.",
                "Their browser and MCP sessions end.",
                "To use graphgate again they must sign in and approve each assistant again. Block them as well to "
                    + "keep them out.",
            ]
            if target.id == admin.id { effects.append("This is your own account: you will be signed out.") }
        }
        return AdminPage.Confirmation(
            action: action, userId: target.id, displayName: target.displayName, username: target.username,
            duration: durationText, summary: summary, effects: effects, csrf: csrf)
    }

    func perform(
        _ action: AdminPage.Action, target: User, actor: String, duration: Duration?, reason: String,
        context: GraphGateRequestContext
    ) async -> Response {
        let who = "\(target.displayName) (\(target.username))"
        do {
            switch action {
            case .block:
                let block = try await incidents.block(
                    userId: target.id, for: duration, reason: reason.isEmpty ? "blocked on the admin page" : reason,
                    actor: actor)
                return AdminPage.result(
                    title: "Blocked", message: "\(who) is blocked \(Self.until(block)).", status: .ok)
            case .unblock:
                let removed = try await incidents.unblock(userId: target.id, actor: actor)
                return AdminPage.result(
                    title: removed ? "Unblocked" : "Not blocked",
                    message: removed ? "\(who) can use graphgate again." : "\(who) was not blocked.", status: .ok)
            case .revoke:
                let report = try await incidents.revoke(
                    userId: target.id, reason: reason.isEmpty ? "revoked on the admin page" : reason, actor: actor)
                let done =
                    "\(report.grantsRevoked) approval(s) revoked; Microsoft tokens of \(report.accountsErased) "
                    + "account(s) deleted; sessions ended."
                guard report.failures.isEmpty else {
                    return AdminPage.result(
                        title: "Revoke incomplete", message: done,
                        hint: "Failed: " + report.failures.joined(separator: "; "), status: .internalServerError)
                }
                return AdminPage.result(title: "Revoked", message: "\(who): " + done, status: .ok)
            }
        } catch {
            context.logger.error("admin action failed", metadata: ["gg.error": "\(error.description)"])
            return AdminPage.result(
                title: "Action failed", message: "graphgate could not complete the action.",
                hint: "Try again in a moment; see the server log.", status: .serviceUnavailable)
        }
    }
}
