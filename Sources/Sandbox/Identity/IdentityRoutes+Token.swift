import Foundation
import Hummingbird
import JSONText

extension IdentityRoutes {
    /// `POST /{tenant}/oauth2/v2.0/token`.
    func token(_ request: Request, form: [String: String]) throws(IdentityError) -> Response {
        var form = form
        if let auth = request.headers[.authorization], auth.lowercased().hasPrefix("basic "),
            let data = Data(base64Encoded: String(auth.dropFirst(6))), let text = String(data: data, encoding: .utf8)
        {
            let parts = text.split(separator: ":", maxSplits: 1).map { WireFormat.decodeComponent(String($0)) }
            if parts.count == 2 {
                form["client_id"] = parts[0]
                form["client_secret"] = parts[1]
            }
        }
        guard let grant = form["grant_type"], !grant.isEmpty else { throw .missingParameter("grant_type") }
        core.state.withData { $0.grantCounts["requested:" + grant, default: 0] += 1 }
        guard let clientId = form["client_id"], !clientId.isEmpty else { throw .missingParameter("client_id") }
        guard let client = RegisteredClient.find(clientId, core.configuration) else { throw .unknownClient(clientId) }
        if client.confidential {
            guard let secret = form["client_secret"], !secret.isEmpty else { throw .missingSecret }
            guard Secrets.equal(secret, SandboxConfiguration.clientSecret) else { throw .badSecret }
        } else if form["client_secret"] != nil {
            throw .publicClientSecret
        }
        let response: JSONValue
        switch grant {
        case "authorization_code": response = try redeemCode(form: form, client: client)
        case "refresh_token": response = try redeemRefresh(form: form, client: client)
        case "urn:ietf:params:oauth:grant-type:device_code", "device_code":
            response = try redeemDeviceCode(form: form, client: client)
        default: throw .unsupportedGrant(grant)
        }
        core.state.withData { $0.grantCounts[grant, default: 0] += 1 }
        var h = HTTPFields()
        h[.cacheControl] = "no-store, no-cache"
        h[HTTPReply.name("Pragma")] = "no-cache"
        return HTTPReply.json(200, response, headers: h)
    }

    private func redeemCode(form: [String: String], client: RegisteredClient) throws(IdentityError) -> JSONValue {
        guard let code = form["code"], !code.isEmpty else { throw .missingParameter("code") }
        guard let record = core.state.withData({ $0.codes[code] }), record.clientId == client.id else { throw .badCode }
        if record.redeemed { throw .redeemedCode }
        if record.expiresAt < Date() { throw .expiredCode }
        guard let redirect = form["redirect_uri"], redirect == record.redirectURI else {
            throw .redirectMismatch(form["redirect_uri"] ?? "")
        }
        if let challenge = record.codeChallenge {
            guard let verifier = form["code_verifier"], !verifier.isEmpty else { throw .pkceMismatch }
            let computed = record.codeChallengeMethod == "S256" ? Secrets.sha256Base64URL(verifier) : verifier
            guard Secrets.equal(computed, challenge) else { throw .pkceMismatch }
        }
        let redeemedNow = core.state.withData { d -> Bool in
            guard d.codes[code]?.redeemed == false else { return false }
            d.codes[code]?.redeemed = true
            return true
        }
        guard redeemedNow else { throw .redeemedCode }
        // Like Microsoft: the token carries what this authorization asked for plus every permission the user
        // consented to for the app before (consent is per app and accumulates).
        let consented = core.state.withData { $0.consented(record.userIndex, client.id) }
        return issue(
            userIndex: record.userIndex, client: client, scopes: record.scopes.union(consented), nonce: record.nonce,
            form: form)
    }

