import Foundation
import Hummingbird
import JSONText
import SecurityOps

/// `/metrics`: the Prometheus text exposition. Requires `Authorization: Bearer <GRAPHGATE_METRICS_TOKEN>` when a
/// token is configured (compared in constant time); on the main port it is served only when a token is set.
package struct MetricsRoutes<Context: RequestContext> {
    let token: String?

    package init(token: String?) { self.token = token }

    package func add(to router: Router<Context>) {
        router.get("metrics") { request, _ -> Response in
            if let token {
                guard let presented = Self.bearer(request), ConstantTime.digestsEqual(presented, token) else {
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
        request.headers[.authorization].flatMap(BearerHeader.token)
    }
}
