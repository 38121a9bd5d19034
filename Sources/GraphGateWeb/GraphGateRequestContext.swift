import Hummingbird
import NIOCore

/// The per-request context of graphgate's router: Hummingbird's core storage plus who is calling.
public struct GraphGateRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer (before any trusted-proxy rewriting).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client address after trusted-proxy resolution, set by `RateLimitMiddleware` (which believes
    /// `X-Forwarded-For` only from `GRAPHGATE_TRUSTED_PROXIES`).
    public var clientIP: String?

    /// The client's IP address as text, for rate limits, blocks and audit (the TCP peer unless a trusted proxy
    /// reported the client).
    public var sourceIP: String? { clientIP ?? remoteAddress?.ipAddress }

    /// The matched route pattern (`/oauth/authorize`, `/account/clients/{id}`), never the raw path (a client can put
    /// a token in it), for logs and metrics; `unmatched` when no route matched (Hummingbird names its not-found
    /// responder's endpoint "NotFound").
    public var routeName: String { endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched" }

    /// Request bodies are capped here for every route; `/mcp` and the OAuth endpoints set tighter caps.
    public var maxUploadSize: Int { 1024 * 1024 }
}
