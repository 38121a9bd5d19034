import Authorization
import Foundation
import GraphGateWeb
import HTTPTypes
import Hummingbird

/// Discovery: RFC 9728 protected resource metadata (for `/mcp`, also at the bare path) and RFC 8414
/// authorization server metadata. Public, cacheable for a few minutes, readable cross-origin.
struct WellKnownRoutes {
    let settings: AuthorizationSettings

    func add(to router: Router<GraphGateRequestContext>) {
        let resource = settings.protectedResourceMetadata
        let server = settings.authorizationServerMetadata
        router.get(".well-known/oauth-protected-resource") { _, _ in Self.json(resource) }
        router.get(".well-known/oauth-protected-resource/mcp") { _, _ in Self.json(resource) }
        router.get(".well-known/oauth-authorization-server") { _, _ in Self.json(server) }
        for path in [
            ".well-known/oauth-protected-resource", ".well-known/oauth-protected-resource/mcp",
            ".well-known/oauth-authorization-server",
        ] {
            router.on(RouterPath(path), method: .options) { _, _ in CORS.preflight() }
        }
    }

    static func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "public, max-age=300"]
        CORS.allow(&headers)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Cross-origin access for endpoints browser-based MCP clients call without cookies (metadata, registration,
/// token, revocation, `/mcp`). Credentials are never allowed cross-origin.
enum CORS {
    static func allow(_ headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = "*"
        headers[.accessControlExposeHeaders] = "WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version"
    }

    static func preflight() -> Response {
        var headers: HTTPFields = [:]
        allow(&headers)
        headers[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
        headers[.accessControlAllowHeaders] =
            "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID"
        headers[.accessControlMaxAge] = "600"
        return Response(status: .noContent, headers: headers)
    }
}
