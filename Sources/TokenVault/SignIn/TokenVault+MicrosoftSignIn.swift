import Foundation
import MicrosoftGraph
import SecurityOps
import Storage

extension TokenVault: MicrosoftSignIn {
    public func beginSignIn(
        continuation: String, loginHint: String?, additionalScopes: [String], redirectURI: String
    ) async throws -> URL {
        try await beginSignInTyped(
            continuation: continuation, loginHint: loginHint, additionalScopes: additionalScopes,
            redirectURI: redirectURI)
    }

    public func completeSignIn(
        state: String, code: String?, error: String?, errorDescription: String?, redirectURI: String
    ) async throws -> CompletedSignIn {
        try await completeSignInTyped(state: state, code: code, error: error, redirectURI: redirectURI)
    }

    /// Read-only scopes plus any of the known write scopes asked for; anything else is refused (least privilege).
    static func signInScopes(additional: [String]) throws(VaultError) -> [String] {
        let extra = MicrosoftScopes.normalize(additional)
        let allowed = Set((MicrosoftScopes.write + MicrosoftScopes.readOnly).map { $0.lowercased() })
        if let unknown = extra.first(where: {
            !allowed.contains($0.lowercased()) && !MicrosoftScopes.openID.contains($0)
        }) {
            throw .invalidRequest("scope \(unknown.prefix(40)) is not one graphgate asks for")
        }
        return MicrosoftScopes.normalize(MicrosoftScopes.readOnly + extra + MicrosoftScopes.openID)
    }

    func beginSignInTyped(
        continuation: String, loginHint: String?, additionalScopes: [String], redirectURI: String
    ) async throws(VaultError) -> URL {
        guard continuation.count <= 256 else { throw .invalidRequest("continuation is longer than 256 characters") }
        guard let redirect = URL(string: redirectURI), redirect.scheme != nil, redirect.host != nil else {
            throw .invalidRequest("redirect URI is not an absolute URL")
        }
        let scopes = try Self.signInScopes(additional: additionalScopes)
        let state = RandomToken.make()
        let nonce = RandomToken.make()
        let pkce = PKCE()
        let stateHash = IdentityClient.sha256Hex(state)
        let sealed = try envelope.seal(pkce.verifier, for: Self.verifierBinding(stateHash: stateHash))
        let now = Timestamp.now
        do {
            try await pending.deleteExpired(now: now)
            try await pending.insert(
                PendingSignIn(
                    stateHash: stateHash, continuation: continuation, redirectURI: redirectURI,
                    scopes: scopes.joined(separator: " "), nonceHash: IdentityClient.sha256Hex(nonce),
                    keyId: Int64(sealed.keyId), verifierBlob: sealed.blob, createdAt: now,
                    expiresAt: now + Self.signInLifetime))
        } catch {
            throw .storage(error)
        }
        return identity.authorizationURL(
            redirectURI: redirectURI, scopes: scopes, state: state, nonce: nonce, codeChallenge: pkce.challenge,
            loginHint: loginHint)
    }

    func completeSignInTyped(
        state: String, code: String?, error: String?, redirectURI: String
    )
        async throws(VaultError) -> CompletedSignIn
    {
        guard !state.isEmpty, state.count <= 512 else { throw .signInStateInvalid }
        let found: PendingSignIn?
        do {
            found = try await pending.consume(stateHash: IdentityClient.sha256Hex(state))
        } catch {
            throw .storage(error)
        }
        guard let pending = found else {
            await failed("unknown_state")
            throw .signInStateInvalid
        }
        guard pending.expiresAt >= Timestamp.now else {
            await failed("expired_state")
            throw .signInStateExpired
        }
        guard pending.redirectURI == redirectURI else {
            await failed("redirect_mismatch")
            throw .invalidRequest("the redirect URI differs from the one the sign-in started with")
        }
        if let error {
            let code = String(error.lowercased().filter { $0.isLetter || $0 == "_" }.prefix(40))
            await failed("microsoft_\(code)")
            switch code {
            case "access_denied": throw .signInDeclined
            case "consent_required":
                throw .consentRequired(
                    scopes: pending.scopes.split(separator: " ").map(String.init)
                        .filter { !MicrosoftScopes.openID.contains($0) })
            case "interaction_required", "login_required": throw .signInRequired(.interactionRequired)
            default: throw .signInFailed("Microsoft answered \(code.isEmpty ? "an error" : code)")
            }
        }
        guard let code, !code.isEmpty else {
            await failed("no_code")
            throw .invalidRequest("Microsoft returned neither a code nor an error")
        }
        let verifier: String
        do {
            verifier = try envelope.open(pending.verifierBlob, for: Self.verifierBinding(stateHash: pending.stateHash))
        } catch {
            await audit.record(
                AuditEvent(
                    "token.decrypt_failed", outcome: .failure,
                    details: [
                        "kind": "pkce_verifier", "key_id": "\(pending.keyId)", "reason": TokenSealer.reason(error),
                    ]))
            throw .signInFailed("the sign-in's stored verifier cannot be decrypted; start again")
        }
        let scopes = pending.scopes.split(separator: " ").map(String.init)
        let tokens: TokenSet
        let claims: IDTokenClaims
        do throws(IdentityError) {
            tokens = try await identity.redeemCode(
                code, redirectURI: redirectURI, codeVerifier: verifier, scopes: scopes)
            guard let idToken = tokens.idToken else { throw .invalidResponse("no id_token") }
            claims = try await identity.verifyIDToken(idToken, nonce: .sha256Hex(pending.nonceHash))
        } catch {
            await failed(AccountRefresher.reason(error))
            logger.notice("Microsoft sign-in failed", metadata: ["gg.error": "\(error)"])
            throw .identity(error)
        }
        if let admit, await !admit(claims) {
            await failed("not_allowed")
            logger.notice(
                "Microsoft sign-in refused by the access policy", metadata: ["gg.tenant": "\(claims.tenantId)"])
            throw .signInNotAllowed
        }
        let (user, account) = try await link(
            tokens: tokens, claims: claims, label: Self.defaultAccountLabel, source: "sign_in")
        await audit.record(
            AuditEvent("login.microsoft", userId: user.id, details: ["account": account.id, "tenant": claims.tenantId]))
        return CompletedSignIn(user: user, account: account, continuation: pending.continuation)
    }

    static func verifierBinding(stateHash: String) -> TokenBinding {
        TokenBinding(userId: "", accountId: stateHash, kind: "pkce_verifier")
    }

    private func failed(_ reason: String) async {
        await audit.record(AuditEvent("login.microsoft", outcome: .failure, details: ["reason": reason]))
    }
}
