import Metrics

/// The Graph client's metrics. The labels are defined here, in the lowest module that records them; the app's
/// `MetricName` refers to these constants (`docs/operations.md` lists every metric).
public enum GraphMetrics {
    /// Counter, dimension `status`: one per HTTP attempt (each retry and the retry after a 401 counted on its
    /// own), the HTTP status code, or `network` when no answer came.
    public static let requests = "graphgate_graph_requests_total"
    /// Timer, no dimensions: the duration of each HTTP attempt.
    public static let requestDuration = "graphgate_graph_request_duration_seconds"

    /// Records one HTTP attempt that started at `start`; `status` is nil when no answer came.
    static func attempt(status: Int?, since start: ContinuousClock.Instant) {
        Counter(label: requests, dimensions: [("status", status.map(String.init) ?? "network")]).increment()
        Timer(label: requestDuration).record(duration: ContinuousClock.now - start)
    }
}
