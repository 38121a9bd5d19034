import Crypto
import Foundation
import GraphGateWeb
import HTTPTypes
import Hummingbird

/// Browser hardening headers on every response of graphgate's own server: `nosniff` and `no-referrer`
/// everywhere; on HTML, a Content-Security-Policy that allows nothing but our own page and stylesheet and
/// forbids framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`, against click-jacking of the consent
/// button). HSTS comes from `HSTSMiddleware` when the public URL is https; this adds it only if missing.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = GraphGateRequestContext

    let https: Bool

    static let contentSecurityPolicy =
        "default-src 'self'; style-src '\(WebPage.styleHash)'; img-src 'self' data:; base-uri 'none'; "
        + "frame-ancestors 'none'; object-src 'none'"

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var response = try await next(request, context)
        Self.apply(to: &response.headers, https: https)
        return response
    }

    static func apply(to headers: inout HTTPFields, https: Bool) {
        headers[.xContentTypeOptions] = "nosniff"
        headers[Names.referrerPolicy] = "no-referrer"
        if headers[.contentType]?.hasPrefix("text/html") == true {
            headers[.contentSecurityPolicy] = contentSecurityPolicy
            headers[Names.frameOptions] = "DENY"
            if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
        }
        if https, headers[Names.strictTransportSecurity] == nil {
            headers[Names.strictTransportSecurity] = "max-age=31536000"
        }
    }

    /// The names HTTPTypes has no constant for, checked and lowercased once (not on every response).
    private enum Names {
        static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
        static let frameOptions = HTTPField.Name("X-Frame-Options")!
        static let strictTransportSecurity = HTTPField.Name("Strict-Transport-Security")!
    }
}
