import Foundation
import Storage

extension AuthorizationServer {
    static let maxStateLength = 2048

    /// Checks `/oauth/authorize` query parameters (each name with every value it was given).
    ///
    /// Client and redirect URI are checked first; any problem with them is an error page. Errors after that
    /// are error pages too for self-registered clients (all clients today); a client we vouched for would get
    /// them at its redirect URI (with `state` and `iss`).
    public func validateAuthorize(
        _ parameters: [(name: String, value: String)], sourceIP: String?
    ) async
        -> AuthorizeValidation
    {
        var values: [String: String] = [:]
        var repeated = false
        for (name, value) in parameters {
            if values[name] != nil { repeated = true }
            values[name] = value
        }
        func page(_ error: AuthorizationError, _ clientId: String? = nil) async -> AuthorizeValidation {
            await auditEvent(
                "oauth.authorize.reject", .failure, clientId: clientId, sourceIP: sourceIP,
                details: ["reason": error.code])
            return .errorPage(error)
        }
        guard !repeated else { return await page(.invalidRequest("a parameter was given more than once")) }
        guard let clientId = values["client_id"], !clientId.isEmpty, clientId.utf8.count <= 512 else {
            return await page(.invalidRequest("client_id is missing"))
        }
        let client: OAuthClientRecord?
        if ClientMetadataDocuments.isDocumentURL(clientId) {
            guard let metadataDocuments else {
                return await page(.invalidClient("this server does not accept metadata document client ids"))
            }
            do {
                client = try await metadataDocuments.client(id: clientId, now: now())
            } catch {
                return await page(error)
            }
        } else {
            do {
                client = try await store.client(id: clientId)
            } catch {
                return .errorPage(Self.unavailable(error))
            }
        }
        guard let client else {
            return await page(.invalidClient("this application is not registered with graphgate"))
        }
        guard let redirectURI = values["redirect_uri"] else {
            return await page(.invalidRequest("redirect_uri is missing"), client.clientId)
        }
        guard RedirectURIPolicy.matches(redirectURI, registered: client.redirectURIs) else {
            return await page(
                .invalidRedirectURI("redirect_uri is not one this application registered"), client.clientId)
        }

        let state = values["state"]
        /// Every client here registered itself or published its own document, so anyone could have chosen its
        /// redirect URI: errors before the person signed in are shown on our page, never redirected there, or
        /// graphgate would be an open redirector (RFC 9700 §4.11.2).
        func redirect(_ error: AuthorizationError) async -> AuthorizeValidation {
            await auditEvent(
                "oauth.authorize.reject", .failure, clientId: client.clientId, sourceIP: sourceIP,
                details: ["reason": error.code])
            if client.kind == .dynamic || client.kind == .metadataDocument { return .errorPage(error) }
            var items = [("error", error.code), ("error_description", error.message)]
            if let state, state.utf8.count <= Self.maxStateLength { items.append(("state", state)) }
            items.append(("iss", settings.issuer))
            return .redirect(Self.appendQuery(items, to: redirectURI))
        }
        guard values["response_type"] == "code" else {
            return await redirect(.init("unsupported_response_type", "response_type must be code"))
        }
        if let state, state.utf8.count > Self.maxStateLength {
            return await redirect(.invalidRequest("state is longer than 2048 characters"))
        }
        guard let challenge = values["code_challenge"] else {
            return await redirect(.invalidRequest("PKCE is required: code_challenge is missing"))
        }
        guard values["code_challenge_method"] == "S256" else {
            return await redirect(.invalidRequest("code_challenge_method must be S256"))
        }
        guard PKCE.isValidChallenge(challenge) else {
            return await redirect(.invalidRequest("code_challenge is not a base64url SHA-256"))
        }
        if let resource = values["resource"], !settings.isOurResource(resource) {
            return await redirect(.invalidTarget("resource must be this server's MCP endpoint"))
        }
        let requested = OAuthScopes.parse(values["scope"])
        var scopes = requested.filter { settings.scopesSupported.contains($0) }
        if requested.isEmpty {
            let registered = OAuthScopes.parse(client.scope)
            scopes = registered.isEmpty ? settings.scopesSupported : registered
        } else if scopes.isEmpty {
            return await redirect(.invalidScope("none of the requested scopes is offered"))
        }
        if !client.scope.isEmpty {
            let allowed = Set(OAuthScopes.parse(client.scope))
            scopes = scopes.filter { allowed.contains($0) }
            if scopes.isEmpty { return await redirect(.invalidScope("the requested scopes were not registered")) }
        }
        // `mcp:write` is `mcp` plus writing: a client asking for it alone still gets a token `/mcp` accepts.
        if scopes.contains(OAuthScopes.write), !scopes.contains(OAuthScopes.mcp) {
            scopes.insert(OAuthScopes.mcp, at: 0)
        }
        return .valid(
            AuthorizeRequest(
                client: client, redirectURI: redirectURI, codeChallenge: challenge, resource: settings.resource,
                scopes: scopes, state: state,
                prompt: Set((values["prompt"] ?? "").split(separator: " ").map(String.init))))
    }

