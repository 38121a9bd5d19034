import GraphGateWeb
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SecurityOps

/// Turns errors into generic answers: a client sees a status, a short message and the request id, never an
/// internal error's text; the details go to the log, redacted.
///
/// - `HTTPError` with a 4xx status: its message, redacted, as `{"error", "error_description", "request_id"}`
///   (headers such as `WWW-Authenticate` kept).
/// - Any other `HTTPResponseError` below 500: passed on (it renders its own, deliberate body).
/// - Everything else, and every 5xx: `500 {"error":"internal_error", "request_id"}`; the error logged at `error`.
/// Place it inside `RequestIDMiddleware`, so the request id is known here.
struct ErrorSanitizerMiddleware: RouterMiddleware {
    typealias Context = GraphGateRequestContext

    let redactor: Redactor

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status.code < 500 {
            let message = redactor.redact(error.body ?? error.status.reasonPhrase)
            var headers = error.headers
            headers[.contentType] = "application/json"
            return Response(
                status: error.status, headers: headers,
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: Self.body(
                            code: Self.code(error.status.code), description: message, requestId: requestId(context)))))
        } catch let error as HTTPResponseError where error.status.code < 500 {
            throw error
        } catch {
            context.logger.error(
                "request failed",
                metadata: [
                    "gg.error": "\(redactor.redact(String(describing: error)))",
                    "gg.error_type": "\(String(describing: type(of: error)))",
                ])
            return Response(
                status: .internalServerError, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: Self.body(
                            code: "internal_error",
                            description: "internal error; quote the request id to your administrator",
                            requestId: requestId(context)))))
        }
    }

    private func requestId(_ context: Context) -> String {
        if case .string(let id) = context.logger[metadataKey: "gg.request_id"] { return id }
        return context.logger[metadataKey: "gg.request_id"].map { "\($0)" } ?? "-"
    }

    static func code(_ status: Int) -> String {
        switch status {
        case 400: "invalid_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "request_too_large"
        case 429: "rate_limited"
        default: "request_failed"
        }
    }

    static func body(code: String, description: String, requestId: String) -> String {
        func json(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case _ where scalar.value < 0x20: out += " "
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        return "{\"error\":\(json(code)),\"error_description\":\(json(description)),\"request_id\":\(json(requestId))}"
    }
}
