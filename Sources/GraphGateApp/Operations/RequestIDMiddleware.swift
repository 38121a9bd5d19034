import Foundation
import GraphGateWeb
import HTTPTypes
import Hummingbird
import JSONText
import Logging
import Observability

/// Gives every request an id: the caller's `X-Request-Id` when it is a plain token (a proxy's id, so its log lines
/// and ours join up), else a fresh random one. It goes into the request logger's metadata (`gg.request_id`), so
/// every line logged through `context.logger` carries it; it is also bound as `RequestLogContext.requestId` for the
/// request's task, so tool and Graph lines logged through other loggers carry it too; and it goes back to the
/// caller in `X-Request-Id`.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GraphGateRequestContext

    static let header = HTTPField.Name("X-Request-Id")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let id = request.headers[Self.header].flatMap(Self.acceptable) ?? Self.generate()
        var context = context
        context.logger[metadataKey: "gg.request_id"] = .string(id)
        do {
            var response = try await RequestLogContext.$requestId.withValue(id) { try await next(request, context) }
            response.headers[Self.header] = id
            return response
        } catch let error as HTTPError {
            var headers = error.headers
            headers[Self.header] = id
            throw HTTPError(error.status, headers: headers, message: error.body)
        }
    }

    /// Accepts 8–64 characters of `[A-Za-z0-9._-]` (nothing that could forge a log line or carry a secret's shape).
    static func acceptable(_ text: String) -> String? {
        guard (8...64).contains(text.utf8.count),
            text.utf8.allSatisfy({ $0 < 0x80 && (isalnum(Int32($0)) != 0 || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D) })
        else { return nil }
        return text
    }

    static func generate() -> String {
        SystemRandom.hex(12)  // 96 bits
    }
}
