import Authorization
import Foundation
import GraphGateWeb
import HTTPTypes
import Hummingbird

/// Discovery: RFC 9728 protected resource metadata (for `/mcp`, also at the bare path) and RFC 8414
/// authorization server metadata. Public, cacheable for a few minutes, readable cross-origin.
struct WellKnownRoutes {
    let settings: AuthorizationSettings

    /// With a public URL that has a path (`https://host/gg`, behind a proxy), RFC 8414 and RFC 9728 put the
    /// metadata at `/.well-known/oauth-authorization-server/gg` and `/.well-known/oauth-protected-resource/gg/mcp`:
    /// served too (a proxy that forwards `/.well-known/` brings clients here).
    func add(to router: Router<GraphGateRequestContext>) {
        let resource = settings.protectedResourceMetadata
        let server = settings.authorizationServerMetadata
        let issuerPath =
            URL(string: settings.issuer)?.path.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? ""
        let suffix = issuerPath.isEmpty ? "" : "/" + issuerPath
        var resourcePaths = [".well-known/oauth-protected-resource", ".well-known/oauth-protected-resource/mcp"]
        var serverPaths = [".well-known/oauth-authorization-server"]
        if !suffix.isEmpty {
            resourcePaths.append(".well-known/oauth-protected-resource\(suffix)/mcp")
            serverPaths.append(".well-known/oauth-authorization-server\(suffix)")
        }
        for path in resourcePaths { router.get(RouterPath(path)) { _, _ in Self.json(resource) } }
        for path in serverPaths { router.get(RouterPath(path)) { _, _ in Self.json(server) } }
        for path in resourcePaths + serverPaths {
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
