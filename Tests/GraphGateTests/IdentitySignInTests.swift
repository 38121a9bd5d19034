import Foundation
import JSONText
import MicrosoftGraph
import Sandbox
import Storage
import Testing
import TokenVault

/// The Microsoft sign-in through the vault and the identity client, against the emulated tenant.
@Suite("Identity sign-in")
struct IdentitySignInTests {
    @Test(arguments: TestDatabases.backends)
    func signInStoresAUserKeyedByTenantAndObjectWithReadOnlyScopes(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let url = try await env.vault.beginSignIn(
                continuation: "resume-here", loginHint: "AlexW@contoso.sandbox", additionalScopes: [],
                redirectURI: VaultEnvironment.redirectURI)
            let query = SandboxTestClient.query(url.absoluteString)
            #expect(query["code_challenge_method"] == "S256")
            #expect(query["code_challenge"]?.count == 43)
            #expect(query["scope"] == "User.Read Mail.Read Calendars.Read Contacts.Read offline_access openid profile")
            #expect(query["state"]?.count == 43)
            #expect(query["nonce"] != nil)
            // The state is stored only as its hash.
            let pending = try await env.database.read { db in
                try await db.raw("SELECT state_hash FROM pending_sign_ins").all()
            }
            #expect(pending.count == 1)
            #expect(
                try pending[0].decode(column: "state_hash", as: String.self)
                    == IdentityClient.sha256Hex(query["state"]!))

            let params = try await env.browse(url, upn: "AlexW@contoso.sandbox")
            let done = try await env.vault.completeSignIn(
                state: params["state"]!, code: params["code"], error: nil, errorDescription: nil,
                redirectURI: VaultEnvironment.redirectURI)
            #expect(done.continuation == "resume-here")
            #expect(done.user.tenantId == SandboxConfiguration.tenantId)
            #expect(done.account.label == "default")
            #expect(done.account.objectId == done.user.objectId)
            #expect(done.account.scopes.isSuperset(of: ["User.Read", "Mail.Read", "Calendars.Read", "Contacts.Read"]))
            #expect(!done.account.scopes.contains("Mail.Send"))

