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
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, start: start)
            return response
        } catch let error as HTTPResponseError {
            log(request, context, status: error.status.code, start: start)
            throw error
        } catch {
            log(request, context, status: 500, start: start)
            throw error
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
