import Authorization
import Foundation
import Storage

extension GraphGateConfig {
    /// Whether `user` has the admin role: `GRAPHGATE_ADMINS` names their graphgate user id, their Microsoft
    /// object id or `tenant-id/object-id`, or a username bound to their (tenant id, object id) (the first
    /// principal to sign in with a configured username keeps it, renamed or not; nobody else gets it).
    public func isAdmin(_ user: User, bindings: any UsernameBindingStore) async throws -> Bool {
        let username = user.username.lowercased()
        let principal = (user.tenantId + "/" + user.objectId).lowercased()
        let bound = try await bindings.usernames(tenantId: user.tenantId, objectId: user.objectId)
        for entry in admins {
            let lowered = entry.lowercased()
            if entry == user.id || lowered == user.objectId.lowercased() || lowered == principal { return true }
            if bound.contains(lowered) { return true }
            if lowered == username,
                try await bindings.claim(
                    username: username, tenantId: user.tenantId, objectId: user.objectId, now: Timestamp.now)
            {
                return true
            }
        }
        return false
    }

    /// The sign-in access decision on a verified id_token, keyed by (tid, oid): `policy` by principal, domain or
    /// tenant; a configured username only for the principal it is bound to (bound here on its first use, which
    /// also binds admin usernames); a principal renamed since keeps the usernames bound to it.
    package func admits(
        tenantId: String, objectId: String, username: String, policy: AccessPolicy,
        bindings: any UsernameBindingStore
    ) async -> Bool {
        let name = username.lowercased()
        var claimed = false
        if admins.contains(where: { $0.lowercased() == name }) || policy.allowedUsers.contains(name) {
            claimed =
                (try? await bindings.claim(username: name, tenantId: tenantId, objectId: objectId, now: Timestamp.now))
                ?? false
        }
        if policy.allows(tenantId: tenantId, username: username, objectId: objectId).isAllowed,
            claimed || !policy.admitsOnlyByUsername(tenantId: tenantId, objectId: objectId, username: username)
        {
            return true
        }
        guard policy.allowsTenant(tenantId) else { return false }
        let bound = (try? await bindings.usernames(tenantId: tenantId, objectId: objectId)) ?? []
        return bound.contains { policy.allowedUsers.contains($0) }
    }
}
