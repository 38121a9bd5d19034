import Foundation
import Hummingbird

/// The identity platform v2.0 endpoints: discovery, keys, authorize, sign-in/consent pages, token, device code.
struct IdentityRoutes: Sendable {
    let core: TenantCore
    static let sessionCookie = "ESTSAUTH"

    private var state: TenantState { core.state }

    /// Whether a `{tenant}` path segment names this tenant.
    static func knownTenant(_ t: String) -> Bool {
        let l = t.lowercased()
        return l == SandboxConfiguration.tenantId || l == "common" || l == "organizations"
            || l == SandboxConfiguration.domain
    }

    // MARK: Discovery

    func openIDConfiguration(tenant: String) -> Response {
        let base = "\(core.baseURL)/\(tenant)"
        let specific =
            tenant.lowercased() == SandboxConfiguration.tenantId || tenant.lowercased() == SandboxConfiguration.domain
        let issuer = specific ? core.issuer() : "\(core.baseURL)/{tenantid}/v2.0"
        return HTTPReply.json(
            200,
            .object([
                ("token_endpoint", .string("\(base)/oauth2/v2.0/token")),
                (
                    "token_endpoint_auth_methods_supported",
                    .array(["client_secret_post", "private_key_jwt", "client_secret_basic"])
                ),
                ("jwks_uri", .string("\(base)/discovery/v2.0/keys")),
                ("response_modes_supported", .array(["query", "fragment", "form_post"])),
                ("subject_types_supported", .array(["pairwise"])),
                ("id_token_signing_alg_values_supported", .array(["RS256"])),
                ("response_types_supported", .array(["code", "id_token", "code id_token", "id_token token"])),
                ("scopes_supported", .array(["openid", "profile", "email", "offline_access"])),
                ("issuer", .string(issuer)),
                ("request_uri_parameter_supported", false),
                ("userinfo_endpoint", .string("\(core.baseURL)/oidc/userinfo")),
                ("authorization_endpoint", .string("\(base)/oauth2/v2.0/authorize")),
                ("device_authorization_endpoint", .string("\(base)/oauth2/v2.0/devicecode")),
                ("http_logout_supported", true),
                ("frontchannel_logout_supported", true),
                ("end_session_endpoint", .string("\(base)/oauth2/v2.0/logout")),
                (
                    "claims_supported",
                    .array([
                        "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                        "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name",
                        "tid",
                        "ver", "at_hash", "c_hash", "email",
                    ])
                ),
                ("code_challenge_methods_supported", .array(["plain", "S256"])),
                ("tenant_region_scope", "NA"),
                ("cloud_instance_name", "microsoftonline.com"),
                ("cloud_graph_host_name", "graph.windows.net"),
                ("msgraph_host", .string(core.baseURL.replacingOccurrences(of: "http://", with: ""))),
                ("rbac_url", "https://pas.windows.net"),
            ]))
    }

    func keys() -> Response { HTTPReply.json(200, core.signer.jwks(issuer: core.issuer())) }

    /// MSAL's instance discovery document, so clients that do not skip discovery still work offline.
    func instanceDiscovery(query: [String: String]) -> Response {
        let host = core.baseURL.replacingOccurrences(of: "http://", with: "")
        return HTTPReply.json(
            200,
            .object([
                (
                    "tenant_discovery_endpoint",
                    .string("\(core.baseURL)/\(SandboxConfiguration.tenantId)/v2.0/.well-known/openid-configuration")
                ),
                ("api-version", "1.1"),
                (
                    "metadata",
                    .array([
                        .object([
                            ("preferred_network", .string(host)), ("preferred_cache", .string(host)),
                            ("aliases", .array([.string(host)])),
                        ])
                    ])
                ),
            ]))
    }

    // MARK: Authorize

