import Hummingbird
import Logging

/// Logs one line per request: method, path (never the query string, which can carry OAuth codes), status and
/// duration. Headers are not logged, so `Authorization` and `Cookie` never reach a log.
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
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        context.logger.info(
            "\(request.method) \(request.uri.path) \(status)",
            metadata: ["gg.status": "\(status)", "gg.ms": "\(Int(ms))"])
    }
}
