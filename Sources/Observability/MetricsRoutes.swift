import Crypto
import Foundation
import Hummingbird
import JSONText

/// `/metrics`: the Prometheus text exposition. Requires `Authorization: Bearer <GRAPHGATE_METRICS_TOKEN>` when a
/// token is configured (compared in constant time); on the main port it is served only when a token is set.
package struct MetricsRoutes<Context: RequestContext> {
    let token: String?

    package init(token: String?) { self.token = token }

    package func add(to router: Router<Context>) {
        router.get("metrics") { request, _ -> Response in
            if let token {
                guard let presented = Self.bearer(request), Self.sameToken(presented, token) else {
                    return Response(
                        status: .unauthorized,
                        headers: [.wwwAuthenticate: "Bearer realm=\"metrics\"", .contentType: "text/plain"],
                        body: .init(
                            byteBuffer: .init(string: "metrics need the bearer token (GRAPHGATE_METRICS_TOKEN)\n")))
                }
            }
            return Response(
                status: .ok, headers: [.contentType: GraphGateMetrics.contentType, .cacheControl: "no-store"],
                body: .init(byteBuffer: .init(bytes: GraphGateMetrics.render())))
        }
    }

    package static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { return nil }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// Compares SHA-256 digests in constant time: neither where the tokens differ nor the configured token's
    /// length shows in the time taken.
    static func sameToken(_ a: String, _ b: String) -> Bool {
        ConstantTime.equals(Array(SHA256.hash(data: Data(a.utf8))), Array(SHA256.hash(data: Data(b.utf8))))
    }
}
