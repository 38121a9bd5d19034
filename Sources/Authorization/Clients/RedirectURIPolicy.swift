import Foundation

/// Which redirect URIs a client may register, and how a requested one is matched.
///
/// Allowed (OAuth 2.1 §2.3.1, RFC 8252): `https` with a host; `http` only on a loopback host (`127.0.0.1`,
/// `[::1]`, `localhost`); private-use schemes of native apps (`com.example.app:/cb`, `cursor://…`). Never: a
/// fragment, user info (the `https://good@evil` trick), whitespace, or schemes that run code or read files.
/// Matching is exact, byte for byte (no case folding, no trailing-slash leniency, no extra query), except the port
/// of an `http` loopback redirect: a native app listens on whatever port is free this time, and OAuth 2.1 §2.3.1
/// and RFC 8252 §7.3 say any port must then be allowed.
public enum RedirectURIPolicy {
    public static let maxLength = 2000
    public static let maxCount = 10

    /// Schemes never accepted, whatever the client says: ones that run code, read files or hand the code to
    /// another program (browsers, shells, Windows protocol handlers such as `ms-msdt` or `search-ms`).
    static let forbiddenSchemes: Set<String> = [
        "javascript", "data", "file", "vbscript", "about", "blob", "filesystem", "view-source", "ftp", "ws", "wss",
        "mailto", "tel", "sms", "chrome", "chrome-extension", "intent", "jar", "resource", "urn",
        "search", "microsoft-edge", "googlechrome", "googlechromes", "firefox", "opera", "shell", "smb", "nfs",
        "ssh", "telnet", "ldap", "ldaps", "gopher", "res", "its", "mk", "hcp", "help", "jnlp", "steam",
    ]
    /// Scheme prefixes never accepted (Windows' `ms-…` handlers, Safari's `x-safari-…`, other browsers').
    static let forbiddenSchemePrefixes = ["ms-", "x-safari-", "microsoft-", "search-", "firefox-", "opera-"]

    /// Why a redirect URI cannot be registered, or nil when it can.
    public static func problem(with uri: String) -> String? {
        guard !uri.isEmpty, uri.utf8.count <= maxLength else { return "redirect URIs must be 1 to 2000 characters" }
        guard uri.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return "redirect URIs must be printable ASCII without spaces"
        }
        guard !uri.contains("#") else { return "redirect URIs must not contain a fragment" }
        guard let components = URLComponents(string: uri), let scheme = components.scheme else {
            return "redirect URIs must be absolute URIs"
        }
        guard scheme == scheme.lowercased() else { return "the scheme of a redirect URI must be lower case" }
        guard components.user == nil, components.password == nil else {
            return "redirect URIs must not contain user information"
        }
        switch scheme {
        case "https":
            guard let host = components.host, !host.isEmpty, !(authority(of: uri)?.contains("@") ?? true) else {
                return "https redirect URIs need a host"
            }
            return nil
        case "http":
            guard let host = components.host, isLoopback(host), !(authority(of: uri)?.contains("@") ?? true) else {
                return "http redirect URIs are allowed only on loopback (127.0.0.1, [::1], localhost)"
            }
            return nil
        default:
            guard scheme.range(of: #"^[a-z][a-z0-9+.\-]*$"#, options: .regularExpression) != nil,
                !forbiddenSchemes.contains(scheme), !forbiddenSchemePrefixes.contains(where: { scheme.hasPrefix($0) })
            else {
                return "this redirect URI scheme is not allowed"
            }
            if let authority = authority(of: uri), authority.contains("@") {
                return "redirect URIs must not contain user information"
            }
            return nil
        }
    }

    /// Exact match against the registered list; an `http` loopback redirect matches whatever its port.
    public static func matches(_ requested: String, registered: [String]) -> Bool {
        if registered.contains(where: { $0.utf8.elementsEqual(requested.utf8) }) { return true }
        guard let portless = loopbackWithoutPort(requested) else { return false }
        return registered.contains { loopbackWithoutPort($0) == portless }
    }

    /// An `http` redirect URI on a loopback host with its port left out (nil for any other URI, or a port that
    /// is not digits): what two loopback redirects must share to match.
    static func loopbackWithoutPort(_ uri: String) -> String? {
        let prefix = "http://"
        guard uri.hasPrefix(prefix), let authority = authority(of: uri) else { return nil }
        var host = Substring(authority)
        var port = Substring("")
        if host.first == "[" {
            guard let end = host.firstIndex(of: "]") else { return nil }
            port = host[host.index(after: end)...]
            host = host[...end]
        } else if let colon = host.firstIndex(of: ":") {
            port = host[colon...]
            host = host[..<colon]
        }
        if !port.isEmpty {
            guard port.first == ":", port.count > 1, port.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return nil
            }
        }
        guard isLoopback(String(host)) else { return nil }
        return prefix + host + uri.dropFirst(prefix.count + authority.count)
    }

    /// The host an approval page shows for a redirect URI (`claude.ai`, `127.0.0.1`, or the app's scheme).
    public static func displayHost(of uri: String) -> String {
        guard let components = URLComponents(string: uri) else { return uri }
        if let host = components.host, !host.isEmpty {
            if let port = components.port { return "\(host):\(port)" }
            return host
        }
        return (components.scheme ?? "app") + ":"
    }

    /// Whether a redirect URI goes to a loopback host (any local program may listen there).
    public static func isLoopbackRedirect(_ uri: String) -> Bool {
        guard let host = URLComponents(string: uri)?.host else { return false }
        return isLoopback(host)
    }

    /// `localhost`, `::1` (brackets or not) or a dotted IPv4 address in 127.0.0.0/8: the one loopback test for
    /// host names (redirect URIs, the Host of an MCP request, http upstreams). A name that only starts with `127.`
    /// (`127.0.0.1.evil.example`) is not loopback. Runs for every MCP request on a loopback deployment: no
    /// Foundation character sets.
    public static func isLoopback(_ host: String) -> Bool {
        var bare = Substring(host)
        while bare.first == "[" { bare.removeFirst() }
        while bare.last == "]" { bare.removeLast() }
        if bare == "::1" || (bare.utf8.count == 9 && bare.lowercased() == "localhost") { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `host:port` or `[v6]:port` → the host (brackets kept).
    public static func hostName(ofAuthority authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") { return String(authority[...end]) }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// The text between `//` and the next `/`, `?` or end (nil when there is no authority).
    static func authority(of uri: String) -> String? {
        guard let range = uri.range(of: "://") else { return nil }
        let rest = uri[range.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        return String(rest[..<end])
    }
}
