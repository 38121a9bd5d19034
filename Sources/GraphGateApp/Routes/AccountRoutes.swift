import Authorization
import Foundation
import GraphGateWeb
import HTTPTypes
import Hummingbird
import MicrosoftGraph
import Mustache
import SecurityOps
import Storage
import TokenVault

/// Browser pages that send the user to Microsoft outside an MCP client's authorize request:
///
/// - `GET /account/consent?scope=Mail.Send[+…]`: incremental consent for write scopes (the link write tools
///   return when a Microsoft permission is missing): a page naming the permissions, whose button posts
///   `POST /account/consent` (`scope`, `csrf`), which starts the sign-in. Only scopes of `MicrosoftScopes.write`
///   are accepted, none in read-only mode. The CSRF token is keyed by the browser session, or without one by a
///   `gg_csrf` cookie the page sets, so no cross-site request starts a consent.
/// - `GET /account/signin`: a plain Microsoft sign-in (re-link an account whose tokens were revoked).
///
/// Consent accumulates: when the browser is signed in, Microsoft is asked for everything the person granted
/// before plus what is missing, so granting one permission never drops another.
///
/// Both come back through `/oauth/callback` with a `web:` continuation, which names one fixed kind of page —
/// never a URL — so the callback cannot become an open redirect.
struct AccountRoutes {
    let access: MCPAccess

    /// Continuation prefix marking a sign-in started here rather than by an MCP authorize request.
    static let continuationPrefix = "web:"
    static let consentKind = "consent"
    static let signInKind = "signin"
    static let adminSignInKind = "signin:admin"

    func add(to router: Router<GraphGateRequestContext>) {
        router.get(RouterPath(String(TokenVault.consentPath.dropFirst()))) { request, context in
            try await consentPage(request, context)
        }
        router.post(RouterPath(String(TokenVault.consentPath.dropFirst()))) { request, context in
            try await consent(request, context)
        }
        router.get(RouterPath(String(TokenVault.signInPath.dropFirst()))) { request, context in
            // `?next=admin` returns to the admin page: one fixed page name, never a URL.
            let next = FormParameters.first("next", in: FormParameters.query(of: request) ?? [])
            return try await start(request, context, scopes: [], returnToAdmin: next == "admin")
        }
    }

    static let consentTemplate = try! MustacheTemplate(
        string: WebPage.layout + """
            <h1>Grant Microsoft permission</h1>
            <div class="box">
            <p>graphgate will ask Microsoft to let it:</p>
            <ul>{{#scopes}}<li><strong>{{name}}</strong>: {{why}}</li>{{/scopes}}</ul>
            <p class="muted">Permissions you granted before stay granted.</p>
            </div>
            <form method="post" action="{{action}}">
            <input type="hidden" name="scope" value="{{scope}}">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button class="primary" type="submit">Continue to Microsoft</button>
            </form>
            </body></html>
            """)
    static let csrfPurpose = "account:consent"

    /// The cookie keying the consent form's CSRF token when the browser has no graphgate session.
    var csrfCookieName: String { access.authorization.settings.isHTTPS ? "__Host-gg_csrf" : "gg_csrf" }

    func consentPage(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        let parameters = FormParameters.query(of: request) ?? []
        guard let scopes = requestedScopes(FormParameters.first("scope", in: parameters)) else {
            return Self.invalidScopes()
        }
        var headers = HTTPFields()
        let key: String
        if let cookie = request.cookies[access.authorization.sessions.cookieName]?.value,
            try await access.authorization.sessions.resolve(cookie) != nil
        {
            key = cookie
        } else if let existing = request.cookies[csrfCookieName]?.value, existing.count >= 32 {
            key = existing
        } else {
            key = RandomToken.make()
            let secure = access.authorization.settings.isHTTPS ? "; Secure" : ""
            let cookie = "\(csrfCookieName)=\(key); Path=/; HttpOnly; SameSite=Strict; Max-Age=3600\(secure)"
            headers.append(HTTPField(name: .setCookie, value: cookie))
        }
        let body = Self.consentTemplate.render(
            [
                "title": "Grant permission", "style": WebPage.style, "action": TokenVault.consentPath,
                "scope": scopes.joined(separator: " "),
                "scopes": scopes.map { ["name": $0, "why": AccountPage.scopeReasons[$0.lowercased()] ?? ""] },
                "csrf": BrowserSessions.csrfToken(session: key, purpose: Self.csrfPurpose),
            ] as [String: Any])
        return WebPage.html(body, status: .ok, headers: headers)
    }

    func consent(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        guard let form = try? await FormParameters.body(of: request, limit: FormParameters.bodyLimit) else {
            return AccountPageRoutes.invalidForm()
        }
        guard let scopes = requestedScopes(FormParameters.first("scope", in: form)) else {
            return Self.invalidScopes()
        }
        let session = request.cookies[access.authorization.sessions.cookieName]?.value
        let signedIn = try await access.authorization.sessions.resolve(session) != nil
        let key = signedIn ? session : request.cookies[csrfCookieName]?.value
        let token = FormParameters.first("csrf", in: form)
        guard let key, BrowserSessions.verifyCSRF(token, session: key, purpose: Self.csrfPurpose) else {
            await access.audit.record(
                AuditEvent(
                    "consent.microsoft", outcome: .denied, sourceIP: context.sourceIP, details: ["reason": "csrf"]))
            return WebPage.message(
                title: "Request refused",
                message: "This permission request did not come from graphgate's page (its security token is missing "
                    + "or wrong). Nothing was started.", hint: "Open the link your assistant gave you again.",
                status: .forbidden)
        }
        return try await start(request, context, scopes: scopes)
    }

