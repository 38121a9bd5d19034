import Storage

extension AuthorizationServer {
    /// Ends everything of a user: every grant (so every access and refresh token), every browser session, and
    /// (through `onRevoke`) every live MCP session. For admin and incident actions. Returns the grant ids.
    @discardableResult
    public func revokeAll(userId: String, reason: String, actor: String) async throws(AuthorizationError) -> [String] {
        let ids: [String]
        do {
            ids = try await store.revokeGrants(userId: userId, reason: reason, now: now())
            try await browserSessions.deleteSessions(userId: userId)
        } catch {
            throw Self.unavailable(error)
        }
        await onRevoke(.user(userId))
        await auditEvent(
            "oauth.revoke_all", userId: userId, details: ["grants": "\(ids.count)", "actor": actor, "reason": reason])
        logger.notice("revoked all access of a user", metadata: ["gg.user": "\(userId)", "gg.grants": "\(ids.count)"])
        return ids
    }

    /// Ends one grant: its tokens, and (through `onRevoke`) its live MCP sessions. False if it was unknown or
    /// already revoked.
    @discardableResult
    public func revoke(grantId: String, reason: String, actor: String) async throws(AuthorizationError) -> Bool {
        let revoked: Bool
        let grant: OAuthGrantRecord?
        do {
            grant = try await store.grant(id: grantId)
            revoked = try await store.revokeGrant(id: grantId, reason: reason, now: now())
        } catch {
            throw Self.unavailable(error)
        }
        await onRevoke(.grants([grantId]))
        await auditEvent(
            "oauth.grant.revoke", revoked ? .success : .failure, userId: grant?.userId, clientId: grant?.clientId,
            details: ["grant": grantId, "actor": actor, "reason": reason])
        return revoked
    }

    /// Withdraws the remembered approval of a client and ends its grants (the account page's "remove access").
    @discardableResult
    public func withdrawConsent(
        userId: String, clientId: String, actor: String
    ) async throws(AuthorizationError)
        -> [String]
    {
        let ids: [String]
        do {
            _ = try await store.deleteConsent(userId: userId, clientId: clientId)
            ids = try await store.revokeGrants(
                userId: userId, clientId: clientId, reason: "consent_withdrawn", now: now())
        } catch {
            throw Self.unavailable(error)
        }
        if !ids.isEmpty { await onRevoke(.grants(ids)) }
        await auditEvent("oauth.consent.withdraw", userId: userId, clientId: clientId, details: ["actor": actor])
        return ids
    }

    /// Grants (active by default) of a user, for the account page and admin commands.
    public func grants(
        userId: String, includeRevoked: Bool = false
    ) async throws(AuthorizationError)
        -> [OAuthGrantRecord]
    {
        do {
            return try await store.grants(userId: userId, includeRevoked: includeRevoked)
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// Deletes expired pending requests, codes, tokens and browser sessions.
    public func purgeExpired() async throws(AuthorizationError) {
        do {
            try await store.purgeExpired(now: now())
            // A registration that never got a token (abandoned, or registration spam) goes after a week; a client
            // that was used is kept for the idle lifetime, so its user can sign in again with the client id it
            // kept after its grant ended (clients do not register again on their own).
            let removed = try await store.deleteIdleClients(
                before: now() - settings.clientIdleLifetime,
                neverUsedBefore: now() - min(settings.clientIdleLifetime, 7 * 86_400))
            if removed > 0 { logger.info("deleted idle OAuth clients", metadata: ["gg.count": "\(removed)"]) }
            try await browserSessions.purgeExpiredSessions(now: now(), idleTimeout: settings.browserSessionIdleTimeout)
        } catch {
            throw Self.unavailable(error)
        }
    }
}
