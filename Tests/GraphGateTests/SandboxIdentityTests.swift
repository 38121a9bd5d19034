import Foundation
import Sandbox
import Testing

@Suite("Sandbox identity platform")
struct SandboxIdentityTests {
    typealias Client = SandboxTestClient
    let tenant = SandboxConfiguration.tenantId

    @Test("discovery document and JWKS")
    func discovery() async throws {
        try await Client.with { c in
            let doc = try await c.send(.GET, "/\(tenant)/v2.0/.well-known/openid-configuration").json
            #expect(doc["issuer"] as? String == "\(c.base)/\(tenant)/v2.0")
            #expect(doc["authorization_endpoint"] as? String == "\(c.base)/\(tenant)/oauth2/v2.0/authorize")
            #expect(doc["device_authorization_endpoint"] as? String == "\(c.base)/\(tenant)/oauth2/v2.0/devicecode")
            let common = try await c.send(.GET, "/common/v2.0/.well-known/openid-configuration").json
            #expect(common["issuer"] as? String == "\(c.base)/{tenantid}/v2.0")
            let keys = try await c.send(.GET, "/\(tenant)/discovery/v2.0/keys").json["keys"] as? [[String: Any]]
            #expect(keys?.first?["kty"] as? String == "RSA")
            #expect((keys?.first?["n"] as? String)?.count ?? 0 > 300)
            let unknown = try await c.send(.GET, "/not-a-tenant/v2.0/.well-known/openid-configuration")
            #expect(unknown.status == 400)
            #expect((unknown.json["error_description"] as? String)?.hasPrefix("AADSTS90002:") == true)
        }
    }

    @Test("auth code + PKCE S256: sign-in page, consent, tokens, id_token claims")
    func authCodeFlow() async throws {
        try await Client.with { c in
            let tokens = try await c.signIn("AdeleV@contoso.sandbox")
            #expect((3600...5400).contains(tokens.expiresIn))
            #expect(tokens.refresh != nil)
            let claims = Client.claims(try #require(tokens.idToken))
            #expect(claims["aud"] as? String == SandboxConfiguration.clientId)
            #expect(claims["iss"] as? String == "\(c.base)/\(tenant)/v2.0")
            #expect(claims["tid"] as? String == tenant)
            #expect(claims["nonce"] as? String == "n-456")
            #expect(claims["preferred_username"] as? String == "AdeleV@contoso.sandbox")
            #expect(claims["name"] as? String == "Adele Vance")
            #expect(claims["oid"] is String && claims["iat"] is Int && claims["nbf"] is Int && claims["exp"] is Int)
            #expect(try #require(tokens.idToken).split(separator: ".").count == 3)
        }
    }

    @Test("session cookie skips the picker; consent is asked once per scope set, again for new scopes")
    func incrementalConsent() async throws {
        try await Client.with { c in
            let first = try await c.authorize(upn: "AlexW@contoso.sandbox", scopes: "openid User.Read")
            #expect(first.params["code"] != nil && first.params["state"] == "st-123")
            let cookie = try #require(first.cookie)
            // Same scopes: straight back with a code, no page.
            let again = try await c.send(
                .GET,
                "/\(tenant)/oauth2/v2.0/authorize?client_id=\(SandboxConfiguration.clientId)&response_type=code&redirect_uri=\(Client.encode(Client.redirect))&scope=openid%20User.Read",
                headers: [("Cookie", cookie)])
            #expect(again.status == 302)
            #expect(again.header("location")?.contains("code=") == true)
            // New scope: consent page.
            let more = try await c.send(
                .GET,
                "/\(tenant)/oauth2/v2.0/authorize?client_id=\(SandboxConfiguration.clientId)&response_type=code&redirect_uri=\(Client.encode(Client.redirect))&scope=openid%20Mail.Read",
                headers: [("Cookie", cookie)])
            #expect(more.status == 200 && more.text.contains("/login/consent") && more.text.contains("Mail.Read"))
            // prompt=none without consent → consent_required on the redirect.
            let silent = try await c.send(
                .GET,
                "/\(tenant)/oauth2/v2.0/authorize?client_id=\(SandboxConfiguration.clientId)&response_type=code&redirect_uri=\(Client.encode(Client.redirect))&scope=Mail.Read&prompt=none&state=s",
                headers: [("Cookie", cookie)])
            #expect(Client.query(silent.header("location") ?? "")["error"] == "consent_required")
        }
    }

    @Test("code errors: reuse 54005, PKCE mismatch 501481, bad code 70000")
    func codeErrors() async throws {
        try await Client.with { c in
            let p = try await c.authorize(
                upn: "AdeleV@contoso.sandbox", scopes: "openid User.Read",
                extra: ["code_challenge": Client.challenge, "code_challenge_method": "S256"])
            let code = try #require(p.params["code"])
            let mismatch = try await c.redeem(code: code, verifier: "wrong-verifier-wrong-verifier-wrong-verifier-00")
            #expect(mismatch.json["error"] as? String == "invalid_grant")
            #expect(mismatch.json["error_codes"] as? [Int] == [501481])
            #expect((mismatch.json["error_description"] as? String)?.hasPrefix("AADSTS501481:") == true)
            #expect(
                mismatch.json["trace_id"] is String && mismatch.json["correlation_id"] is String
                    && mismatch.json["timestamp"] is String)
            #expect(try await c.redeem(code: code, verifier: Client.verifier).status == 200)
            let reused = try await c.redeem(code: code, verifier: Client.verifier)
            #expect(reused.json["error_codes"] as? [Int] == [54005])
            let bogus = try await c.redeem(code: "nope")
            #expect(bogus.json["error_codes"] as? [Int] == [70000])
        }
    }