    /// The write scopes of a `scope` value; nil when it is missing or names anything else, and always in
    /// read-only mode, where no write permission is ever asked for.
    func requestedScopes(_ text: String?) -> [String]? {
        guard access.authorization.settings.scopesSupported.contains(OAuthScopes.write) else { return nil }
        guard let text, text.count <= 512 else { return nil }
        return Self.writeScopes(text)
    }

    static func invalidScopes() -> Response {
        WebPage.message(
            title: "Invalid permission request",
            message: "This link asks for Microsoft permissions graphgate does not request.",
            hint: "Use the link your assistant gave you, unchanged.", status: .badRequest)
    }

    /// Starts the Microsoft sign-in, hinting the signed-in user's username when a browser session exists.
    func start(
        _ request: Request, _ context: GraphGateRequestContext, scopes: [String], returnToAdmin: Bool = false
    ) async throws -> Response {
        do {
            var loginHint: String?
            var scopes = scopes
            let cookie = request.cookies[access.authorization.sessions.cookieName]?.value
            if let session = try await access.authorization.sessions.resolve(cookie) {
                loginHint = try await access.users.user(id: session.userId)?.username
                // Ask for (granted ∪ needed): Microsoft's new tokens then carry every permission given so far.
                if !scopes.isEmpty {
                    let granted = try await access.users.accounts(userId: session.userId).flatMap(\.scopes)
                    let known = Set(MicrosoftScopes.write.map { $0.lowercased() })
                    scopes = MicrosoftScopes.normalize(granted.filter { known.contains($0.lowercased()) } + scopes)
                }
            }
            let kind =
                scopes.isEmpty
                ? (returnToAdmin ? Self.adminSignInKind : Self.signInKind)
                : Self.consentKind + ":" + scopes.joined(separator: " ")
            let microsoft = try await access.signIn.beginSignIn(
                continuation: Self.continuationPrefix + kind, loginHint: loginHint, additionalScopes: scopes,
                redirectURI: access.authorization.settings.callbackURL)
            return OAuthRoutes.redirectToMicrosoft(microsoft, browser: access.authorization.sessions)
        } catch {
            context.logger.error("starting sign-in failed", metadata: ["gg.error": "\(type(of: error))"])
            return WebPage.message(
                title: "Sign-in is unavailable", message: "graphgate could not start the Microsoft sign-in.",
                hint: "Try again in a moment. If it keeps happening, tell your graphgate administrator.",
                status: .serviceUnavailable)
        }
    }

    /// The scopes of a `scope` value when every one is a known write scope (canonical spelling), else nil.
    static func writeScopes(_ text: String) -> [String]? {
        let known = Dictionary(uniqueKeysWithValues: MicrosoftScopes.write.map { ($0.lowercased(), $0) })
        let requested = MicrosoftScopes.parse(text.replacingOccurrences(of: "+", with: " "))
        guard !requested.isEmpty else { return nil }
        var scopes: [String] = []
        for scope in requested {
            guard let canonical = known[scope.lowercased()] else { return nil }
            scopes.append(canonical)
        }
        return scopes
    }

    /// The answer at `/oauth/callback` after a `web:` sign-in finished (the browser session is already open): a
    /// plain sign-in is sent on to `/account` (or `/admin` when it started there) with a 303; an incremental
    /// consent gets a page saying what was granted.
    static func finished(
        continuation: String, completed: CompletedSignIn, headers: HTTPFields, audit: any AuditRecorder,
        sourceIP: String?
    ) async -> Response {
        let kind = continuation.dropFirst(continuationPrefix.count)
        let requested: [String] =
            if kind.hasPrefix(consentKind + ":") {
                writeScopes(String(kind.dropFirst(consentKind.count + 1))) ?? []
            } else {
                []
            }
        let granted = completed.account.scopes
        let missing = MicrosoftScopes.missing(requested, granted: granted)
        let given = requested.filter { !missing.contains($0) }
        if !requested.isEmpty {
            await audit.record(
                AuditEvent(
                    "consent.microsoft", outcome: missing.isEmpty ? .success : .failure, userId: completed.user.id,
                    sourceIP: sourceIP,
                    details: ["granted": given.joined(separator: " "), "missing": missing.joined(separator: " ")]))
        }
        if requested.isEmpty {
            // A plain sign-in lands on the account page (the cookie is set on this redirect).
            let page = kind == adminSignInKind ? "/admin" : "/account"
            var response = WebPage.redirect(page, status: .seeOther)
            for field in headers { response.headers.append(field) }
            return response
        }
        let title: String
        let message: String
        if missing.isEmpty {
            title = "Permission granted"
            message = given.joined(separator: ", ") + " granted."
        } else {
            title = "Permission not granted"
            message = "Microsoft did not grant " + missing.joined(separator: ", ") + "."
        }
        let hint =
            missing.isEmpty
            ? "Return to your assistant and retry." : "Ask your Microsoft 365 administrator, then try the link again."
        var response = WebPage.message(title: title, message: message, hint: hint, status: .ok)
        for field in headers { response.headers.append(field) }
        return response
    }
}
