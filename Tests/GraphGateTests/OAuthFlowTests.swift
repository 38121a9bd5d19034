import Authorization
import Foundation
import JSONText
import Storage
import Testing

/// graphgate's OAuth authorization server, exercised over HTTP against the real app and the emulated tenant.
@Suite("OAuth authorization server")
struct OAuthFlowTests {
    static func withServer<R: Sendable>(
        backend: Database.Backend = .sqlite, environment: [String: String] = [:],
        _ body: @escaping @Sendable (TestApp, OAuthBrowser) async throws -> R
    ) async throws -> R {
        let environment = ["GRAPHGATE_TRUSTED_PROXIES": "127.0.0.1"].merging(environment) { _, new in new }
        return try await TestApp.with(environment: environment, backend: backend) { server in
            let browser = OAuthBrowser(server)
            do {
                let result = try await body(server, browser)
                await browser.shutdown()
                return result
            } catch {
                await browser.shutdown()
                throw error
            }
        }
    }

    @Test("metadata: issuer identical in RFC 9728 and RFC 8414, S256 only, iss parameter, endpoints")
    func metadata() async throws {
        try await Self.withServer { server, browser in
            let prm = try await browser.get(server.url("/.well-known/oauth-protected-resource/mcp"))
            let prmRoot = try await browser.get(server.url("/.well-known/oauth-protected-resource"))
            let asm = try await browser.get(server.url("/.well-known/oauth-authorization-server"))
            #expect(prm.status == 200 && asm.status == 200 && prmRoot.body == prm.body)
            let resource = try #require(try JSONSerialization.jsonObject(with: Data(prm.body.utf8)) as? [String: Any])
            let auth = try #require(try JSONSerialization.jsonObject(with: Data(asm.body.utf8)) as? [String: Any])
            #expect(resource["resource"] as? String == server.baseURL + "/mcp")
            #expect((resource["authorization_servers"] as? [String]) == [server.baseURL])
            #expect(auth["issuer"] as? String == server.baseURL)
            #expect((auth["code_challenge_methods_supported"] as? [String]) == ["S256"])
            #expect(auth["authorization_response_iss_parameter_supported"] as? Bool == true)
            #expect(auth["registration_endpoint"] as? String == server.baseURL + "/oauth/register")
            #expect(auth["revocation_endpoint"] as? String == server.baseURL + "/oauth/revoke")
            #expect(
                (auth["token_endpoint_auth_methods_supported"] as? [String])
                    == ["none", "client_secret_post", "client_secret_basic"])
            #expect(auth["client_id_metadata_document_supported"] as? Bool == true)
        }
    }

    @Test(
        "full flow on each backend: consent page, code with state and iss, tokens stored only as hashes",
        arguments: TestDatabases.backends)
    func fullFlow(backend: Database.Backend) async throws {
        try await Self.withServer(backend: backend) { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let (verifier, challenge) = OAuthTestClient.pkce()
            let state = "a+b c&d=e/é"
            let consent = try await client.signIn(client.authorizeURL(challenge: challenge, state: state), userIndex: 0)
            #expect(consent.status == 200)
            #expect(consent.body.contains("Test Client"))
            #expect(consent.body.contains("127.0.0.1:33418"))
            #expect(consent.body.contains("name=\"decision\" value=\"allow\""))
            #expect(consent.headers.first(name: "content-security-policy")?.contains("frame-ancestors 'none'") == true)
            #expect(consent.headers.first(name: "x-frame-options") == "DENY")
            #expect(consent.headers.first(name: "x-content-type-options") == "nosniff")
            #expect(consent.headers.first(name: "referrer-policy") == "no-referrer")
            // The browser session cookie: HttpOnly, SameSite=Lax (no Secure on loopback http).
            let cookie = try #require(browser.cookies(for: server.baseURL)["gg_session"])
            #expect(cookie.hasPrefix("ggs_"))

            let redirect = try await client.decide(consent)
            #expect(redirect.status == 303)
            let location = try #require(redirect.location)
            #expect(location.hasPrefix(OAuthTestClient.redirectURI + "?"))
            let query = OAuthBrowser.query(location)
            #expect(query["state"] == state)
            #expect(query["iss"] == server.baseURL)
            let code = try #require(query["code"])

            let answer = try await client.exchange(code: code, verifier: verifier)
            #expect(answer.status == 200)
            #expect(answer.page.headers.first(name: "cache-control") == "no-store")
            let access = try #require(answer.json["access_token"] as? String)
            let refresh = try #require(answer.json["refresh_token"] as? String)
            #expect(answer.json["token_type"] as? String == "Bearer")
            #expect((answer.json["expires_in"] as? Int).map { $0 > 0 && $0 <= 3600 } == true)

            // Nothing secret is stored in plaintext: scan every OAuth table for the raw values.
            let leaked = try await MCPHTTPTests.withStore(server) { database in
                try await database.read { db in
                    var found: [String] = []
                    for table in ["oauth_codes", "oauth_tokens", "oauth_pending_authorizations", "browser_sessions"] {
                        let rows = try await db.raw("SELECT * FROM \(unsafeRaw: table)").all()
                        for row in rows {
                            for column in row.allColumns {
                                let text = (try? row.decode(column: column, as: String?.self)) ?? nil
                                if let text, [code, access, refresh, cookie].contains(where: { text.contains($0) }) {
                                    found.append("\(table).\(column)")
                                }
                            }
                        }
                    }
                    return found
                }
            }
            #expect(leaked.isEmpty)
        }
    }

    @Test("PKCE: missing challenge and plain method are refused; verifier mismatch and missing verifier fail")
    func pkce() async throws {
        try await Self.withServer { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let (_, challenge) = OAuthTestClient.pkce()
            // Downgrades are refused on graphgate's error page (invalid_request), never redirected (the client
            // registered itself, so its redirect URI proves nothing: RFC 9700 §4.11.2) and never to a sign-in.
            for url in [
                client.authorizeURL(challenge: challenge, method: "plain"),
                client.authorizeURL(challenge: challenge, method: nil),
                client.authorizeURL(challenge: "short", method: "S256"),
            ] {
                let page = try await browser.get(url)
                #expect(page.status == 400 && page.location == nil)
                #expect(page.body.contains("invalid_request"))
            }
            var noChallenge = URLComponents(string: client.authorizeURL(challenge: challenge))!
            noChallenge.queryItems = noChallenge.queryItems?.filter { $0.name != "code_challenge" }
            let missing = try await browser.get(noChallenge.string!)
            #expect(missing.status == 400 && missing.location == nil && missing.body.contains("invalid_request"))

            // Verifier mismatch: refused, and the code is burnt (the right verifier afterwards fails too).
            let login = try await client.login(userIndex: 0)
            let wrong = try await client.exchange(code: login.code, verifier: OAuthTestClient.pkce().verifier)
            #expect(wrong.status == 400 && wrong.json["error"] as? String == "invalid_grant")
            #expect(!wrong.page.body.contains(login.code))
            let after = try await client.exchange(code: login.code, verifier: login.verifier)
            #expect(after.status == 400)

            let second = try await client.login(userIndex: 0)
            let noVerifier = try await client.exchange(code: second.code, verifier: nil)
            #expect(noVerifier.status == 400 && noVerifier.json["error"] as? String == "invalid_grant")
        }
    }

    @Test("a replayed code is refused and revokes the tokens it issued")
    func codeReplay() async throws {
        try await Self.withServer { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let login = try await client.login(userIndex: 0)
            let first = try await client.exchange(code: login.code, verifier: login.verifier)
            let access = try #require(first.json["access_token"] as? String)
            #expect(try await mcp.post(MCPTestClient.initialize, token: access).status == 200)

            let replay = try await client.exchange(code: login.code, verifier: login.verifier)
            #expect(replay.status == 400 && replay.json["error"] as? String == "invalid_grant")
            #expect(try await mcp.post(MCPTestClient.initialize, token: access).status == 401)
            let refresh = try #require(first.json["refresh_token"] as? String)
            let refreshed = try await client.token([
                ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client.clientId),
            ])
            #expect(refreshed.status == 400)
        }
    }

    @Test(
        "redirect_uri must match exactly (a loopback redirect's port aside); a mismatch is an error page, never a redirect"
    )
    func redirectURIVariants() async throws {
        try await Self.withServer { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let (_, challenge) = OAuthTestClient.pkce()
            let variants = [
                "http://127.0.0.1:33418/callback/", "http://127.0.0.1:33418/Callback",
                "HTTP://127.0.0.1:33418/callback",
                "http://127.0.0.1:33418/callback?x=1", "http://127.0.0.1:33419/callback?x=1",
                "http://localhost:33418/callback", "http://127.0.0.1:33419@evil.example/callback",
                "http://127.0.0.1:x/callback", "http://[::1]:33418/callback",
                "http://127.0.0.1:33418@evil.example/callback", "http://evil.example@127.0.0.1:33418/callback",
                "http://127.0.0.1:33418/callback#frag", "http://127.0.0.1:33418/callback/../callback",
                "http://127.0.0.1:33418/callback%2F", "https://127.0.0.1:33418/callback", "",
            ]
            for variant in variants {
                let page = try await browser.get(client.authorizeURL(challenge: challenge, redirectURI: variant))
                #expect(page.status == 400, "\(variant)")
                #expect(page.location == nil, "\(variant) must not be redirected to")
                #expect(page.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
                #expect(!page.body.contains("evil.example"))
            }
            // Unknown client: an error page as well.
            let unknown = try await browser.get(
                server.url(
                    "/oauth/authorize?response_type=code&client_id=nope&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback"
                ))
            #expect(unknown.status == 400 && unknown.location == nil)
            // The exact URI works (goes on to Microsoft's sign-in), and so does the same loopback URI on another
            // port (a native app listens where it can; OAuth 2.1 §2.3.1).
            for uri in [OAuthTestClient.redirectURI, "http://127.0.0.1:51234/callback", "http://127.0.0.1/callback"] {
                let exact = try await browser.get(client.authorizeURL(challenge: challenge, redirectURI: uri))
                #expect(exact.status == 302, "\(uri)")
                #expect(exact.location?.contains("/oauth2/v2.0/authorize") == true, "\(uri)")
            }
        }
    }

    @Test("registration refuses unsafe redirect URIs and oversized or malformed metadata")
    func registrationValidation() async throws {
        try await Self.withServer { server, browser in
            let bad = [
                "http://evil.example/cb", "https://good.example@evil.example/cb", "https://good.example/cb#x",
                "javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "/relative", "https:///nohost",
                "HTTPS://upper.example/cb", "https://sp ace.example/cb", "ms-msdt:/id", "search-ms:query=x",
                "microsoft-edge:https://evil.example", "x-safari-https://evil.example", "googlechrome://evil.example",
            ]
            for uri in bad {
                let page = try await browser.postJSON(
                    server.url("/oauth/register"), json: #"{"client_name":"x","redirect_uris":["\#(uri)"]}"#)
                #expect(page.status == 400, "\(uri)")
                #expect(page.body.contains("invalid_redirect_uri"), "\(uri)")
            }
            let good = [
                "https://claude.ai/api/mcp/auth_callback", "http://127.0.0.1:6274/cb", "http://[::1]:8080/cb",
                "http://localhost:3000/cb", "com.example.app:/oauth2redirect",
                "cursor://anysphere.cursor-mcp/oauth/callback",
            ]
            for uri in good {
                let page = try await browser.postJSON(
                    server.url("/oauth/register"), json: #"{"client_name":"x","redirect_uris":["\#(uri)"]}"#)
                #expect(page.status == 201, "\(uri): \(page.body)")
            }
            let notJSON = try await browser.postJSON(server.url("/oauth/register"), json: "nope")
            #expect(notJSON.status == 400 && notJSON.body.contains("invalid_client_metadata"))
            // Past 16 KiB the route refuses what it would read (on a socket the HTTP limits answer 413 before
            // that: `ServeTests.bodyLimitBeforeTheRouter`).
            let huge = try await browser.postJSON(
                server.url("/oauth/register"),
                json:
                    #"{"client_name":"\#(String(repeating: "x", count: 20_000))","redirect_uris":["https://a.example/cb"]}"#
            )
            #expect(huge.status == 400 && huge.body.contains("larger than 16 KiB"), "\(huge.status) \(huge.body)")
            let secret = try await browser.postJSON(
                server.url("/oauth/register"),
                json: #"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#)
            #expect(secret.status == 400)
        }
    }

    @Test("consent: CSRF token missing or wrong is refused and issues nothing; deny returns access_denied")
    func consentCSRF() async throws {
        try await Self.withServer { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let (_, challenge) = OAuthTestClient.pkce()
            let consent = try await client.signIn(client.authorizeURL(challenge: challenge, state: "s9"), userIndex: 0)
            let request = try #require(OAuthBrowser.hidden("request", in: consent.body))

            let missing = try await browser.post(
                server.url("/oauth/consent"), form: [("request", request), ("decision", "allow")])
            #expect(missing.status == 403 && missing.location == nil)
            let wrong = try await client.decide(consent, csrf: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            #expect(wrong.status == 403 && wrong.location == nil)
            // A CSRF token of another request (same session) does not fit this one.
            let other = try await client.signIn(client.authorizeURL(challenge: challenge, state: "s10"), userIndex: 0)
            let otherCSRF = try #require(OAuthBrowser.hidden("csrf", in: other.body))
            let crossed = try await client.decide(consent, csrf: otherCSRF)
            #expect(crossed.status == 403)
            // Without the session cookie (another browser), nothing can be approved.
            let stranger = OAuthBrowser(server)
            let foreign = try await stranger.post(
                server.url("/oauth/consent"),
                form: [
                    ("request", request), ("decision", "allow"),
                    ("csrf", OAuthBrowser.hidden("csrf", in: consent.body)!),
                ])
            await stranger.shutdown()
            #expect(foreign.status == 401 && foreign.location == nil)

            // The genuine form still works after the refusals; deny answers access_denied with state and iss.
            let denied = try await client.decide(consent, decision: "deny")
            let location = try #require(denied.location)
            let query = OAuthBrowser.query(location)
            #expect(query["error"] == "access_denied" && query["state"] == "s9" && query["iss"] == server.baseURL)
            #expect(query["code"] == nil)
            // The request was answered: it cannot be answered again.
            let again = try await client.decide(consent)
            #expect(again.status == 400 && again.location == nil)
        }
    }

    @Test("state: a tampered Microsoft state at the callback is refused with no session; client state echoed exactly")
    func stateTampering() async throws {
        try await Self.withServer { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let (_, challenge) = OAuthTestClient.pkce()
            let start = try await browser.get(client.authorizeURL(challenge: challenge))
            let microsoft = try #require(start.location)
            let msState = try #require(OAuthBrowser.query(microsoft)["state"])
            for tampered in [msState + "x", String(msState.dropLast()), "", "totally-made-up"] {
                let callback = try await browser.get(
                    server.url("/oauth/callback?code=abc&state=" + OAuthBrowser.form([("s", tampered)]).dropFirst(2)))
                #expect(callback.status == 400)
                #expect(callback.location == nil)
                #expect(callback.headers.first(name: "set-cookie") == nil)
            }
            // Only the binding of the started sign-in to this browser; no session.
            #expect(browser.cookies(for: server.baseURL).keys.allSatisfy { $0.hasPrefix("gg_signin_") })
            let tricky = "<script>alert(1)</script>&x=1 +%"
            let login = try await client.login(userIndex: 0, state: tricky)
            #expect(login.state == tricky)
        }
    }

    @Test("login CSRF: a callback URL from a sign-in started in another browser signs nobody in there")
    func loginCSRF() async throws {
        try await Self.withServer { server, attacker in
            // The attacker signs in with their own Microsoft account and keeps the callback URL.
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: attacker)
            let (_, challenge) = OAuthTestClient.pkce()
            let atTenant = try await client.signIn(
                client.authorizeURL(challenge: challenge), userIndex: 1, stopAtCallback: true)
            let callback = OAuthBrowser.resolve(try #require(atTenant.location), against: atTenant.url)
            // The victim's browser is made to open it: refused, no session, audited.
            let victim = OAuthBrowser(server)
            let planted = try await victim.get(callback)
            await victim.shutdown()
            #expect(planted.status == 400)
            #expect(planted.body.contains("not started in this browser"))
            #expect(planted.location == nil)
            #expect(!planted.headers[canonicalForm: "set-cookie"].contains { $0.contains("gg_session=") })
            let refusal: @Sendable ([AuditRow]) -> Bool = { events in
                events.contains { $0.eventType == "login" && $0.details.contains("state_not_bound_to_browser") }
            }
            let events = try await AuditSettling.eventually(
                {
                    try await MCPHTTPTests.withStore(server) { database in
                        try await SQLAuditStore(database: database).recent(userId: nil, limit: 50)
                    }
                }, until: refusal)
            #expect(refusal(events))
            // The browser that started the sign-in still finishes it (the refusal consumed nothing).
            let own = try await attacker.get(callback)
            #expect(own.status == 200 || own.status == 302 || own.status == 303)
            #expect(own.headers[canonicalForm: "set-cookie"].contains { $0.hasPrefix("gg_session=") })
        }
    }

    @Test("refresh rotates; presenting a rotated refresh token revokes the grant", arguments: TestDatabases.backends)
    func refreshReuse(backend: Database.Backend) async throws {
        try await Self.withServer(backend: backend) { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let mcp = MCPTestClient(base: server.baseURL, browser: browser)
            let first = try await client.tokens(userIndex: 0)
            let rotated = try await client.token([
                ("grant_type", "refresh_token"), ("refresh_token", first.refresh), ("client_id", client.clientId),
            ])
            #expect(rotated.status == 200)
            let access2 = try #require(rotated.json["access_token"] as? String)
            let refresh2 = try #require(rotated.json["refresh_token"] as? String)
            #expect(access2 != first.access && refresh2 != first.refresh)
            #expect(try await mcp.post(MCPTestClient.initialize, token: access2).status == 200)

            // Another client cannot use the refresh token.
            let other = try await OAuthTestClient.register(base: server.baseURL, browser: browser, name: "Other")
            let stolen = try await other.token([
                ("grant_type", "refresh_token"), ("refresh_token", refresh2), ("client_id", other.clientId),
            ])
            #expect(stolen.status == 400)

            let reuse = try await client.token([
                ("grant_type", "refresh_token"), ("refresh_token", first.refresh), ("client_id", client.clientId),
            ])
            #expect(reuse.status == 400 && reuse.json["error"] as? String == "invalid_grant")
            #expect(!reuse.page.body.contains(first.refresh))
            // The whole grant is gone: the newest access and refresh tokens fail too.
            #expect(try await mcp.post(MCPTestClient.initialize, token: access2).status == 401)
            let next = try await client.token([
                ("grant_type", "refresh_token"), ("refresh_token", refresh2), ("client_id", client.clientId),
            ])
            #expect(next.status == 400)
        }
    }

    @Test(
        "remembered consent skips the page for the same client (not for a loopback redirect); prompt=consent asks again; sign-out ends it"
    )
    func rememberedConsent() async throws {
        try await Self.withServer { server, browser in
            let web = "https://app.example/callback"
            let client = try await OAuthTestClient.register(
                base: server.baseURL, browser: browser, redirectURIs: [web, OAuthTestClient.redirectURI])
            _ = try await client.login(userIndex: 0)
            let (_, challenge) = OAuthTestClient.pkce()
            // Same browser session, same client: straight back with a code.
            let again = try await browser.get(client.authorizeURL(challenge: challenge, state: "r2"))
            let location = try #require(again.location)
            #expect(location.hasPrefix(web))
            #expect(OAuthBrowser.query(location)["code"] != nil && OAuthBrowser.query(location)["state"] == "r2")
            // A loopback redirect (any local program may listen there, on any port): the person decides again.
            let loopback = try await browser.get(
                client.authorizeURL(challenge: challenge, redirectURI: "http://127.0.0.1:50123/callback"))
            #expect(loopback.location?.hasPrefix("/oauth/consent") == true)
            // prompt=consent shows the page again.
            let forced = try await browser.get(
                client.authorizeURL(challenge: challenge, extra: [("prompt", "consent")]))
            #expect(forced.location?.hasPrefix("/oauth/consent") == true)
            // Another client is not covered by this approval.
            let other = try await OAuthTestClient.register(base: server.baseURL, browser: browser, name: "Other")
            let otherStart = try await browser.get(other.authorizeURL(challenge: challenge))
            #expect(otherStart.location?.hasPrefix("/oauth/consent") == true)
            // Sign out (needs the CSRF token of the page); then authorize goes to Microsoft again.
            let page = try await browser.get(server.url(try #require(otherStart.location)))
            let signoutToken = try #require(
                page.body.components(separatedBy: "name=\"csrf\" value=\"").last?.split(separator: "\"").first)
            let refused = try await browser.post(server.url("/oauth/signout"), form: [("csrf", "nope")])
            #expect(refused.status == 403)
            let out = try await browser.post(server.url("/oauth/signout"), form: [("csrf", String(signoutToken))])
            #expect(out.status == 200)
            let fresh = try await browser.get(client.authorizeURL(challenge: challenge))
            #expect(fresh.location?.contains("/oauth2/v2.0/authorize") == true)
        }
    }

    @Test("resource is compared in canonical form (case, trailing slash); mcp:write asked alone brings mcp")
    func resourceCaseAndWriteScope() async throws {
        try await Self.withServer { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let (verifier, challenge) = OAuthTestClient.pkce()
            let consent = try await client.signIn(
                client.authorizeURL(challenge: challenge, extra: [("scope", "mcp:write")]), userIndex: 0)
            let redirect = consent.location == nil ? try await client.decide(consent) : consent
            let location = try #require(redirect.location)
            let code = try #require(OAuthBrowser.query(location)["code"])
            // The scheme in capitals and a trailing slash: the same resource.
            let shouted = server.baseURL.replacingOccurrences(of: "http://", with: "HTTP://") + "/mcp/"
            let answer = try await client.token([
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirectURI),
                ("client_id", client.clientId), ("code_verifier", verifier), ("resource", shouted),
            ])
            #expect(answer.status == 200, "\(answer.page.body)")
            let scopes = (answer.json["scope"] as? String)?.split(separator: " ").map(String.init)
            #expect(Set(scopes ?? []) == ["mcp", "mcp:write"])
            // Another path is another resource.
            let other = try await client.token([
                ("grant_type", "refresh_token"), ("refresh_token", answer.json["refresh_token"] as? String ?? ""),
                ("client_id", client.clientId), ("resource", server.baseURL + "/MCP"),
            ])
            #expect(other.status == 400 && other.json["error"] as? String == "invalid_target")
            // Parameters sent empty count as omitted (RFC 6749 §3.1): no secret, no narrower scope, no resource.
            let refreshed = try await client.token([
                ("grant_type", "refresh_token"), ("refresh_token", answer.json["refresh_token"] as? String ?? ""),
                ("client_id", client.clientId), ("client_secret", ""), ("scope", ""), ("resource", ""),
            ])
            #expect(refreshed.status == 200, "\(refreshed.page.body)")
            #expect(refreshed.json["scope"] as? String == answer.json["scope"] as? String)
        }
    }

    @Test("a resource in another spelling of the same URI is ours; another path, port, host or scheme is not")
    func resourceCanonicalForm() {
        let settings = AuthorizationSettings(
            issuer: "https://gg.example", resource: "https://gg.example/mcp", scopesSupported: ["mcp"])
        for same in [
            "https://gg.example/mcp", "HTTPS://GG.Example/mcp", "https://gg.example:443/mcp", "https://gg.example/mcp/",
        ] {
            #expect(settings.isOurResource(same), "\(same)")
        }
        for other in [
            "https://gg.example/MCP", "https://gg.example:8443/mcp", "http://gg.example/mcp",
            "https://gg.example/mcp//",
            "https://gg.example.evil/mcp", "https://gg.example/", "https://gg.example/mcp?x=1", "gg.example/mcp",
        ] {
            #expect(!settings.isOurResource(other), "\(other)")
        }
        let loopback = AuthorizationSettings(
            issuer: "http://127.0.0.1:8080", resource: "http://127.0.0.1:8080/mcp", scopesSupported: ["mcp"])
        #expect(!loopback.isOurResource("http://127.0.0.1/mcp"))
        #expect(loopback.isOurResource("http://127.0.0.1:8080/mcp/"))
    }

    @Test("a client that signs its token request (RFC 7523) and leaves out client_id is named by its assertion")
    func assertedClientId() async throws {
        try await Self.withServer { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let (verifier, challenge) = OAuthTestClient.pkce()
            let consent = try await client.signIn(client.authorizeURL(challenge: challenge), userIndex: 0)
            let redirect = consent.location == nil ? try await client.decide(consent) : consent
            let location = try #require(redirect.location)
            let code = try #require(OAuthBrowser.query(location)["code"])
            func assertion(_ subject: String) -> String {
                let claims = #"{"iss":"\#(subject)","sub":"\#(subject)","aud":"\#(server.baseURL)/oauth/token"}"#
                return Base64URL.encode(Data(#"{"alg":"ES256"}"#.utf8)) + "." + Base64URL.encode(Data(claims.utf8))
                    + ".c2lnbmF0dXJl"
            }
            let fields = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirectURI),
                ("code_verifier", verifier),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ]
            // Another client's name in the assertion: the code is not its.
            let stranger = try await client.token(fields + [("client_assertion", assertion("someone-else"))])
            #expect(stranger.status >= 400 && stranger.status < 500)
            let answer = try await client.token(fields + [("client_assertion", assertion(client.clientId))])
            #expect(answer.status == 200, "\(answer.page.body)")
            #expect(answer.json["access_token"] is String)
        }
    }

    @Test("token endpoint errors are RFC 6749 JSON without echoed secrets")
    func tokenErrors() async throws {
        try await Self.withServer { server, browser in
            let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
            let secretLooking = "ggc_" + String(repeating: "A", count: 43)
            let cases: [[(String, String)]] = [
                [("grant_type", "password"), ("username", "u"), ("password", "p")],
                [
                    ("grant_type", "authorization_code"), ("code", secretLooking), ("client_id", client.clientId),
                    ("redirect_uri", OAuthTestClient.redirectURI), ("code_verifier", String(repeating: "v", count: 50)),
                ],
                [("code", secretLooking)],
                [
                    ("grant_type", "refresh_token"), ("refresh_token", "ggr_" + String(repeating: "B", count: 43)),
                    ("client_id", client.clientId),
                ],
            ]
            for fields in cases {
                let answer = try await client.token(fields)
                #expect(answer.status >= 400 && answer.status < 500)
                #expect(answer.json["error"] is String)
                #expect(answer.page.headers.first(name: "cache-control") == "no-store")
                #expect(!answer.page.body.contains(secretLooking) && !answer.page.body.contains("BBBB"))
            }
            // Redirect URI differing at the token endpoint.
            let login = try await client.login(userIndex: 0)
            let mismatch = try await client.exchange(
                code: login.code, verifier: login.verifier, redirectURI: OAuthTestClient.redirectURI + "/")
            #expect(mismatch.status == 400 && mismatch.json["error"] as? String == "invalid_grant")
        }
    }
}
