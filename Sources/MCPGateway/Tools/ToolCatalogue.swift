import MCP

/// TEMPORARY shape pinned by the lead so the session code compiles; the tools engineer replaces this file.
public struct ToolCatalogue: Sendable {
    public init() {}

    /// Registers `tools/list` and `tools/call` handlers on `server` that run as `principal`.
    public func register(on server: Server, principal: MCPPrincipal) async {}
}
