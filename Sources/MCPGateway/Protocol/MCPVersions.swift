/// The MCP protocol revisions graphgate speaks, and how a request says which one it uses.
public enum MCPVersions {
    /// Stateless revisions: every request carries its version and capabilities in `params._meta`.
    public static let modern = ["2026-07-28"]
    /// Handshake revisions: `initialize` opens a session (`Mcp-Session-Id`) that fixes version and capabilities.
    public static let handshake = ["2025-11-25", "2025-06-18", "2025-03-26"]
    public static var all: [String] { handshake + modern }

    /// `_meta` keys of a 2026-07-28 request.
    public static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    public static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    public static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
    public static let serverInfoKey = "io.modelcontextprotocol/serverInfo"

    /// The version answered to an `initialize` asking for `requested`: the same when we speak it, else our newest
    /// handshake revision (the client then decides whether it can continue).
    public static func negotiated(_ requested: String?) -> String {
        if let requested, handshake.contains(requested) { return requested }
        return handshake[0]
    }
}