    /// Stores a validated request until sign-in and consent; returns its handle (a secret: it resumes the
    /// flow after Microsoft, so only its hash is stored).
    public func beginAuthorization(
        _ request: AuthorizeRequest, userId: String?
    ) async throws(AuthorizationError)
        -> String
    {
        let handle = OpaqueSecret.generate(prefix: OpaqueSecret.pendingPrefix)
        let now = now()
        let pending = PendingAuthorizationRecord(
            idHash: OpaqueSecret.hash(handle), clientId: request.client.clientId, redirectURI: request.redirectURI,
            codeChallenge: request.codeChallenge, resource: request.resource,
            scope: request.scopes.joined(separator: " "), state: request.state, userId: userId, createdAt: now,
            expiresAt: now + settings.pendingLifetime)
        do {
            try await store.insertPending(pending)
        } catch {
            throw Self.unavailable(error)
        }
        return handle
    }

    /// After sign-in (or with a live browser session): binds the pending request to the user, then either
    /// issues the code at once (the user approved this client before and `prompt=consent` was not given) or
    /// asks for consent.
    public func continueAuthorization(
        pendingHandle: String, userId: String, forceConsent: Bool = false, sourceIP: String?
    ) async throws(AuthorizationError) -> AuthorizationStep {
        try await continueAuthorization(
            hash: OpaqueSecret.hash(pendingHandle), handle: pendingHandle, userId: userId, forceConsent: forceConsent,
            sourceIP: sourceIP)
    }

    /// The continuation a Microsoft sign-in carries for a pending request: its hash, never the handle (the
    /// pending sign-in row stores it, and secrets are stored as hashes only).
    public static func signInContinuation(pendingHandle: String) -> String {
        pendingContinuationPrefix + OpaqueSecret.hash(pendingHandle)
    }

    static let pendingContinuationPrefix = "pending:"

    /// After the Microsoft sign-in started by ``signInContinuation(pendingHandle:)``: like
    /// ``continueAuthorization(pendingHandle:userId:forceConsent:sourceIP:)``; when consent is needed the request
    /// gets a fresh handle (bound to `userId`) for the consent page.
    public func continueAuthorization(
        signInContinuation continuation: String, userId: String, sourceIP: String?
    ) async throws(AuthorizationError) -> AuthorizationStep {
        guard continuation.hasPrefix(Self.pendingContinuationPrefix) else {
            throw .invalidRequest("this sign-in request is unknown; start again from your application")
        }
        return try await continueAuthorization(
            hash: String(continuation.dropFirst(Self.pendingContinuationPrefix.count)), handle: nil, userId: userId,
            forceConsent: false, sourceIP: sourceIP)
    }

    private func continueAuthorization(
        hash: String, handle: String?, userId: String, forceConsent: Bool, sourceIP: String?
    ) async throws(AuthorizationError) -> AuthorizationStep {
        do {
            guard try await store.attachUser(pendingIdHash: hash, userId: userId, now: now()) else {
                await auditEvent(
                    "oauth.authorize.reject", .failure, userId: userId, sourceIP: sourceIP,
                    details: ["reason": "pending_expired"])
                throw AuthorizationError.invalidRequest(
                    "this sign-in request expired or belongs to someone else; start again from your application")
            }
            guard let pending = try await store.pending(idHash: hash, now: now()) else {
                throw AuthorizationError.invalidRequest(
                    "this sign-in request expired; start again from your application")
            }
            // A remembered decision is not applied to a loopback redirect: any local program can listen on a
            // loopback port and start a sign-in with another app's client id, so the person decides each time.
            if !forceConsent, !RedirectURIPolicy.isLoopbackRedirect(pending.redirectURI),
                let consent = try await store.consent(userId: userId, clientId: pending.clientId),
                Set(OAuthScopes.parse(pending.scope)).isSubset(of: OAuthScopes.parse(consent.scope))
            {
                let url = try await decide(
                    hash: hash, userId: userId, allow: true, remember: true, sourceIP: sourceIP, remembered: true)
                return .redirect(url)
            }
            if let handle { return .consent(pendingHandle: handle) }
            let fresh = OpaqueSecret.generate(prefix: OpaqueSecret.pendingPrefix)
            guard try await store.rekeyPending(idHash: hash, to: OpaqueSecret.hash(fresh), userId: userId) else {
                throw AuthorizationError.invalidRequest(
                    "this sign-in request expired; start again from your application")
            }
            return .consent(pendingHandle: fresh)
        } catch let error as AuthorizationError {
            throw error
        } catch let error as StorageError {
            throw Self.unavailable(error)
        } catch {
            throw .serverError("the request could not be completed")
        }
    }