    private func redeemRefresh(form: [String: String], client: RegisteredClient) throws(IdentityError) -> JSONValue {
        guard let token = form["refresh_token"], !token.isEmpty else { throw .missingParameter("refresh_token") }
        let now = Date()
        let lifetime = Double(core.configuration.refreshTokenLifetime)
        let record = try core.state.withData { d throws(IdentityError) -> RefreshTokenRecord in
            guard let r = d.refreshTokens[token], r.clientId == client.id else { throw .badRefreshToken }
            if let validFrom = d.tokensValidFrom[r.userIndex], r.issuedAt < validFrom {
                throw .refreshRevoked(issued: r.issuedAt, validFrom: validFrom)
            }
            if let revoked = r.revokedAt { throw .refreshRevoked(issued: r.issuedAt, validFrom: revoked) }
            if r.lastUsed.addingTimeInterval(lifetime) < now { throw .refreshExpired(issued: r.issuedAt) }
            d.refreshTokens[token]?.lastUsed = now
            return r
        }
        var scopes = record.scopes
        if let s = form["scope"], !s.isEmpty {
            switch Scopes.parse(s) {
            case .success(let parsed): scopes = parsed
            case .failure(let e): throw .invalidScope(e.scope)
            }
        }
        let consented = core.state.withData { $0.consented(record.userIndex, client.id) }
        guard Scopes.consentable(scopes).isSubset(of: consented) else { throw .consentRequired(clientId: client.id) }
        // Microsoft keeps the old refresh token valid after rotation; so do we.
        return issue(
            userIndex: record.userIndex, client: client, scopes: scopes.union(["offline_access"]), nonce: nil,
            form: form)
    }

    /// Mints an access token, a rotated refresh token and an id_token, and records them all.
    func issue(
        userIndex: Int, client: RegisteredClient, scopes: Set<String>, nonce: String?, form: [String: String]
    ) -> JSONValue {
        let now = Date()
        let lifetime = Int.random(in: core.configuration.accessTokenLifetime)
        let accessToken = "EwB" + Secrets.random(bytes: 96)
        let refreshToken = scopes.contains("offline_access") ? "M.C5" + Secrets.random(bytes: 96) : nil
        let user = core.state.withData { d -> SandboxUser? in
            d.accessTokens[accessToken] = AccessTokenRecord(
                userIndex: userIndex, clientId: client.id, scopes: Scopes.consentable(scopes), issuedAt: now,
                expiresAt: now.addingTimeInterval(Double(lifetime)))
            if let refreshToken {
                d.refreshTokens[refreshToken] = RefreshTokenRecord(
                    userIndex: userIndex, clientId: client.id, scopes: scopes, issuedAt: now, lastUsed: now)
            }
            return d.directory.user(index: userIndex)
        }
        var o: [(String, JSONValue)] = [
            ("token_type", "Bearer"),
            ("scope", .string(Scopes.responseValue(scopes))),
            ("expires_in", .int(lifetime)),
            ("ext_expires_in", .int(lifetime)),
            ("access_token", .string(accessToken)),
        ]
        if let refreshToken { o.append(("refresh_token", .string(refreshToken))) }
        if let user, scopes.contains("openid") {
            let idToken = idToken(user: user, clientId: client.id, nonce: nonce, scopes: scopes, now: now)
            core.state.withData { $0.idTokens.append(idToken) }
            o.append(("id_token", .string(idToken)))
        }
        if let user, form["client_info"] == "1" {
            let info: JSONValue = .object([("uid", .string(user.id)), ("utid", .string(SandboxConfiguration.tenantId))])
            o.append(("client_info", .string(Base64URL.encode(Data(info.serialized().utf8)))))
        }
        return .object(o)
    }

    private func idToken(user: SandboxUser, clientId: String, nonce: String?, scopes: Set<String>, now: Date) -> String
    {
        let iat = Int(now.timeIntervalSince1970)
        var claims: [(String, JSONValue)] = [
            ("aud", .string(clientId)),
            ("iss", .string(core.issuer())),
            ("iat", .int(iat)), ("nbf", .int(iat)), ("exp", .int(iat + 3600)),
            ("name", .string(user.displayName)),
            ("oid", .string(user.id)),
            ("preferred_username", .string(user.userPrincipalName)),
            ("rh", "0.AAAA-sandbox."),
            ("sub", .string(Secrets.sha256Base64URL(user.id + "|" + clientId).prefix(43).description)),
            ("tid", .string(SandboxConfiguration.tenantId)),
            ("uti", .string(Secrets.random(bytes: 16))),
            ("ver", "2.0"),
        ]
        if let nonce { claims.append(("nonce", .string(nonce))) }
        if scopes.contains("email") { claims.append(("email", .string(user.mail))) }
        return core.signer.sign(.object(claims))
    }
}
