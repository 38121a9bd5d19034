/// Which protocol era a request belongs to, and the version it uses.
public enum MCPEra: Sendable, Equatable {
    /// 2026-07-28 and later: stateless, version and capabilities in every request's `_meta`.
    case modern(version: String)
    /// 2025-03-26 … 2025-11-25: version and capabilities fixed by `initialize` for a session.
    case handshake(version: String)
}

/// What the core knows about one request besides its JSON-RPC body.
public struct MCPRequestContext: Sendable {
    /// Who asks: from the bearer token presented with this very request (its scopes decide what it may do).
    public var principal: MCPPrincipal
    public var era: MCPEra
    /// The client's capabilities: this request's `_meta` (modern), or the session's `initialize` (handshake).
    public var clientCapabilities: Value
    /// Handshake era: asks the person in-band (`elicitation/create` to the client and its answer); nil when the
    /// transport cannot, and then the question is `.unsupported`.
    public var askInBand: (@Sendable (Elicitation) async -> ElicitationAnswer)?

    public init(
        principal: MCPPrincipal, era: MCPEra, clientCapabilities: Value,
        askInBand: (@Sendable (Elicitation) async -> ElicitationAnswer)? = nil
    ) {
        self.principal = principal
        self.era = era
        self.clientCapabilities = clientCapabilities
        self.askInBand = askInBand
    }

    /// Whether the client declared (form) elicitation.
    var canElicit: Bool {
        guard case .object(let elicitation)? = clientCapabilities["elicitation"] else { return false }
        // `{}` means form mode; `{"url": {}}` alone means URL mode only.
        return elicitation.isEmpty || elicitation["form"] != nil
    }
}
