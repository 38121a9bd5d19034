import Authorization
import Foundation
import GraphGateWeb
import HTTPTypes
import Hummingbird
import JSONText
import SecurityOps
import Storage
import TokenVault

/// Our authorization server's HTTP endpoints:
///
/// - `POST /oauth/register` (RFC 7591), `POST /oauth/token`, `POST /oauth/revoke` (RFC 7009): JSON answers in
///   RFC 6749 form, `Cache-Control: no-store`, CORS without credentials.
/// - `GET /oauth/authorize` → (no browser session) Microsoft sign-in → `GET /oauth/callback` → consent page
///   `GET /oauth/consent` → `POST /oauth/consent` (CSRF-checked) → the client's exact redirect URI.
/// - `POST /oauth/signout` (CSRF-checked) ends the browser session.
struct OAuthRoutes {
    let access: MCPAccess

    var authorization: AuthorizationServer { access.authorization }
    var browser: BrowserSessions { access.authorization.sessions }

    func add(to router: Router<GraphGateRequestContext>) {
        router.post("oauth/register") { request, context in try await register(request, context) }
        router.post("oauth/token") { request, context in try await token(request, context) }
        router.post("oauth/revoke") { request, context in try await revoke(request, context) }
        for path in ["oauth/register", "oauth/token", "oauth/revoke"] {
            router.on(RouterPath(path), method: .options) { _, _ in CORS.preflight() }
        }
        router.get("oauth/authorize") { request, context in try await authorize(request, context) }
        router.get("oauth/callback") { request, context in try await callback(request, context) }
        router.get("oauth/consent") { request, context in try await consentPage(request, context) }
        router.post("oauth/consent") { request, context in try await consentDecision(request, context) }
        router.post("oauth/signout") { request, context in try await signOut(request, context) }
    }

    // MARK: JSON endpoints