    @Test("client errors: unknown client 700016, bad secret 7000215, redirect mismatch 50011")
    func clientErrors() async throws {
        try await Client.with { c in
            let unknown = try await c.form(
                "/\(tenant)/oauth2/v2.0/token",
                ["grant_type": "authorization_code", "client_id": "11111111-2222-3333-4444-555555555555", "code": "x"])
            #expect(unknown.json["error_codes"] as? [Int] == [700016])
            let secret = try await c.redeem(code: "x", secret: "wrong")
            #expect(secret.status == 401 && secret.json["error"] as? String == "invalid_client")
            #expect(secret.json["error_codes"] as? [Int] == [7000215])
            let redirect = try await c.send(
                .GET,
                "/\(tenant)/oauth2/v2.0/authorize?client_id=\(SandboxConfiguration.clientId)&response_type=code&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid"
            )
            #expect(redirect.status == 400 && redirect.text.contains("AADSTS50011"))
            // Any loopback port is accepted (Microsoft ignores the port of loopback redirect URIs).
            let loopback = try await c.send(
                .GET,
                "/\(tenant)/oauth2/v2.0/authorize?client_id=\(SandboxConfiguration.clientId)&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A4711%2Fcb&scope=openid"
            )
            #expect(loopback.status == 200)
        }
    }

