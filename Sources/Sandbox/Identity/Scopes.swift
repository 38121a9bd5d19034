/// The delegated permissions the emulated tenant knows, and which Graph routes need which.
enum Scopes {
    static let graphResource = "https://graph.microsoft.com/"
    static let oidc: Set<String> = ["openid", "profile", "email", "offline_access"]
    static let graph = [
        "User.Read", "User.ReadBasic.All", "User.ReadWrite", "Mail.Read", "Mail.ReadBasic", "Mail.ReadWrite",
        "Mail.Send", "Calendars.Read", "Calendars.ReadWrite", "Contacts.Read", "Contacts.ReadWrite",
        "MailboxSettings.Read", "MailboxSettings.ReadWrite",
    ]
    /// What `.default` means for the pre-registered apps (their static permissions).
    static let appDefault: Set<String> = [
        "User.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "Contacts.ReadWrite",
    ]

    /// Canonical scope names for a space-separated `scope` parameter; nil names the first unknown scope.
    static func parse(_ text: String) -> Result<Set<String>, InvalidScope> {
        var out: Set<String> = []
        for raw in text.split(whereSeparator: { $0 == " " || $0 == "+" }).map(String.init) {
            var s = raw
            if s.lowercased().hasPrefix(graphResource) { s = String(s.dropFirst(graphResource.count)) }
            if s.lowercased().hasPrefix("00000003-0000-0000-c000-000000000000/") {
                s = String(s.split(separator: "/").last ?? "")
            }
            if s == ".default" || s.lowercased() == "https://graph.microsoft.com/.default" {
                out.formUnion(appDefault)
            } else if let o = oidc.first(where: { $0 == s.lowercased() }) {
                out.insert(o)
            } else if let g = graph.first(where: { $0.lowercased() == s.lowercased() }) {
                out.insert(g)
            } else {
                return .failure(InvalidScope(scope: raw))
            }
        }
        return .success(out)
    }

    struct InvalidScope: Error {
        let scope: String
    }

    /// The scopes a consent decision is about (OIDC scopes need no consent).
    static func consentable(_ scopes: Set<String>) -> Set<String> { scopes.subtracting(oidc) }

    /// The `scope` value of a token response: Graph permissions by short name, then OIDC scopes.
    static func responseValue(_ scopes: Set<String>) -> String {
        let g = scopes.subtracting(oidc).sorted()
        let o = scopes.intersection(["openid", "profile", "email"]).sorted()
        return (g + o).joined(separator: " ")
    }

    /// Whether a token's scopes satisfy any of the permissions a route accepts.
    static func allows(_ granted: Set<String>, anyOf required: [String]) -> Bool {
        required.contains { granted.contains($0) }
    }
}
