import CoreMetrics
import Foundation
import Prometheus

/// The process-wide metrics system: swift-metrics bootstrapped once with swift-prometheus, rendered by `/metrics`.
///
/// swift-metrics allows one bootstrap per process; `bootstrap()` is idempotent, so the server (and every test
/// server in one test process) calls it freely. Handlers created before it runs are no-ops, so modules create
/// their `Counter(label:dimensions:)` at the point of use (swift-prometheus returns the same series each time).
public enum GraphGateMetrics {
    /// The registry `/metrics` renders.
    public static let registry = PrometheusCollectorRegistry()

    private static let once: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[MetricName.graphRequestDuration] = [
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        MetricsSystem.bootstrap(SafeMetricsFactory(wrapping: factory))
    }()

    /// Installs the Prometheus backend (once per process).
    public static func bootstrap() { _ = once }

    /// The Prometheus text exposition (version 0.0.4) of every metric.
    public static func render() -> [UInt8] { registry.emitToBuffer() }

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