    func authorize(_ request: Request, tenant: String, form: [String: String]) -> Response {
        var q = request.queryItems
        for (k, v) in form { q[k] = v }
        guard let clientId = q["client_id"], !clientId.isEmpty else {
            return errorPage(.missingParameter("client_id"))
        }
        guard let client = RegisteredClient.find(clientId, core.configuration) else {
            return errorPage(.unknownClient(clientId))
        }
        guard let redirectURI = q["redirect_uri"], client.accepts(redirectURI: redirectURI) else {
            return errorPage(.redirectMismatch(q["redirect_uri"] ?? ""))
        }
        let mode = q["response_mode"] ?? "query"
        let stateParam = q["state"]
        func fail(_ error: String, _ description: String) -> Response {
            var fields = [("error", error), ("error_description", description)]
            if let stateParam { fields.append(("state", stateParam)) }
            return deliver(redirectURI: redirectURI, mode: mode, fields: fields)
        }
        guard q["response_type"] == "code" else {
            return fail(
                "unsupported_response_type",
                "AADSTS700054: response_type '\(q["response_type"] ?? "")' is not enabled for the application.")
        }
        let scopes: Set<String>
        switch Scopes.parse(q["scope"] ?? "") {
        case .success(let s) where !s.isEmpty: scopes = s
        case .success:
            return fail(
                "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'.")
        case .failure(let e):
            return fail(
                "invalid_scope",
                "AADSTS70011: The provided value for the input parameter 'scope' ('\(e.scope)') is not valid.")
        }
        if let method = q["code_challenge_method"], method != "S256", method != "plain" {
            return fail("invalid_request", "AADSTS501491: Invalid size of Code_Challenge parameter.")
        }
        if q["code_challenge"] != nil, let c = q["code_challenge"], c.count < 43 || c.count > 128 {
            return fail("invalid_request", "AADSTS501491: Invalid size of Code_Challenge parameter.")
        }
        let prompt = q["prompt"]?.lowercased()
        let returnTo = "/\(tenant)/oauth2/v2.0/authorize?" + WireFormat.encodeForm(q.sorted { $0.key < $1.key })
        let sessionUser = request.cookieValues[Self.sessionCookie].flatMap { c in state.withData { $0.sessions[c] } }
        if sessionUser == nil || prompt == "login" || prompt == "select_account" {
            if prompt == "none" {
                return fail(
                    "login_required", "AADSTS50058: A silent sign-in request was sent but no user is signed in.")
            }
            let users = state.withData { $0.directory.users }
            return HTTPReply.html(
                200, LoginPages.signIn(tenant: tenant, users: users, hint: q["login_hint"], returnTo: returnTo))
        }
        let userIndex = sessionUser!
        let consented = state.withData { $0.consented(userIndex, client.id) }
        let needed = Scopes.consentable(scopes)
        if !needed.isSubset(of: consented) || prompt == "consent" {
            if prompt == "none" {
                return fail(
                    "consent_required",
                    "AADSTS65001: The user or administrator has not consented to use the application with ID '\(client.id)' named '\(client.name)'."
                )
            }
            guard let user = state.withData({ $0.directory.user(index: userIndex) }) else {
                return errorPage(.invalidRequest("Unknown user."))
            }
            return HTTPReply.html(
                200,
                LoginPages.consent(
                    tenant: tenant, clientName: client.name, user: user, scopes: scopes.sorted(), returnTo: returnTo))
        }
        let code = "1.A" + Secrets.random(bytes: 48)
        let record = AuthorizationCodeRecord(
            userIndex: userIndex, clientId: client.id, redirectURI: redirectURI, scopes: scopes, nonce: q["nonce"],
            codeChallenge: q["code_challenge"],
            codeChallengeMethod: q["code_challenge"] == nil ? nil : (q["code_challenge_method"] ?? "plain"),
            expiresAt: Date().addingTimeInterval(Double(core.configuration.authorizationCodeLifetime)))
        state.withData { $0.codes[code] = record }
        var fields = [("code", code)]
        if let stateParam { fields.append(("state", stateParam)) }
        fields.append(("session_state", Secrets.guid()))
        return deliver(redirectURI: redirectURI, mode: mode, fields: fields)
    }

    private func deliver(redirectURI: String, mode: String, fields: [(String, String)]) -> Response {
        switch mode {
        case "form_post": return HTTPReply.html(200, LoginPages.formPost(action: redirectURI, fields: fields))
        case "fragment": return HTTPReply.redirect(redirectURI + "#" + WireFormat.encodeForm(fields))
        default:
            let sep = redirectURI.contains("?") ? "&" : "?"
            return HTTPReply.redirect(redirectURI + sep + WireFormat.encodeForm(fields))
        }
    }