    /// What the consent page for `pendingHandle` shows; only to the user the request is bound to.
    public func consentContext(
        pendingHandle: String, userId: String
    ) async throws(AuthorizationError)
        -> ConsentContext
    {
        do {
            guard let pending = try await store.pending(idHash: OpaqueSecret.hash(pendingHandle), now: now()),
                pending.userId == userId, let client = try await store.client(id: pending.clientId)
            else {
                throw AuthorizationError.invalidRequest(
                    "this approval request expired or belongs to another sign-in; start again from your application")
            }
            let scopes = OAuthScopes.parse(pending.scope)
            return ConsentContext(
                client: client, redirectURI: pending.redirectURI,
                redirectHost: RedirectURIPolicy.displayHost(of: pending.redirectURI), scopes: scopes,
                capabilities: OAuthScopes.capabilities(for: scopes))
        } catch let error as AuthorizationError {
            throw error
        } catch let error as StorageError {
            throw Self.unavailable(error)
        } catch {
            throw .serverError("the request could not be completed")
        }
    }

    /// The user's decision on the consent page (the caller has checked the CSRF token). Consumes the pending
    /// request; returns the client redirect: a code (allow) or `access_denied` (deny), with `state` and `iss`.
    public func decide(
        pendingHandle: String, userId: String, allow: Bool, remember: Bool, sourceIP: String?
    ) async throws(AuthorizationError) -> String {
        try await decide(
            hash: OpaqueSecret.hash(pendingHandle), userId: userId, allow: allow, remember: remember,
            sourceIP: sourceIP, remembered: false)
    }

    private func decide(
        hash: String, userId: String, allow: Bool, remember: Bool, sourceIP: String?, remembered: Bool
    ) async throws(AuthorizationError) -> String {
        let now = now()
        let pending: PendingAuthorizationRecord
        do {
            guard let taken = try await store.takePending(idHash: hash, userId: userId),
                taken.expiresAt > now
            else {
                await auditEvent(
                    "oauth.consent", .failure, userId: userId, sourceIP: sourceIP,
                    details: ["reason": "pending_unknown"])
                throw AuthorizationError.invalidRequest(
                    "this approval request expired or was already answered; start again from your application")
            }
            pending = taken
        } catch let error as AuthorizationError {
            throw error
        } catch {
            throw Self.unavailable(StorageError.from(error))
        }
        var items: [(String, String)] = []
        if allow {
            let code = OpaqueSecret.generate(prefix: OpaqueSecret.codePrefix)
            let grant = OAuthGrantRecord(
                id: UUID().uuidString.lowercased(), userId: userId, clientId: pending.clientId, scope: pending.scope,
                resource: pending.resource, createdAt: now)
            let codeRecord = OAuthCodeRecord(
                codeHash: OpaqueSecret.hash(code), grantId: grant.id, clientId: pending.clientId, userId: userId,
                redirectURI: pending.redirectURI, codeChallenge: pending.codeChallenge, resource: pending.resource,
                scope: pending.scope, createdAt: now, expiresAt: now + settings.codeLifetime)
            do {
                try await store.insertGrant(grant, code: codeRecord)
                if remember {
                    try await store.saveConsent(
                        OAuthConsentRecord(
                            userId: userId, clientId: pending.clientId, scope: pending.scope, createdAt: now))
                }
            } catch {
                throw Self.unavailable(error)
            }
            await auditEvent(
                "oauth.consent.allow", userId: userId, clientId: pending.clientId, sourceIP: sourceIP,
                details: ["grant": grant.id, "remembered": remembered ? "1" : "0", "scope": pending.scope])
            items.append(("code", code))
        } else {
            await auditEvent(
                "oauth.consent.deny", .denied, userId: userId, clientId: pending.clientId, sourceIP: sourceIP)
            items.append(("error", "access_denied"))
            items.append(("error_description", "the user declined"))
        }
        if let state = pending.state { items.append(("state", state)) }
        items.append(("iss", settings.issuer))
        return Self.appendQuery(items, to: pending.redirectURI)
    }

    /// Appends query parameters to a redirect URI, percent-encoding everything but RFC 3986 unreserved
    /// characters (so `+`, `&`, `=` and spaces in `state` arrive exactly as sent).
    static func appendQuery(_ items: [(String, String)], to uri: String) -> String {
        let query = items.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
        return uri + (uri.contains("?") ? "&" : "?") + query
    }

    static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
