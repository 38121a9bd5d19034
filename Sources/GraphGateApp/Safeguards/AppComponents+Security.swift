import GraphGateWeb
import Hummingbird

extension AppComponents {
    /// Error sanitising, then the pre-authentication gate (client address, IP blocks, IP rate limits).
    /// Added after the request observer (its log line and metrics), so the logged status is the one the client got.
    func addSecurityMiddleware(to router: Router<GraphGateRequestContext>) {
        router.middlewares.add(ErrorSanitizerMiddleware(redactor: security.redactor))
        router.middlewares.add(RateLimitMiddleware(security: security))
    }
}
