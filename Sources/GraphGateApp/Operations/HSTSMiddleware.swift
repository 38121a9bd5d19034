import GraphGateWeb
import HTTPTypes
import Hummingbird

/// `Strict-Transport-Security` on every response when graphgate's public URL is https (served natively or behind
/// a TLS-terminating proxy): browsers then never try plain HTTP for this host again.
struct HSTSMiddleware: RouterMiddleware {
    typealias Context = GraphGateRequestContext

    static let header = HTTPField.Name("Strict-Transport-Security")!
    static let value = "max-age=31536000"

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var response = try await next(request, context)
        if response.headers[Self.header] == nil { response.headers[Self.header] = Self.value }
        return response
    }
}
