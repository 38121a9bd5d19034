import Storage

/// What the account and admin pages show of our OAuth server: approvals, clients and grants, read here so that
/// pages never read the OAuth tables themselves.
extension AuthorizationServer {
    /// The approvals the user remembered, per client.
    public func consents(userId: String) async throws(AuthorizationError) -> [OAuthConsentRecord] {
        do {
            return try await store.consents(userId: userId)
        } catch {
            throw Self.unavailable(error)
        }
    }

    public func consent(userId: String, clientId: String) async throws(AuthorizationError) -> OAuthConsentRecord? {
        do {
            return try await store.consent(userId: userId, clientId: clientId)
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// The registered or fetched clients with these ids (unknown ids are left out), in one read.
    public func clients(ids: [String]) async throws(AuthorizationError) -> [OAuthClientRecord] {
        do {
            return try await store.clients(ids: ids)
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// The active grants of every user in `userIds`, by user id, in one read.
    public func activeGrants(userIds: [String]) async throws(AuthorizationError) -> [String: [OAuthGrantRecord]] {
        do {
            return Dictionary(grouping: try await store.activeGrants(userIds: userIds), by: \.userId)
        } catch {
            throw Self.unavailable(error)
        }
    }
}
