import GraphGateWeb
import Hummingbird
import JSONText
import Logging
import Metrics
import Observability

/// Observes every request once, when its status is known: one log line and the HTTP metrics.
///
/// - The log line: method, the matched route pattern, status and duration. Never the raw path or query string
///   (a client can put a token or code in either, e.g. `GET /<token>`), never headers, so `Authorization` and
///   `Cookie` never reach a log.
/// - The metrics: every request counted by route pattern, method and status, and timed. The route is the matched
///   pattern (`/oauth/authorize`, `/account/clients/{id}`), so scanners cannot create unbounded series; requests
///   that match no route are `unmatched`.
struct RequestObserverMiddleware: RouterMiddleware {
    typealias Context = GraphGateRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let start = ContinuousClock.now
        return try await observingStatus({ try await next(request, context) }) { status in
            observe(request, context, status: status, elapsed: ContinuousClock.now - start)
        }
    }

    private func observe(_ request: Request, _ context: Context, status: Int, elapsed: Duration) {
        let route = context.routeName
        let method = request.method.rawValue
        context.logger.info(
            "\(request.method) \(route) \(status)",
            metadata: ["gg.status": "\(status)", "gg.ms": "\(elapsed.inMilliseconds)"])
        Counter(
            label: MetricName.httpRequests, dimensions: [("route", route), ("method", method), ("status", "\(status)")]
        )
        .increment()
        Timer(label: MetricName.httpRequestDuration, dimensions: [("route", route), ("method", method)])
            .recordNanoseconds(elapsed.inNanoseconds)
    }
}
