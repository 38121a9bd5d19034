import Foundation

/// Delegated Microsoft Graph permissions graphgate asks for: read-only at first sign-in, write ones only when a
/// write tool first needs them (incremental consent).
public enum MicrosoftScopes {
    /// OpenID Connect scopes (no consent of their own).
    public static let openID: [String] = ["offline_access", "openid", "profile"]
    /// Asked at first sign-in.
    public static let readOnly: [String] = ["User.Read", "Mail.Read", "Calendars.Read", "Contacts.Read"]
    /// Asked only through `additionalScopes`.
    public static let write: [String] = ["Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "Contacts.ReadWrite"]
    /// The first-login request: `User.Read Mail.Read Calendars.Read Contacts.Read offline_access openid profile`.
    public static let initial: [String] = readOnly + openID

    private static let graphPrefix = "https://graph.microsoft.com/"

    /// Canonical short names (`Mail.Read`), dropping Graph's resource prefix and duplicates, order kept.
    public static func normalize<S: Sequence<String>>(_ scopes: S) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for raw in scopes {
            var scope = raw.trimmingCharacters(in: .whitespaces)
            if scope.lowercased().hasPrefix(graphPrefix) { scope = String(scope.dropFirst(graphPrefix.count)) }
            guard !scope.isEmpty, seen.insert(scope.lowercased()).inserted else { continue }
            out.append(scope)
        }
        return out
    }

    /// Splits a space-separated `scope` value and normalizes it.
    public static func parse(_ text: String) -> [String] {
        normalize(text.split(separator: " ").map(String.init))
    }

    /// Whether `granted` satisfies `scope`: exact (case-insensitive) match, or a ReadWrite grant covering Read.
    public static func covers(_ granted: Set<String>, _ scope: String) -> Bool {
        let lower = Set(granted.map { $0.lowercased() })
        let wanted = scope.lowercased()
        if lower.contains(wanted) { return true }
        if wanted.hasSuffix(".read") { return lower.contains(wanted.dropLast(".read".count) + ".readwrite") }
        return false
    }

    /// The subset of `required` not covered by `granted`.
    public static func missing(_ required: [String], granted: Set<String>) -> [String] {
        normalize(required).filter { !covers(granted, $0) }
    }
}
