/// Who may sign in to graphgate: which Microsoft tenants, and optionally which users or domains inside them.
///
/// Pure and synchronous, so the OAuth callback checks it right after the id_token is verified (with the token's
/// `tid` and `preferred_username`) and before any user row, token or session is written. Comparisons ignore case
/// (tenant ids are GUIDs, usernames are UPNs or email addresses, both case-insensitive at Microsoft).
public struct AccessPolicy: Sendable, Equatable {
    /// The answer for one sign-in. `reason` is safe to show and to audit: it names the rule, never the username.
    public enum Decision: Sendable, Equatable {
        case allowed
        case denied(reason: String)

        public var isAllowed: Bool { self == .allowed }
    }

    /// Tenant ids allowed to sign in; `nil` means any tenant (`GRAPHGATE_ALLOWED_TENANTS=*`).
    public let allowedTenants: Set<String>?
    /// Exact usernames allowed, or principals as `tenant-id/object-id` or an object id (empty, together with
    /// `allowedDomains`, means every user of an allowed tenant). A username only admits the principal it is bound
    /// to (the first that signed in with it; see ``admitsOnlyByUsername(tenantId:objectId:username:)``).
    public let allowedUsers: Set<String>
    /// Domains whose users are allowed (`contoso.com` allows `ada@contoso.com`, not `ada@evil-contoso.com`).
    public let allowedDomains: Set<String>

    /// The Microsoft "tenant" of personal accounts (MSA), as it appears in id_tokens' `tid`.
    public static let personalAccountsTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

    public init(allowedTenants: Set<String>?, allowedUsers: Set<String> = [], allowedDomains: Set<String> = []) {
        self.allowedTenants = allowedTenants.map { Set($0.map { $0.lowercased() }) }
        self.allowedUsers = Set(allowedUsers.map { $0.lowercased() })
        self.allowedDomains = Set(allowedDomains.map { Self.normalizedDomain($0) })
    }

    /// Everyone from anywhere: only for tests and the sandbox.
    public static let anyone = AccessPolicy(allowedTenants: nil)

    public func allows(tenantId: String, username: String, objectId: String? = nil) -> Decision {
        let tenant = tenantId.lowercased()
        if let allowedTenants, !allowedTenants.contains(tenant) {
            return .denied(reason: "your organisation (Microsoft tenant) is not allowed on this server")
        }
        if allowedUsers.isEmpty && allowedDomains.isEmpty { return .allowed }
        if let objectId, listsPrincipal(tenantId: tenant, objectId: objectId) { return .allowed }
        let user = username.lowercased()
        if allowedUsers.contains(user) { return .allowed }
        if let at = user.lastIndex(of: "@") {
            let domain = String(user[user.index(after: at)...])
            if !domain.isEmpty && allowedDomains.contains(domain) { return .allowed }
        }
        return .denied(reason: "your account is not on this server's list of allowed users")
    }

    /// Whether the tenant rule alone lets `tenantId` in.
    public func allowsTenant(_ tenantId: String) -> Bool {
        allowedTenants?.contains(tenantId.lowercased()) ?? true
    }

    /// Whether an allowed sign-in was admitted by its username alone (not its principal, domain or an open
    /// policy): the caller must then check the username is bound to this principal.
    public func admitsOnlyByUsername(tenantId: String, objectId: String, username: String) -> Bool {
        let user = username.lowercased()
        guard allowedUsers.contains(user), !listsPrincipal(tenantId: tenantId.lowercased(), objectId: objectId)
        else { return false }
        guard let at = user.lastIndex(of: "@") else { return true }
        return !allowedDomains.contains(String(user[user.index(after: at)...]))
    }

    private func listsPrincipal(tenantId: String, objectId: String) -> Bool {
        let object = objectId.lowercased()
        return allowedUsers.contains(object) || allowedUsers.contains(tenantId + "/" + object)
    }

    private static func normalizedDomain(_ text: String) -> String {
        var domain = text.lowercased()
        if domain.hasPrefix("@") { domain.removeFirst() }
        return domain
    }
}
