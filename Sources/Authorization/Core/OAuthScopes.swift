/// The scopes of our access tokens (not Microsoft's). The MCP endpoint requires `mcp`; `mcp:write` lets tools
/// change data (send mail, create events) where the deployment allows writes.
public enum OAuthScopes {
    /// Use graphgate's MCP endpoint and its read tools.
    public static let mcp = "mcp"
    /// Use write tools.
    public static let write = "mcp:write"

    /// Human-readable capabilities for the consent page, per scope.
    public static func capabilities(for scopes: [String]) -> [String] {
        var lines: [String] = []
        if scopes.contains(mcp) {
            lines.append("Read your mail, calendar and contacts in Microsoft 365 (through graphgate's tools)")
        }
        if scopes.contains(write) {
            lines.append("Send mail, and create or change calendar events and contacts, on your behalf")
        }
        return lines
    }

    /// Splits a space-separated scope string, dropping empties and duplicates (order kept).
    public static func parse(_ text: String?) -> [String] {
        var seen = Set<String>()
        return (text ?? "").split(separator: " ").map(String.init).filter { seen.insert($0).inserted }
    }
}