    func register(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: 16 * 1024)
        } catch {
            return Self.oauthError(.invalidClientMetadata("the registration request is larger than 16 KiB"))
        }
        do {
            let response = try await authorization.register(body: Data(buffer: body), sourceIP: context.sourceIP)
            return Self.json(response, status: .created)
        } catch {
            return Self.oauthError(error)
        }
    }

    /// The parameters that have a value: OAuth treats one sent empty as omitted (RFC 6749 §3.1), so `scope=` or
    /// `client_secret=` from a public client changes nothing.
    static func present(_ parameters: [(name: String, value: String)]) -> [(name: String, value: String)] {
        parameters.filter { !$0.value.isEmpty }
    }

    /// A client that signs its token requests (`private_key_jwt`, RFC 7523) may leave out `client_id` (RFC 7521
    /// §4.2); the assertion's `sub` names it then. graphgate serves such clients as public clients (the assertion is
    /// not verified), so the name counts exactly as a public client's `client_id` does: claimed, and bound by the
    /// code's PKCE verifier and redirect URI.
    static func assertedClientId(_ form: [(name: String, value: String)]) -> [(name: String, value: String)] {
        func value(_ name: String) -> String? { FormParameters.first(name, in: form) }
        guard value("client_id") == nil,
            value("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            let assertion = value("client_assertion"), assertion.utf8.count <= 8192
        else { return form }
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(String(parts[1])),
            let claims = try? JSONSerialization.jsonObject(with: payload) as? [String: Any],
            let subject = claims["sub"] as? String, !subject.isEmpty
        else { return form }
        return form + [(name: "client_id", value: subject)]
    }

    func token(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        let form: [(name: String, value: String)]
        do {
            guard let parsed = try await FormParameters.body(of: request, limit: FormParameters.bodyLimit) else {
                return Self.oauthError(.invalidRequest("the form body is not valid"))
            }
            form = Self.assertedClientId(Self.present(parsed))
        } catch {
            return Self.oauthError(
                .invalidRequest("send the token request as an application/x-www-form-urlencoded body"))
        }
        do {
            let response = try await authorization.token(
                form, sourceIP: context.sourceIP, authorizationHeader: request.headers[.authorization])
            return Self.json(response, status: .ok)
        } catch {
            return Self.oauthError(error)
        }
    }

    func revoke(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        guard let form = try? await FormParameters.body(of: request, limit: FormParameters.bodyLimit) else {
            return Self.oauthError(.invalidRequest("send the revocation as an application/x-www-form-urlencoded body"))
        }
        do {
            try await authorization.revokeToken(
                Self.present(form), authorizationHeader: request.headers[.authorization], sourceIP: context.sourceIP)
        } catch {
            return Self.oauthError(error)
        }
        var headers: HTTPFields = [.cacheControl: "no-store"]
        CORS.allow(&headers)
        return Response(status: .ok, headers: headers)
    }

    // MARK: Browser flow

    func authorize(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        guard let parameters = FormParameters.query(of: request).map(Self.present) else {
            return WebPage.message(
                title: "Invalid request", message: "The sign-in link is malformed.", status: .badRequest)
        }
        let validated: AuthorizeRequest
        switch await authorization.validateAuthorize(parameters, sourceIP: context.sourceIP) {
        case .errorPage(let error):
            return Self.errorPage(error)
        case .redirect(let location):
            return WebPage.redirect(location, status: .found)
        case .valid(let valid):
            validated = valid
        }
        do {
            let cookie = request.cookies[browser.cookieName]?.value
            if !validated.prompt.contains("login"), let session = try await browser.resolve(cookie),
                try await access.users.activeBlock(subject: Block.userSubject(session.userId)) == nil
            {
                let handle = try await authorization.beginAuthorization(validated, userId: session.userId)
                let step = try await authorization.continueAuthorization(
                    pendingHandle: handle, userId: session.userId, forceConsent: validated.prompt.contains("consent"),
                    sourceIP: context.sourceIP)
                return Self.response(for: step, headers: [:])
            }
            let handle = try await authorization.beginAuthorization(validated, userId: nil)
            let loginHint = FormParameters.first("login_hint", in: parameters).flatMap {
                $0.count <= 256 ? $0 : nil
            }
            let microsoft = try await access.signIn.beginSignIn(
                continuation: AuthorizationServer.signInContinuation(pendingHandle: handle), loginHint: loginHint,
                additionalScopes: [],
                redirectURI: authorization.settings.callbackURL)
            return Self.redirectToMicrosoft(microsoft, browser: browser)
        } catch let error as AuthorizationError {
            return Self.errorPage(error)
        } catch {
            context.logger.error("starting sign-in failed", metadata: ["gg.error": "\(type(of: error))"])
            return WebPage.message(
                title: "Sign-in is unavailable", message: "graphgate could not start the Microsoft sign-in.",
                hint: "Try again in a moment. If it keeps happening, tell your graphgate administrator.",
                status: .serviceUnavailable)
        }
    }

    func callback(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        let parameters = FormParameters.query(of: request) ?? []
        func value(_ name: String) -> String? { FormParameters.first(name, in: parameters) }
        guard let state = value("state"), !state.isEmpty else {
            await access.audit.record(
                AuditEvent("login", outcome: .failure, sourceIP: context.sourceIP, details: ["reason": "no_state"]))
            return WebPage.message(
                title: "Sign-in did not complete", message: "The answer from Microsoft is missing its state.",
                hint: "Start again from your application.", status: .badRequest)
        }
        guard request.cookies[browser.signInCookieName(state: state)] != nil else {
            // Not started in this browser: someone else's sign-in (login CSRF), or cookies are blocked.
            await access.audit.record(
                AuditEvent(
                    "login", outcome: .denied, sourceIP: context.sourceIP,
                    details: ["reason": "state_not_bound_to_browser"]))
            return WebPage.message(
                title: "Sign-in did not complete",
                message: "This sign-in was not started in this browser, so graphgate will not finish it here.",
                hint: "Start again from your application in this browser, with cookies allowed for this site.",
                status: .badRequest)
        }
        let completed: CompletedSignIn
        do {
            completed = try await access.signIn.completeSignIn(
                state: state, code: value("code"), error: value("error"),
                errorDescription: value("error_description"), redirectURI: authorization.settings.callbackURL)
        } catch {
            // The vault audits the details; its errors' descriptions carry no secrets.
            await access.audit.record(
                AuditEvent(
                    "login", outcome: .failure, sourceIP: context.sourceIP,
                    details: ["reason": String(describing: type(of: error))]))
            return WebPage.message(
                title: "Sign-in did not complete", message: "\(error)",
                hint: "Start again from your application.", status: .badRequest)
        }
        let user = completed.user
        do {
            if try await access.users.activeBlock(subject: Block.userSubject(user.id)) != nil {
                await access.audit.record(
                    AuditEvent(
                        "login", outcome: .denied, userId: user.id, sourceIP: context.sourceIP,
                        details: ["reason": "blocked"]))
                return WebPage.message(
                    title: "Access blocked",
                    message: "Your account is blocked by the graphgate administrator.",
                    hint: "Contact them to restore access.", status: .forbidden)
            }
            let previous = request.cookies[browser.cookieName]?.value
            let cookie = try await browser.open(userId: user.id, replacing: previous)
            await access.audit.record(AuditEvent("login.success", userId: user.id, sourceIP: context.sourceIP))
            var headers = HTTPFields()
            headers.append(HTTPField(name: .setCookie, value: browser.setCookie(cookie)))
            headers.append(HTTPField(name: .setCookie, value: browser.clearSignInCookie(state: state)))
            if completed.continuation.hasPrefix(AccountRoutes.continuationPrefix) {
                return await AccountRoutes.finished(
                    continuation: completed.continuation, completed: completed, headers: headers, audit: access.audit,
                    sourceIP: context.sourceIP)
            }
            let step = try await authorization.continueAuthorization(
                signInContinuation: completed.continuation, userId: user.id, sourceIP: context.sourceIP)
            return Self.response(for: step, headers: headers)
        } catch let error as AuthorizationError {
            return Self.errorPage(error)
        } catch {
            return WebPage.message(
                title: "Sign-in is unavailable", message: "graphgate could not finish the sign-in.",
                hint: "Try again in a moment.", status: .serviceUnavailable)
        }
    }

    func consentPage(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        let parameters = FormParameters.query(of: request) ?? []
        guard let handle = FormParameters.first("request", in: parameters), !handle.isEmpty else {
            return WebPage.message(
                title: "Nothing to approve", message: "This page needs an approval request.",
                hint: "Start again from your application.", status: .badRequest)
        }
        do {
            let cookie = request.cookies[browser.cookieName]?.value
            guard let cookie, let session = try await browser.resolve(cookie) else {
                return Self.sessionExpiredPage()
            }
            let consent = try await authorization.consentContext(pendingHandle: handle, userId: session.userId)
            let user = try await access.users.user(id: session.userId)
            return WebPage.consent(
                WebPage.Consent(
                    clientName: consent.client.clientName, redirectHost: consent.redirectHost,
                    displayName: user?.displayName ?? "you", username: user?.username ?? "",
                    capabilities: consent.capabilities, unverified: consent.client.kind == .dynamic,
                    documentHost: consent.client.kind == .metadataDocument
                        ? URLComponents(string: consent.client.clientId)?.host : nil,
                    loopbackOnly: consent.client.redirectURIs.allSatisfy(RedirectURIPolicy.isLoopbackRedirect),
                    request: handle,
                    csrf: BrowserSessions.csrfToken(session: cookie, purpose: "consent:" + handle),
                    signoutCSRF: BrowserSessions.csrfToken(session: cookie, purpose: "signout")))
        } catch let error as AuthorizationError {
            return Self.errorPage(error)
        } catch {
            return WebPage.message(
                title: "Unavailable", message: "graphgate could not load this page.", hint: "Try again in a moment.",
                status: .serviceUnavailable)
        }
    }

    func consentDecision(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        let form: [(name: String, value: String)]
        do {
            guard let parsed = try await FormParameters.body(of: request, limit: FormParameters.bodyLimit) else {
                return WebPage.message(
                    title: "Invalid form", message: "The form could not be read.", status: .badRequest)
            }
            form = parsed
        } catch {
            return WebPage.message(title: "Invalid form", message: "The form could not be read.", status: .badRequest)
        }
        func value(_ name: String) -> String? { FormParameters.first(name, in: form) }
        guard let handle = value("request"), !handle.isEmpty else {
            return WebPage.message(
                title: "Invalid form", message: "The approval request is missing.", status: .badRequest)
        }
        do {
            let cookie = request.cookies[browser.cookieName]?.value
            guard let cookie, let session = try await browser.resolve(cookie) else {
                return Self.sessionExpiredPage()
            }
            guard BrowserSessions.verifyCSRF(value("csrf"), session: cookie, purpose: "consent:" + handle) else {
                await access.audit.record(
                    AuditEvent(
                        "oauth.consent", outcome: .denied, userId: session.userId, sourceIP: context.sourceIP,
                        details: ["reason": value("csrf") == nil ? "csrf_missing" : "csrf_mismatch"]))
                return WebPage.message(
                    title: "Request refused",
                    message:
                        "This approval did not come from graphgate's own page (its security token is missing or wrong).",
                    hint: "Nothing was approved. Start again from your application.", status: .forbidden)
            }
            let allow: Bool
            switch value("decision") {
            case "allow": allow = true
            case "deny": allow = false
            default:
                return WebPage.message(
                    title: "Invalid form", message: "Choose Allow or Deny.", status: .badRequest)
            }
            let location = try await authorization.decide(
                pendingHandle: handle, userId: session.userId, allow: allow,
                remember: allow && value("remember") == "1",
                sourceIP: context.sourceIP)
            return WebPage.redirect(location, status: .seeOther)
        } catch {
            return Self.errorPage(error)
        }
    }

    func signOut(_ request: Request, _ context: GraphGateRequestContext) async throws -> Response {
        let form = ((try? await FormParameters.body(of: request, limit: FormParameters.bodyLimit)) ?? nil) ?? []
        let cookie = request.cookies[browser.cookieName]?.value
        guard let cookie, let session = try? await browser.resolve(cookie) else {
            var headers = HTTPFields()
            headers[.setCookie] = browser.clearCookie()
            return WebPage.html(Self.signedOutBody(), status: .ok, headers: headers)
        }
        guard BrowserSessions.verifyCSRF(FormParameters.first("csrf", in: form), session: cookie, purpose: "signout")
        else {
            await access.audit.record(
                AuditEvent(
                    "logout", outcome: .denied, userId: session.userId, sourceIP: context.sourceIP,
                    details: ["reason": "csrf"]))
            return WebPage.message(
                title: "Request refused", message: "The sign-out did not come from graphgate's own page.",
                status: .forbidden)
        }
        try? await browser.close(cookie)
        await access.audit.record(AuditEvent("logout", userId: session.userId, sourceIP: context.sourceIP))
        var headers = HTTPFields()
        headers[.setCookie] = browser.clearCookie()
        return WebPage.html(Self.signedOutBody(), status: .ok, headers: headers)
    }

    // MARK: Responses

    static func response(for step: AuthorizationStep, headers: HTTPFields) -> Response {
        switch step {
        case .consent(let handle):
            var response = WebPage.redirect(
                "/oauth/consent?request=" + (handle.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                status: .seeOther)
            for field in headers { response.headers.append(field) }
            return response
        case .redirect(let location):
            var response = WebPage.redirect(location, status: .seeOther)
            for field in headers { response.headers.append(field) }
            return response
        }
    }

    /// The redirect to Microsoft's sign-in, binding its `state` to this browser with a cookie that the callback
    /// requires (login CSRF).
    static func redirectToMicrosoft(_ url: URL, browser: BrowserSessions) -> Response {
        var response = WebPage.redirect(url.absoluteString, status: .found)
        if let state = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems?
            .first(where: { $0.name == "state" })?.value
        {
            response.headers[.setCookie] = browser.signInCookie(state: state)
        }
        return response
    }

    static func errorPage(_ error: AuthorizationError) -> Response {
        let status: HTTPResponse.Status =
            switch error.status {
            case 503: .serviceUnavailable
            case 500: .internalServerError
            default: .badRequest
            }
        return WebPage.message(
            title: "This sign-in cannot continue", message: error.message + ".",
            hint: "Error: \(error.code). Nothing was shared with the application.", status: status)
    }

    static func sessionExpiredPage() -> Response {
        WebPage.message(
            title: "Your graphgate sign-in expired",
            message: "Your sign-in with graphgate is no longer active, so nothing can be approved here.",
            hint: "Start again from your application.", status: .unauthorized)
    }

    static func signedOutBody() -> String {
        WebPage.messageTemplate.render(
            [
                "title": "Signed out", "style": WebPage.style,
                "message": "You are signed out of graphgate in this browser.",
                "hint": "Applications you allowed keep their access until you remove it or it expires.",
            ] as [String: Any])
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers: HTTPFields = [
            .contentType: "application/json", .cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache",
        ]
        CORS.allow(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An RFC 6749 §5.2 error body. `error_description` is our fixed text, never request data.
    static func oauthError(_ error: AuthorizationError) -> Response {
        let status = HTTPResponse.Status(code: error.status)
        var response = json(["error": error.code, "error_description": error.message], status: status)
        if error.status == 401 { response.headers[.wwwAuthenticate] = "Basic realm=\"graphgate\"" }
        return response
    }
}
