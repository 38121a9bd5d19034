import GraphGateWeb
import Hummingbird
import JSONText
import Metrics
import Observability

/// Counts every request by route pattern, method and status, and times it. The route is the matched pattern
/// (`/oauth/authorize`, `/account/clients/{id}`), never the raw path, so scanners cannot create unbounded series;
/// requests that match no route are counted as `unmatched`.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = GraphGateRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let start = ContinuousClock.now
        return try await observingStatus({ try await next(request, context) }) { status in
            record(request, context, status: status, start: start)
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let route = context.routeName
        let method = request.method.rawValue
        Counter(
            label: MetricName.httpRequests, dimensions: [("route", route), ("method", method), ("status", "\(status)")]
        )
        .increment()
        Timer(label: MetricName.httpRequestDuration, dimensions: [("route", route), ("method", method)])
            .recordInterval(since: start)
    }
}

extension Timer {
    /// Records the time elapsed since `start`.
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.inNanoseconds)
    }
}