    @Test("refresh rotates, old tokens stay valid, revoke → 50173, withdrawn consent → 65001")
    func refreshLifecycle() async throws {
        try await Client.with { c in
            let t = try await c.signIn("MeganB@contoso.sandbox")
            let r1 = try await c.refresh(try #require(t.refresh))
            let rotated = try Client.tokens(r1)
            #expect(rotated.refresh != t.refresh && rotated.access != t.access)
            #expect(try await c.refresh(try #require(t.refresh)).status == 200)  // old one still valid
            let grants = try await c.control(.GET, "grants").json["issued"] as? [String: Int]
            #expect(grants?["refresh_token"] == 2 && grants?["authorization_code"] == 1)
            // Asking for an unconsented scope on refresh.
            let extra = try await c.refresh(
                try #require(rotated.refresh), scope: "Mail.Read MailboxSettings.Read offline_access")
            #expect(extra.json["suberror"] as? String == "consent_required")
            #expect(extra.json["error_codes"] as? [Int] == [65001])
            // Withdraw consent.
            _ = try await c.control(.POST, "users/MeganB@contoso.sandbox/withdraw-consent")
            let withdrawn = try await c.refresh(try #require(rotated.refresh))
            #expect(withdrawn.json["error_codes"] as? [Int] == [65001])
            // Revoke.
            let revoked =
                try await c.control(.POST, "users/MeganB@contoso.sandbox/revoke-refresh-tokens").json["revoked"] as? Int
            #expect((revoked ?? 0) >= 2)
            let after = try await c.refresh(try #require(rotated.refresh))
            #expect(after.json["error_codes"] as? [Int] == [50173])
            #expect((after.json["error_description"] as? String)?.hasPrefix("AADSTS50173:") == true)
        }
    }

    @Test("refresh token expiry → 700082")
    func refreshExpiry() async throws {
        var config = SandboxConfiguration()
        config.refreshTokenLifetime = 1
        try await Client.with(config) { c in
            let t = try await c.signIn("AdeleV@contoso.sandbox")
            try await Task.sleep(for: .milliseconds(1500))
            let r = try await c.refresh(try #require(t.refresh))
            #expect(r.json["error_codes"] as? [Int] == [700082])
        }
    }

    @Test("device code: pending, approve in the browser, redeem with the public client")
    func deviceCode() async throws {
        try await Client.with { c in
            let start = try await c.form(
                "/organizations/oauth2/v2.0/devicecode",
                ["client_id": SandboxConfiguration.publicClientId, "scope": "openid offline_access Mail.Read"])
            let userCode = try #require(start.json["user_code"] as? String)
            let deviceCode = try #require(start.json["device_code"] as? String)
            #expect(start.json["interval"] as? Int == 5 && start.json["expires_in"] as? Int == 900)
            let poll: [String: String] = [
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "client_id": SandboxConfiguration.publicClientId, "device_code": deviceCode,
            ]
            let pending = try await c.form("/organizations/oauth2/v2.0/token", poll)
            #expect(pending.json["error"] as? String == "authorization_pending")
            let picker = try await c.send(.GET, "/devicelogin?otc=\(userCode)")
            let oid = try #require(
                Client.capture(#"value="([0-9a-f-]{36})" data-upn="LeeG@contoso.sandbox""#, in: picker.text))
            let signedIn = try await c.form(
                "/\(tenant)/login/select", ["user": oid, "return_to": "/devicelogin?otc=\(userCode)"])
            let cookie = String(try #require(signedIn.header("set-cookie")).split(separator: ";")[0])
            let confirm = try await c.send(
                .GET, try #require(signedIn.header("location")), headers: [("Cookie", cookie)])
            #expect(confirm.text.contains("graphgate desktop"))
            #expect(
                try await c.form("/devicelogin", ["otc": userCode, "decision": "accept"], cookie: cookie).status == 200)
            let tokens = try Client.tokens(try await c.form("/organizations/oauth2/v2.0/token", poll))
            #expect(
                Client.claims(try #require(tokens.idToken))["preferred_username"] as? String == "LeeG@contoso.sandbox")
            let me = try await c.graph(tokens.access, "/me/messages?$top=1")
            #expect(me.status == 200)
        }
    }

    @Test("the control path lists every issued secret (canaries for leak scans)")
    func secrets() async throws {
        try await Client.with { c in
            let t = try await c.signIn("AdeleV@contoso.sandbox")
            let s = try await c.control(.GET, "secrets").json
            #expect((s["accessTokens"] as? [String])?.contains(t.access) == true)
            #expect((s["refreshTokens"] as? [String])?.contains(t.refresh ?? "-") == true)
            #expect((s["idTokens"] as? [String])?.contains(t.idToken ?? "-") == true)
            #expect((s["authorizationCodes"] as? [String])?.count == 1)
            #expect((s["clientSecrets"] as? [String]) == [SandboxConfiguration.clientSecret])
        }
    }
}
