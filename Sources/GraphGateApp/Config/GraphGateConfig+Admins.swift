import Storage

extension GraphGateConfig {
    /// Whether `user` has the admin role: `GRAPHGATE_ADMINS` names their username (compared ignoring case, as
    /// Microsoft compares UPNs), their graphgate user id or their Microsoft object id — the same references the
    /// `admin` command accepts.
    public func isAdmin(_ user: User) -> Bool {
        let username = user.username.lowercased()
        return admins.contains { entry in
            entry.lowercased() == username || entry == user.id || entry == user.objectId
        }
    }
}
