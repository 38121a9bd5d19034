import Foundation
import JSONText
import Storage

extension AuthorizationServer {
    /// `POST /oauth/token` with form parameters (each name with every value it was given) and the request's
    /// `Authorization` header (for `client_secret_basic`).
    public func token(
        _ parameters: [(name: String, value: String)], sourceIP: String?, authorizationHeader: String? = nil
    ) async throws(AuthorizationError) -> TokenResponse {
        var form: [String: String] = [:]
        for (name, value) in parameters {
            guard form[name] == nil else { throw .invalidRequest("a parameter was given more than once") }
            form[name] = value
        }
        let clientId = try await authenticateClient(&form, header: authorizationHeader, sourceIP: sourceIP)
        let response: TokenResponse
        switch form["grant_type"] {
        case "authorization_code": response = try await redeemCode(form, sourceIP: sourceIP)
        case "refresh_token": response = try await refresh(form, sourceIP: sourceIP)
        case nil: throw .invalidRequest("grant_type is missing")
        default: throw .unsupportedGrantType("grant_type must be authorization_code or refresh_token")
        }
        if let clientId { try? await store.touchClient(id: clientId, now: now()) }
        return response
    }

    /// Client authentication (RFC 6749 §2.3.1): a client registered with a secret must present it, in the body
    /// (`client_secret`) or as HTTP Basic; the Basic client id then fills `client_id`. An unknown registered
    /// client is refused. Returns the registered client's id (nil for metadata-document clients).
    func authenticateClient(
        _ form: inout [String: String], header: String?, sourceIP: String?
    ) async throws(AuthorizationError) -> String? {
        var secret = form["client_secret"]
        if let header, header.lowercased().hasPrefix("basic ") {
            guard let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":"),
                let id = String(text[..<colon]).removingPercentEncoding,
                let basicSecret = String(text[text.index(after: colon)...]).removingPercentEncoding
            else { throw .invalidClient("the Basic credentials are malformed") }
            if let given = form["client_id"], given != id {
                throw .invalidRequest("client_id differs from the Basic credentials")
            }
            guard secret == nil else { throw .invalidRequest("send the client secret once (Basic or body)") }
            form["client_id"] = id
            secret = basicSecret
        }
        guard let clientId = form["client_id"], !clientId.isEmpty else { return nil }  // the grant says so
        if ClientMetadataDocuments.isDocumentURL(clientId) {
            guard secret == nil else { throw .invalidClient("a metadata document client has no secret") }
            return nil
        }
        let client: OAuthClientRecord?
        do {
            client = try await store.client(id: clientId)
        } catch {
            throw Self.unavailable(error)
        }
        guard let client else {
            await reject("token.client_auth", clientId: nil, sourceIP: sourceIP, reason: "unknown_client")
            throw .invalidClient("this client is not registered (or was removed after a long time unused)")
        }
        if let expected = client.secretHash {
            guard let secret, ConstantTime.equals(OpaqueSecret.hash(secret), expected) else {
                await reject("token.client_auth", clientId: clientId, sourceIP: sourceIP, reason: "bad_secret")
                throw .invalidClient("the client secret is missing or wrong")
            }
        } else if secret != nil {
            // A public client has no secret: credentials presented for it are someone guessing.
            await reject("token.client_auth", clientId: clientId, sourceIP: sourceIP, reason: "unexpected_secret")
            throw .invalidClient("this client was registered without a secret; send none")
        }
        return clientId
    }

    private func redeemCode(
        _ form: [String: String], sourceIP: String?
    ) async throws(AuthorizationError)
        -> TokenResponse
    {
        let now = now()
        guard let clientId = form["client_id"], !clientId.isEmpty else {
            throw .invalidClient("client_id is missing (public clients send it in the body)")
        }
        guard let code = form["code"], OpaqueSecret.looksLike(code, prefix: OpaqueSecret.codePrefix) else {
            await reject("token.code", clientId: clientId, sourceIP: sourceIP, reason: "unknown_code")
            throw .invalidGrant("the authorization code is invalid, expired or already used")
        }
        let consumption: OAuthCodeConsumption
        do {
            consumption = try await store.consumeCode(hash: OpaqueSecret.hash(code), now: now)
        } catch {
            throw Self.unavailable(error)
        }
        let record: OAuthCodeRecord
        switch consumption {
        case .notFound:
            await reject("token.code", clientId: clientId, sourceIP: sourceIP, reason: "unknown_code")
            throw .invalidGrant("the authorization code is invalid, expired or already used")
        case .replayed(let replayed):
            // A code presented twice may have been stolen: end everything it issued (RFC 6749 §4.1.2).
            let revoked = (try? await store.revokeGrant(id: replayed.grantId, reason: "code_replay", now: now)) ?? false
            await auditEvent(
                "token.code_replay", .denied, userId: replayed.userId, clientId: replayed.clientId, sourceIP: sourceIP,
                details: ["grant": replayed.grantId, "revoked": revoked ? "1" : "0"])
            if revoked { await onRevoke(.grants([replayed.grantId])) }
            throw .invalidGrant("the authorization code is invalid, expired or already used")
        case .consumed(let consumed):
            record = consumed
        }
        func fail(_ reason: String, _ error: AuthorizationError) async -> AuthorizationError {
            await reject("token.code", userId: record.userId, clientId: clientId, sourceIP: sourceIP, reason: reason)
            return error
        }
        guard record.expiresAt > now else {
            throw await fail("expired", .invalidGrant("the authorization code is invalid, expired or already used"))
        }
        guard record.clientId == clientId else {
            throw await fail("wrong_client", .invalidGrant("the authorization code was issued to another client"))
        }
        guard let redirectURI = form["redirect_uri"], redirectURI.utf8.elementsEqual(record.redirectURI.utf8) else {
            throw await fail(
                "redirect_uri_mismatch", .invalidGrant("redirect_uri does not match the authorization request"))
        }
        guard let verifier = form["code_verifier"] else {
            throw await fail("pkce_missing", .invalidGrant("code_verifier is required (PKCE)"))
        }
        guard PKCE.verify(verifier: verifier, challenge: record.codeChallenge) else {
            throw await fail("pkce_mismatch", .invalidGrant("code_verifier does not match the code_challenge"))
        }
        if let resource = form["resource"], !settings.isOurResource(resource) {
            throw await fail("wrong_resource", .invalidTarget("resource must be this server's MCP endpoint"))
        }
        if try await blocked(record.userId) {
            throw await fail("blocked", .invalidGrant("this account is blocked by the administrator"))
        }
        let issued = makeTokens(
            grantId: record.grantId, userId: record.userId, clientId: clientId, scope: record.scope,
            resource: record.resource, now: now)
        do {
            guard try await store.insertTokens(issued.records, now: now) else {
                throw await fail("grant_revoked", .invalidGrant("this authorization was revoked"))
            }
        } catch let error as AuthorizationError {
            throw error
        } catch {
            throw Self.unavailable(StorageError.from(error))
        }
        await auditEvent(
            "token.issue", userId: record.userId, clientId: clientId, sourceIP: sourceIP,
            details: ["grant": record.grantId, "grant_type": "authorization_code"])
        return issued.response
    }

    private func refresh(
        _ form: [String: String], sourceIP: String?
    ) async throws(AuthorizationError)
        -> TokenResponse
    {
        let now = now()
        guard let clientId = form["client_id"], !clientId.isEmpty else {
            throw .invalidClient("client_id is missing (public clients send it in the body)")
        }
        guard let presented = form["refresh_token"],
            OpaqueSecret.looksLike(presented, prefix: OpaqueSecret.refreshTokenPrefix)
        else {
            await reject("token.refresh", clientId: clientId, sourceIP: sourceIP, reason: "unknown_token")
            throw .invalidGrant("the refresh token is invalid, expired or revoked")
        }
        let hash = OpaqueSecret.hash(presented)
        let existing: OAuthTokenRecord?
        do {
            existing = try await store.token(hash: hash)
        } catch {
            throw Self.unavailable(error)
        }
        if let resource = form["resource"], !settings.isOurResource(resource) {
            await reject("token.refresh", clientId: clientId, sourceIP: sourceIP, reason: "wrong_resource")
            throw .invalidTarget("resource must be this server's MCP endpoint")
        }
        if let existing, try await grantOutlived(existing, now: now) {
            await reject(
                "token.refresh", userId: existing.userId, clientId: clientId, sourceIP: sourceIP,
                reason: "grant_max_lifetime")
            throw .invalidGrant(
                "this authorization is older than \(settings.grantMaxLifetime / 86400) days; sign in again")
        }
        if let existing, try await blocked(existing.userId) {
            await reject(
                "token.refresh", userId: existing.userId, clientId: clientId, sourceIP: sourceIP, reason: "blocked")
            throw .invalidGrant("this account is blocked by the administrator")
        }
        var accessScope = existing?.scope ?? ""
        if let requested = form["scope"], let existing {
            let wanted = OAuthScopes.parse(requested)
            guard !wanted.isEmpty, Set(wanted).isSubset(of: existing.scopes) else {
                await reject(
                    "token.refresh", userId: existing.userId, clientId: clientId, sourceIP: sourceIP,
                    reason: "scope_widened")
                throw .invalidScope("a refresh may only narrow the scope of the original authorization")
            }
            accessScope = wanted.joined(separator: " ")
        }
        let access = OpaqueSecret.generate(prefix: OpaqueSecret.accessTokenPrefix)
        let refresh = OpaqueSecret.generate(prefix: OpaqueSecret.refreshTokenPrefix)
        let settings = settings
        let scopeForAccess = accessScope
        let outcome: OAuthRefreshOutcome
        do {
            outcome = try await store.rotateRefreshToken(hash: hash, clientId: clientId, now: now) { old in
                [
                    OAuthTokenRecord(
                        tokenHash: OpaqueSecret.hash(access), kind: .access, grantId: old.grantId, userId: old.userId,
                        clientId: old.clientId, scope: scopeForAccess.isEmpty ? old.scope : scopeForAccess,
                        audience: old.audience, createdAt: now, expiresAt: now + settings.accessTokenLifetime),
                    OAuthTokenRecord(
                        tokenHash: OpaqueSecret.hash(refresh), kind: .refresh, grantId: old.grantId,
                        userId: old.userId, clientId: old.clientId, scope: old.scope, audience: old.audience,
                        createdAt: now, expiresAt: now + settings.refreshTokenLifetime),
                ]
            }
        } catch {
            throw Self.unavailable(error)
        }
        switch outcome {
        case .invalid:
            await reject(
                "token.refresh", userId: existing?.userId, clientId: clientId, sourceIP: sourceIP,
                reason: "invalid_token")
            throw .invalidGrant("the refresh token is invalid, expired or revoked")
        case .wrongClient(let token):
            await reject(
                "token.refresh", userId: token.userId, clientId: clientId, sourceIP: sourceIP,
                reason: "wrong_client")
            throw .invalidGrant("the refresh token is invalid, expired or revoked")
        case .reused(let token):
            // A rotated refresh token came back: one of the two holders is not the client. End the grant.
            let revoked = (try? await store.revokeGrant(id: token.grantId, reason: "refresh_reuse", now: now)) ?? false
            await auditEvent(
                "token.refresh_reuse", .denied, userId: token.userId, clientId: clientId, sourceIP: sourceIP,
                details: ["grant": token.grantId, "revoked": revoked ? "1" : "0"])
            if revoked { await onRevoke(.grants([token.grantId])) }
            throw .invalidGrant("the refresh token is invalid, expired or revoked")
        case .rotated(let old):
            await auditEvent(
                "token.refresh", userId: old.userId, clientId: clientId, sourceIP: sourceIP,
                details: ["grant": old.grantId])
            return TokenResponse(
                accessToken: access, expiresIn: settings.accessTokenLifetime, refreshToken: refresh,
                scope: scopeForAccess.isEmpty ? old.scope : scopeForAccess)
        }
    }

    /// Whether the token's grant is older than the absolute grant lifetime; such a grant is revoked here.
    private func grantOutlived(_ token: OAuthTokenRecord, now: Int64) async throws(AuthorizationError) -> Bool {
        do {
            guard let grant = try await store.grant(id: token.grantId), grant.revokedAt == nil,
                grant.createdAt + settings.grantMaxLifetime <= now
            else { return false }
            if try await store.revokeGrant(id: grant.id, reason: "max_lifetime", now: now) {
                await onRevoke(.grants([grant.id]))
            }
            return true
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// `POST /oauth/revoke` (RFC 7009). A client with a secret authenticates first (body or Basic): a wrong
    /// secret is refused and revokes nothing, and that client's tokens are revoked only by it, authenticated. An
    /// unknown token, or one of another client, succeeds from the caller's point of view and revokes nothing; a
    /// refresh token revokes its whole grant, an access token only itself.
    public func revokeToken(
        _ parameters: [(name: String, value: String)], authorizationHeader: String? = nil, sourceIP: String?
    ) async throws(AuthorizationError) {
        var form: [String: String] = [:]
        for (name, value) in parameters { form[name] = form[name] ?? value }
        guard let token = form["token"], !token.isEmpty else { throw .invalidRequest("token is missing") }
        let authenticated = try await authenticateClient(&form, header: authorizationHeader, sourceIP: sourceIP)
        let now = now()
        let record: OAuthTokenRecord?
        do {
            record = try await store.token(hash: OpaqueSecret.hash(token))
        } catch {
            throw Self.unavailable(error)
        }
        guard let record else {
            await auditEvent(
                "token.revoke", .failure, clientId: form["client_id"], sourceIP: sourceIP,
                details: ["reason": "unknown_token"])
            return
        }
        if let clientId = form["client_id"], clientId != record.clientId {
            await auditEvent(
                "token.revoke", .denied, userId: record.userId, clientId: clientId, sourceIP: sourceIP,
                details: ["reason": "wrong_client"])
            return
        }
        if authenticated != record.clientId {
            let owner: OAuthClientRecord?
            do {
                owner = try await store.client(id: record.clientId)
            } catch {
                throw Self.unavailable(error)
            }
            if owner?.secretHash != nil {
                await auditEvent(
                    "token.revoke", .denied, userId: record.userId, clientId: record.clientId, sourceIP: sourceIP,
                    details: ["reason": "client_not_authenticated"])
                throw .invalidClient("this token's client has a secret: it must authenticate to revoke it")
            }
        }
        do {
            switch record.kind {
            case .access:
                try await store.revokeToken(hash: record.tokenHash, now: now)
            case .refresh:
                if try await store.revokeGrant(id: record.grantId, reason: "client_revoked", now: now) {
                    await onRevoke(.grants([record.grantId]))
                }
            }
        } catch {
            throw Self.unavailable(error)
        }
        await auditEvent(
            "token.revoke", userId: record.userId, clientId: record.clientId, sourceIP: sourceIP,
            details: ["grant": record.grantId, "kind": record.kind.rawValue])
    }

    /// Checks a bearer token presented at the MCP endpoint: from the access cache when it holds the token
    /// (revocations drop it; see `AccessChanges`), else from the store.
    public func authenticate(bearer token: String) async throws(AuthorizationError) -> BearerCheck {
        guard OpaqueSecret.looksLike(token, prefix: OpaqueSecret.accessTokenPrefix) else {
            return .invalid(reason: "not_ours")
        }
        let hash = OpaqueSecret.hash(token)
        let now = now()
        let cached = await tokenCache?.lookup(hash) { [self] in
            guard case .valid(let info)? = try? await storedAccess(hash: hash, now: self.now()) else { return nil }
            return info
        }
        if let info = cached?.value, info.expiresAt > now { return .valid(info) }
        let check = try await storedAccess(hash: hash, now: now)
        if case .valid(let info) = check, let cached { tokenCache?.store(info, for: hash, ticket: cached.ticket) }
        return check
    }

    /// The access token stored under `hash` as the MCP endpoint accepts it, or why not.
    private func storedAccess(hash: String, now: Int64) async throws(AuthorizationError) -> BearerCheck {
        let record: OAuthTokenRecord?
        do {
            record = try await store.activeToken(hash: hash, now: now)
        } catch {
            throw Self.unavailable(error)
        }
        guard let record, record.kind == .access else { return .invalid(reason: "unknown_or_expired") }
        guard record.audience == settings.resource else { return .invalid(reason: "wrong_audience") }
        return .valid(
            AccessTokenInfo(
                userId: record.userId, clientId: record.clientId, grantId: record.grantId, scopes: record.scopes,
                expiresAt: record.expiresAt))
    }

    func makeTokens(
        grantId: String, userId: String, clientId: String, scope: String, resource: String, now: Int64
    )
        -> (records: [OAuthTokenRecord], response: TokenResponse)
    {
        let access = OpaqueSecret.generate(prefix: OpaqueSecret.accessTokenPrefix)
        let refresh = OpaqueSecret.generate(prefix: OpaqueSecret.refreshTokenPrefix)
        let records = [
            OAuthTokenRecord(
                tokenHash: OpaqueSecret.hash(access), kind: .access, grantId: grantId, userId: userId,
                clientId: clientId, scope: scope, audience: resource, createdAt: now,
                expiresAt: now + settings.accessTokenLifetime),
            OAuthTokenRecord(
                tokenHash: OpaqueSecret.hash(refresh), kind: .refresh, grantId: grantId, userId: userId,
                clientId: clientId, scope: scope, audience: resource, createdAt: now,
                expiresAt: now + settings.refreshTokenLifetime),
        ]
        return (
            records,
            TokenResponse(
                accessToken: access, expiresIn: settings.accessTokenLifetime, refreshToken: refresh, scope: scope)
        )
    }

    func reject(_ type: String, userId: String? = nil, clientId: String?, sourceIP: String?, reason: String) async {
        await auditEvent(
            type, .failure, userId: userId, clientId: clientId, sourceIP: sourceIP, details: ["reason": reason])
    }
}