            // The state is single-use.
            await #expect(throws: VaultError.signInStateInvalid) {
                _ = try await env.vault.completeSignIn(
                    state: params["state"]!, code: params["code"], error: nil, errorDescription: nil,
                    redirectURI: VaultEnvironment.redirectURI)
            }
            // Same person again: same user row.
            let again = try await env.signIn()
            #expect(again.user.id == done.user.id)
            #expect(try await env.users.accounts(userId: done.user.id).count == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func incrementalConsentAddsWriteScopes(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let first = try await env.signIn()
            await #expect(throws: VaultError.consentRequired(scopes: ["Mail.Send"])) {
                try await env.vault.requireScopes(["Mail.Read", "Mail.Send"], userId: first.user.id, accountLabel: nil)
            }
            let link = try #require(env.vault.consentURL(for: ["Mail.Send"]))
            #expect(link.absoluteString == "https://graphgate.test/account/consent?scope=Mail.Send")
            let upgraded = try await env.signIn(additionalScopes: ["Mail.Send"])
            #expect(upgraded.account.scopes.contains("Mail.Send"))
            let provider = try await env.vault.tokenProvider(userId: first.user.id, accountLabel: nil)
            #expect(try await provider.grantedScopes().contains("Mail.Send"))
            try await env.vault.requireScopes(["Mail.Send"], userId: first.user.id, accountLabel: nil)
            await #expect(throws: VaultError.self) {
                _ = try await env.vault.beginSignIn(
                    continuation: "c", loginHint: nil, additionalScopes: ["Directory.ReadWrite.All"],
                    redirectURI: VaultEnvironment.redirectURI)
            }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func expiredStateDeclinedConsentAndRedirectMismatchStoreNothing(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            // Expired state.
            let url = try await env.vault.beginSignIn(
                continuation: "c", loginHint: nil, additionalScopes: [], redirectURI: VaultEnvironment.redirectURI)
            try await env.database.read { db in try await db.raw("UPDATE pending_sign_ins SET expires_at = 1").run() }
            let params = try await env.browse(url, upn: "AlexW@contoso.sandbox")
            await #expect(throws: VaultError.signInStateExpired) {
                _ = try await env.vault.completeSignIn(
                    state: params["state"]!, code: params["code"], error: nil, errorDescription: nil,
                    redirectURI: VaultEnvironment.redirectURI)
            }
            // Declined consent (a different user, who has not consented yet).
            let declineURL = try await env.vault.beginSignIn(
                continuation: "c", loginHint: nil, additionalScopes: [], redirectURI: VaultEnvironment.redirectURI)
            let declined = try await env.browse(declineURL, upn: "AdeleV@contoso.sandbox", decision: "cancel")
            #expect(declined["error"] == "access_denied")
            await #expect(throws: VaultError.signInDeclined) {
                _ = try await env.vault.completeSignIn(
                    state: declined["state"]!, code: nil, error: declined["error"],
                    errorDescription: declined["error_description"], redirectURI: VaultEnvironment.redirectURI)
            }
            // Redirect URI differing from the one the sign-in started with.
            let other = try await env.vault.beginSignIn(
                continuation: "c", loginHint: nil, additionalScopes: [], redirectURI: VaultEnvironment.redirectURI)
            let otherParams = try await env.browse(other, upn: "AlexW@contoso.sandbox")
            await #expect(throws: VaultError.self) {
                _ = try await env.vault.completeSignIn(
                    state: otherParams["state"]!, code: otherParams["code"], error: nil, errorDescription: nil,
                    redirectURI: "http://127.0.0.1:1/elsewhere")
            }
            #expect(try await env.users.allUsers(limit: 10).isEmpty)
            #expect(env.audit.all.filter { $0.type == "login.microsoft" && $0.outcome == .failure }.count == 3)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func accessPolicyRefusesBeforeAnythingIsStored(_ backend: Database.Backend) async throws {
        try await VaultEnvironment.with(backend) { env in
            let refusing = TokenVault(
                users: env.users, blobs: SQLTokenBlobStore(database: env.database),
                pending: SQLPendingSignInStore(database: env.database), keyring: env.keyring, identity: env.identity,
                audit: env.audit,
                logger: env.logs.logger(), admit: { $0.username.hasPrefix("AdeleV") })
            await #expect(throws: VaultError.signInNotAllowed) { _ = try await env.signIn(vault: refusing) }
            #expect(try await env.users.allUsers(limit: 10).isEmpty)
            #expect(env.audit.all.contains { $0.type == "login.microsoft" && $0.details["reason"] == "not_allowed" })
            let allowed = try await env.signIn("AdeleV@contoso.sandbox", vault: refusing)
            #expect(allowed.user.username.hasPrefix("AdeleV"))
        }
    }

    @Test func idTokenVerificationChecksSignatureAudienceIssuerNonceAndKey() async throws {
        try await VaultEnvironment.with(.sqlite) { env in
            let verifier = PKCE()
            let authorize = env.identity.authorizationURL(
                redirectURI: VaultEnvironment.redirectURI, scopes: MicrosoftScopes.initial, state: "s1",
                nonce: "the-nonce", codeChallenge: verifier.challenge)
            let params = try await env.browse(authorize, upn: "AlexW@contoso.sandbox")
            let tokens = try await env.identity.redeemCode(
                params["code"]!, redirectURI: VaultEnvironment.redirectURI, codeVerifier: verifier.verifier,
                scopes: MicrosoftScopes.initial)
            let idToken = try #require(tokens.idToken)
            #expect(!tokens.description.contains(tokens.accessToken))

            let claims = try await env.identity.verifyIDToken(idToken, nonce: .equals("the-nonce"))
            #expect(claims.tenantId == SandboxConfiguration.tenantId)
            #expect(claims.issuer == "\(env.client.base)/\(SandboxConfiguration.tenantId)/v2.0")
            _ = try await env.identity.verifyIDToken(idToken, nonce: .sha256Hex(IdentityClient.sha256Hex("the-nonce")))

            await #expect(throws: IdentityError.idTokenInvalid("nonce mismatch")) {
                _ = try await env.identity.verifyIDToken(idToken, nonce: .equals("other"))
            }
            let parts = idToken.split(separator: ".").map(String.init)
            // Tampered payload (claims changed, signature kept).
            var payload = try #require(Base64URL.decode(parts[1]))
            payload[payload.count / 2] ^= 0x01
            let tampered = [parts[0], Base64URL.encode(payload), parts[2]].joined(separator: ".")
            await #expect(throws: IdentityError.self) {
                _ = try await env.identity.verifyIDToken(tampered, nonce: .none)
            }
            // Signature from elsewhere.
            let badSignature = [parts[0], parts[1], String(parts[2].reversed())].joined(separator: ".")
            await #expect(throws: IdentityError.self) {
                _ = try await env.identity.verifyIDToken(badSignature, nonce: .none)
            }
            // Unknown key id: refetched once, then refused.
            let headerData = try #require(Base64URL.decode(parts[0]))
            var header = try #require(try JSONSerialization.jsonObject(with: headerData) as? [String: Any])
            header["kid"] = "no-such-key"
            let unknownKid = [Base64URL.encode(try JSONSerialization.data(withJSONObject: header)), parts[1], parts[2]]
                .joined(separator: ".")
            await #expect(throws: IdentityError.idTokenInvalid("signed with an unknown key")) {
                _ = try await env.identity.verifyIDToken(unknownKid, nonce: .none)
            }
            // alg none is refused before any key lookup.
            header["alg"] = "none"
            let none = [Base64URL.encode(try JSONSerialization.data(withJSONObject: header)), parts[1], ""].joined(
                separator: ".")
            await #expect(throws: IdentityError.idTokenInvalid("unexpected signing algorithm")) {
                _ = try await env.identity.verifyIDToken(none, nonce: .none)
            }
            // Another app's client id: wrong audience.
            let otherApp = IdentityClient(
                httpClient: env.client.http, authority: URL(string: env.client.base)!,
                tenant: SandboxConfiguration.tenantId, clientId: SandboxConfiguration.publicClientId, clientSecret: nil)
            await #expect(throws: IdentityError.idTokenInvalid("wrong audience")) {
                _ = try await otherApp.verifyIDToken(idToken, nonce: .none)
            }
        }
    }

    @Test func deviceCodeFlowWithThePublicClient() async throws {
        try await VaultEnvironment.with(.sqlite) { env in
            let desktop = IdentityClient(
                httpClient: env.client.http, authority: URL(string: env.client.base)!,
                tenant: SandboxConfiguration.tenantId, clientId: SandboxConfiguration.publicClientId, clientSecret: nil)
            let authorization = try await desktop.startDeviceAuthorization(scopes: MicrosoftScopes.initial)
            #expect(!authorization.userCode.isEmpty)
            await #expect(throws: IdentityError.authorizationPending) {
                _ = try await desktop.pollDeviceAuthorization(authorization)
            }
            #expect(!authorization.description.contains(authorization.deviceCode))
        }
    }

    @Test func microsoftErrorsBecomeTypedErrors() async throws {
        try await VaultEnvironment.with(.sqlite) { env in
            await #expect(throws: IdentityError.signInRequired(.invalidGrant)) {
                _ = try await env.identity.refresh(refreshToken: "not-a-refresh-token", scopes: MicrosoftScopes.initial)
            }
            let wrongSecret = IdentityClient(
                httpClient: env.client.http, authority: URL(string: env.client.base)!,
                tenant: SandboxConfiguration.tenantId, clientId: SandboxConfiguration.clientId, clientSecret: "wrong")
            do throws(IdentityError) {
                _ = try await wrongSecret.refresh(refreshToken: "x", scopes: ["User.Read"])
                Issue.record("expected an error")
            } catch {
                guard case .invalidClient = error else {
                    Issue.record("expected invalidClient, got \(error)")
                    return
                }
                #expect(!error.description.contains("wrong"))
            }
            let unreachable = IdentityClient(
                httpClient: env.client.http, authority: URL(string: "http://127.0.0.1:9")!, tenant: "common",
                clientId: "c", clientSecret: "s")
            do throws(IdentityError) {
                _ = try await unreachable.refresh(refreshToken: "x", scopes: ["User.Read"])
                Issue.record("expected an error")
            } catch {
                guard case .unreachable = error else {
                    Issue.record("expected unreachable, got \(error)")
                    return
                }
            }
        }
    }
}
