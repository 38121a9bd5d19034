import GraphGateWeb
import Hummingbird
import JSONText
import Logging

/// Logs one line per request: method, the matched route pattern (never the raw path or query string: a client
/// can put a token or code in either, e.g. `GET /<token>`; requests that match no route are `unmatched`), status
/// and duration. Headers are not logged, so `Authorization` and `Cookie` never reach a log.
struct RequestLoggerMiddleware: RouterMiddleware {
    typealias Context = GraphGateRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let start = ContinuousClock.now
        return try await observingStatus({ try await next(request, context) }) { status in
            log(request, context, status: status, start: start)
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let ms = elapsed.inSeconds * 1000
        let route = context.routeName
        context.logger.info(
            "\(request.method) \(route) \(status)",
            metadata: ["gg.status": "\(status)", "gg.ms": "\(Int(ms))"])
    }
}
