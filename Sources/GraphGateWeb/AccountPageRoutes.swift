import Authorization
import Foundation
import GraphGateSettings
import HTTPTypes
import Hummingbird
import MCPGateway
import SecurityOps
import Storage
import TokenVault

/// The account page and its actions, for the user of the browser session (never anyone else: every action
/// works on the session's user id only):
///
/// - `GET /account`: the page (`AccountPage`), or a "Sign in with Microsoft" page without a session.
/// - `POST /account/revoke` (`revoke` = client id): withdraws the approval of that assistant, revokes its grants
///   (so its access and refresh tokens) and closes its live MCP sessions at once.
/// - `POST /account/signout-everywhere`: deletes every browser session of the user.
/// - `POST /account/data`: "Download my data", a JSON attachment without any token or secret.
/// - `POST /account/delete` (`confirm=yes`): erases the user's data; audit rows stay for their retention.
///
/// Every POST needs the session and a CSRF token for its own purpose; otherwise it changes nothing and answers
/// 401 or 403. The rate limits are the middleware's (per IP, and the login budget for `/account/…`).
package struct AccountPageRoutes {
    let config: GraphGateConfig
    let users: any UserStore
    let accountData: any AccountDataStore
    /// The audit log's rows (read); `audit` is where this page records.
    let auditLog: any AuditStore
    let audit: any AuditRecorder
    let vault: TokenVault
    /// Browser sessions (who is asking), the user's grants, approvals and clients.
    let authorization: AuthorizationServer
    /// This process's live MCP sessions (shown per assistant).
    let mcpSessions: MCPSessionManager

    var browser: BrowserSessions { authorization.sessions }

    package init(
        config: GraphGateConfig, users: any UserStore, accountData: any AccountDataStore, auditLog: any AuditStore,
        audit: any AuditRecorder, vault: TokenVault, authorization: AuthorizationServer, mcpSessions: MCPSessionManager
    ) {
        self.config = config
        self.users = users
        self.accountData = accountData
        self.auditLog = auditLog
        self.audit = audit
        self.vault = vault
        self.authorization = authorization
        self.mcpSessions = mcpSessions
    }

    /// Messages of `/account?done=…` (a fixed set, never echoed input).
    static let flashes = [
        "revoked": "The assistant's access was revoked and its open connections were closed."
    ]
    /// How many audit rows "Download my data" includes at most.
    static let exportEventLimit = 10_000

    package func add(to router: Router<GraphGateRequestContext>) {
        router.get("account") { request, context in await page(request, context) }
        router.post("account/revoke") { request, context in await revoke(request, context) }
        router.post("account/signout-everywhere") { request, context in await signOutEverywhere(request, context) }
        router.post("account/data") { request, context in await download(request, context) }
        router.post("account/delete") { request, context in await delete(request, context) }
    }

    /// The browser's session and its user.
    struct SignedIn {
        var cookie: String
        var session: BrowserSessionRecord
        var user: User
    }

    func signedIn(_ request: Request) async throws -> SignedIn? {
        guard let cookie = request.cookies[browser.cookieName]?.value,
            let session = try await browser.resolve(cookie),
            let user = try await users.user(id: session.userId)
        else { return nil }
        return SignedIn(cookie: cookie, session: session, user: user)
    }

    // MARK: Page

    func page(_ request: Request, _ context: GraphGateRequestContext) async -> Response {
        do {
            guard let signed = try await signedIn(request) else { return AccountPage.signIn() }
            let data = try await AccountData.load(
                user: signed.user, authorization: authorization, mcpSessions: mcpSessions, users: users,
                store: accountData, auditLog: auditLog)
            let done = FormParameters.query(of: request).flatMap { FormParameters.first("done", in: $0) }
            return AccountPage.render(
                AccountPage.Context(
                    data: data, cookie: signed.cookie, currentSessionHash: signed.session.idHash,
                    readOnly: config.readOnly,
                    retentionDays: config.operations.auditRetentionDays,
                    flash: done.flatMap { Self.flashes[$0] }))
        } catch {
            return unavailable(context, error)
        }
    }

    // MARK: Actions

    func revoke(_ request: Request, _ context: GraphGateRequestContext) async -> Response {
        await checked(request, context, purpose: AccountPage.Purpose.revoke, event: "account.client.revoke") {
            signed, form in await revoke(signed, form, context)
        }
    }

    func revoke(
        _ signed: SignedIn, _ form: [(name: String, value: String)], _ context: GraphGateRequestContext
    ) async -> Response {
        guard let clientId = FormParameters.first("revoke", in: form), !clientId.isEmpty, clientId.count <= 256
        else {
            return WebPage.message(
                title: "Invalid form", message: "Choose the assistant to revoke. Nothing was changed.",
                status: .badRequest)
        }
        do {
            let userId = signed.user.id
            let grants = try await authorization.grants(userId: userId)
            let consent = try await authorization.consent(userId: userId, clientId: clientId)
            guard grants.contains(where: { $0.clientId == clientId }) || consent != nil else {
                await audit.record(
                    AuditEvent(
                        "account.client.revoke", outcome: .failure, userId: userId, sourceIP: context.sourceIP,
                        details: ["reason": "not_connected"]))
                return WebPage.message(
                    title: "Not connected", message: "This assistant is not connected to your account.",
                    hint: "Nothing was changed.", status: .notFound)
            }
            let ids = try await authorization.withdrawConsent(userId: userId, clientId: clientId, actor: "user")
            await audit.record(
                AuditEvent(
                    "account.client.revoke", userId: userId, clientId: clientId, sourceIP: context.sourceIP,
                    details: ["grants": "\(ids.count)"]))
            return WebPage.redirect("/account?done=revoked", status: .seeOther)
        } catch {
            return unavailable(context, error)
        }
    }

    func signOutEverywhere(_ request: Request, _ context: GraphGateRequestContext) async -> Response {
        await checked(
            request, context, purpose: AccountPage.Purpose.signOutEverywhere, event: "account.signout_everywhere"
        ) { signed, _ in await signOutEverywhere(signed, context) }
    }

    func signOutEverywhere(_ signed: SignedIn, _ context: GraphGateRequestContext) async -> Response {
        do {
            try await browser.closeAll(userId: signed.user.id)
        } catch {
            return unavailable(context, error)
        }
        await audit.record(
            AuditEvent("account.signout_everywhere", userId: signed.user.id, sourceIP: context.sourceIP))
        var response = WebPage.message(
            title: "Signed out everywhere", message: "You are signed out of graphgate in every browser.",
            hint: "Assistants you allowed keep their access until you revoke them on your account page.",
            status: .ok)
        response.headers[.setCookie] = browser.clearCookie()
        return response
    }

    func download(_ request: Request, _ context: GraphGateRequestContext) async -> Response {
        await checked(request, context, purpose: AccountPage.Purpose.download, event: "account.export") {
            signed, _ in await download(signed, context)
        }
    }

    func download(_ signed: SignedIn, _ context: GraphGateRequestContext) async -> Response {
        let json: Data
        do {
            let data = try await AccountData.load(
                user: signed.user, authorization: authorization, mcpSessions: mcpSessions, users: users,
                store: accountData, auditLog: auditLog,
                eventLimit: Self.exportEventLimit)
            json = data.exportJSON()
        } catch {
            return unavailable(context, error)
        }
        await audit.record(AuditEvent("account.export", userId: signed.user.id, sourceIP: context.sourceIP))
        let headers: HTTPFields = [
            .contentType: "application/json; charset=utf-8", .cacheControl: "no-store",
            .contentDisposition: "attachment; filename=\"graphgate-my-data.json\"",
        ]
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    func delete(_ request: Request, _ context: GraphGateRequestContext) async -> Response {
        await checked(request, context, purpose: AccountPage.Purpose.delete, event: "account.delete") {
            signed, form in await delete(signed, form, context)
        }
    }

    func delete(
        _ signed: SignedIn, _ form: [(name: String, value: String)], _ context: GraphGateRequestContext
    ) async -> Response {
        let userId = signed.user.id
        guard FormParameters.first("confirm", in: form) == "yes" else {
            return WebPage.message(
                title: "Please confirm", message: "Tick the box to confirm that your data should be deleted.",
                hint: "Nothing was deleted.", status: .badRequest)
        }
        do {
            // A block belongs to the administrator: erasing the user would lift it, so they decide.
            if try await users.activeBlock(subject: Block.userSubject(userId)) != nil {
                await audit.record(
                    AuditEvent(
                        "account.delete", outcome: .denied, userId: userId, sourceIP: context.sourceIP,
                        details: ["reason": "blocked"]))
                return WebPage.message(
                    title: "Not while blocked",
                    message: "Your access is blocked, so only the administrator can "
                        + "delete your data.", hint: "Nothing was deleted. Contact your graphgate administrator.",
                    status: .forbidden)
            }
            // Microsoft's tokens first (retrying is possible while still signed in), then every grant, browser
            // and MCP session, then the rows.
            let accounts = try await users.accounts(userId: userId)
            for account in accounts {
                try await vault.revoke(userId: userId, accountId: account.id, by: "user")
            }
            let grants = try await authorization.revokeAll(
                userId: userId, reason: "user_deleted_data", actor: "user")
            try await accountData.eraseUser(id: userId, now: Timestamp.now)
            await audit.record(
                AuditEvent(
                    "account.delete", userId: userId, sourceIP: context.sourceIP,
                    details: ["accounts": "\(accounts.count)", "grants": "\(grants.count)"]))
        } catch {
            return unavailable(context, error)
        }
        let days = config.operations.auditRetentionDays
        var response = WebPage.message(
            title: "Your data was deleted",
            message: "graphgate no longer holds your Microsoft tokens, linked account, assistants' access or "
                + "sessions, and you are signed out.",
            hint: AccountPage.retentionText(days: days)
                + " To remove graphgate at Microsoft as well, see My Apps or your Microsoft account's Apps and services.",
            status: .ok)
        response.headers[.setCookie] = browser.clearCookie()
        return response
    }

    // MARK: Helpers

    /// Reads the form of a POST, checks the session and the CSRF token for `purpose`, and only then runs
    /// `action` with the signed-in user and the form. Otherwise answers 400 (unreadable form), 401 (no session)
    /// or 403 (CSRF token missing or wrong, audited as `event`), and nothing is changed.
    func checked(
        _ request: Request, _ context: GraphGateRequestContext, purpose: String, event: String,
        _ action: (SignedIn, [(name: String, value: String)]) async -> Response
    ) async -> Response {
        let form: [(name: String, value: String)]
        do {
            guard let parsed = try await FormParameters.body(of: request, limit: FormParameters.bodyLimit) else {
                return Self.invalidForm()
            }
            form = parsed
        } catch {
            return Self.invalidForm()
        }
        let signed: SignedIn
        do {
            guard let found = try await signedIn(request) else {
                return WebPage.message(
                    title: "You are not signed in", message: "Your graphgate sign-in has ended. Nothing was changed.",
                    hint: "Open your account page and sign in again.", status: .unauthorized)
            }
            signed = found
        } catch {
            return unavailable(context, error)
        }
        let token = FormParameters.first("csrf", in: form)
        guard BrowserSessions.verifyCSRF(token, session: signed.cookie, purpose: purpose) else {
            await audit.record(
                AuditEvent(
                    event, outcome: .denied, userId: signed.user.id, sourceIP: context.sourceIP,
                    details: ["reason": token == nil ? "csrf_missing" : "csrf_mismatch"]))
            return WebPage.message(
                title: "Request refused",
                message: "This request did not come from graphgate's account page (its security token is missing "
                    + "or wrong).", hint: "Nothing was changed. Open your account page and try again.",
                status: .forbidden)
        }
        return await action(signed, form)
    }

    package static func invalidForm() -> Response {
        WebPage.message(
            title: "Invalid form", message: "The form could not be read. Nothing was changed.", status: .badRequest)
    }

    func unavailable(_ context: GraphGateRequestContext, _ error: any Error) -> Response {
        context.logger.error("account page failed", metadata: ["gg.error": "\(type(of: error))"])
        return WebPage.message(
            title: "Unavailable", message: "graphgate could not complete this right now.",
            hint: "Try again in a moment.", status: .serviceUnavailable)
    }
}
