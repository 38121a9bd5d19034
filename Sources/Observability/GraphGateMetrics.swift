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

    /// A registry that replaces ``registry`` for one task tree (see ``withOwnRegistry(_:)``).
    package struct Scope: Sendable {
        let registry: PrometheusCollectorRegistry
        let factory: PrometheusMetricsFactory
    }

    @TaskLocal package static var scope: Scope?

    private static let once: Void = {
        MetricsSystem.bootstrap(SafeMetricsFactory(wrapping: makeFactory(registry)))
    }()

    package static func makeFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[MetricName.graphRequestDuration] = [
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        return factory
    }

    /// Installs the Prometheus backend (once per process).
    public static func bootstrap() { _ = once }

    /// Runs `body` with a fresh registry of its own: every metric recorded by `body` and the tasks it starts
    /// (a whole server run with its requests) goes there, and `render()` within it renders that registry. Several
    /// servers in one process (the tests) thereby count apart; a normal process never uses it.
    package static func withOwnRegistry<R: Sendable>(_ body: () async throws -> R) async rethrows -> R {
        bootstrap()
        let registry = PrometheusCollectorRegistry()
        return try await $scope.withValue(Scope(registry: registry, factory: makeFactory(registry))) {
            try await body()
        }
    }

    /// The Prometheus text exposition (version 0.0.4) of every metric.
    public static func render() -> [UInt8] { (scope?.registry ?? registry).emitToBuffer() }

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