    private func errorPage(_ e: IdentityError) -> Response {
        HTTPReply.html(
            e.status,
            LoginPages.message("Sorry, but we're having trouble signing you in.", "AADSTS\(e.code): \(e.message)"))
    }

    /// Only relative authorize/devicelogin URLs may be returned to (no open redirect).
    private func safeReturn(_ s: String?) -> String? {
        guard let s, s.hasPrefix("/"), !s.hasPrefix("//"),
            s.contains("/oauth2/v2.0/authorize?") || s.hasPrefix("/devicelogin")
        else { return nil }
        return s
    }

    private func dropping(_ names: Set<String>, from returnTo: String, onlyIf values: Set<String>) -> String {
        guard let q = returnTo.firstIndex(of: "?") else { return returnTo }
        let params = WireFormat.form(String(returnTo[returnTo.index(after: q)...]))
            .filter { !(names.contains($0.key) && values.contains($0.value.lowercased())) }
        return String(returnTo[..<q]) + "?" + WireFormat.encodeForm(params.sorted { $0.key < $1.key })
    }

    /// Account picker submission: remember the user in a session cookie and go back.
    func selectAccount(form: [String: String]) -> Response {
        guard let returnTo = safeReturn(form["return_to"]), let oid = form["user"],
            let user = state.withData({ $0.directory.user(id: oid) })
        else { return HTTPReply.html(400, LoginPages.message("Bad request", "Unknown account or return address.")) }
        let cookie = Secrets.random(bytes: 32)
        state.withData { $0.sessions[cookie] = user.index }
        var h = HTTPFields()
        h[.setCookie] = "\(Self.sessionCookie)=\(cookie); path=/; HttpOnly; SameSite=Lax"
        return HTTPReply.redirect(
            dropping(["prompt"], from: returnTo, onlyIf: ["login", "select_account"]), headers: h)
    }

    /// Consent submission: record the grant (or send access_denied) and go back.
    func consent(_ request: Request, form: [String: String]) -> Response {
        guard let returnTo = safeReturn(form["return_to"]), let q = returnTo.split(separator: "?", maxSplits: 1).last
        else { return HTTPReply.html(400, LoginPages.message("Bad request", "Missing return address.")) }
        let params = WireFormat.form(String(q))
        guard
            let userIndex = request.cookieValues[Self.sessionCookie].flatMap({ c in state.withData { $0.sessions[c] } }
            ),
            let client = params["client_id"].flatMap({ RegisteredClient.find($0, core.configuration) }),
            let redirectURI = params["redirect_uri"], client.accepts(redirectURI: redirectURI),
            case .success(let scopes) = Scopes.parse(params["scope"] ?? "")
        else { return HTTPReply.html(400, LoginPages.message("Bad request", "No signed-in session.")) }
        if form["decision"] != "accept" {
            var fields = [
                ("error", "access_denied"),
                ("error_description", "AADSTS65004: User declined to consent to access the app."),
            ]
            if let s = params["state"] { fields.append(("state", s)) }
            return deliver(redirectURI: redirectURI, mode: params["response_mode"] ?? "query", fields: fields)
        }
        state.withData { d in
            d.consents[TenantData.consentKey(userIndex, client.id), default: []].formUnion(Scopes.consentable(scopes))
        }
        return HTTPReply.redirect(dropping(["prompt"], from: returnTo, onlyIf: ["consent"]))
    }

    func logout(_ request: Request) -> Response {
        if let c = request.cookieValues[Self.sessionCookie] {
            state.withData { _ = $0.sessions.removeValue(forKey: c) }
        }
        var h = HTTPFields()
        h[.setCookie] = "\(Self.sessionCookie)=; path=/; Max-Age=0"
        if let uri = request.queryItems["post_logout_redirect_uri"],
            uri.hasPrefix("http://127.0.0.1") || uri.hasPrefix("http://localhost")
        {
            return HTTPReply.redirect(uri, headers: h)
        }
        return HTTPReply.html(200, LoginPages.message("Signed out", "You have signed out of your account."), headers: h)
    }
}
