import JSONText
import Logging
import Metrics
import ServiceLifecycle
import Storage

/// Samples gauges that live in the database (users, open browser sessions, connection and size figures, database
/// probe time) every `interval`, until graceful shutdown.
package struct MetricsSampler: Service {
    let database: Database
    let store: any OperationsStore
    let interval: Duration
    let logger: Logger

    package init(database: Database, store: any OperationsStore, interval: Duration, logger: Logger) {
        self.database = database
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        Gauge(label: MetricName.databasePoolMax).record(database.backend == .postgres ? 16 : 1)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await sampleOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    package func sampleOnce() async {
        let start = ContinuousClock.now
        do {
            try await database.checkReachable(timeout: .seconds(5))
            let elapsed = ContinuousClock.now - start
            Gauge(label: MetricName.databaseProbeSeconds)
                .record(elapsed.inSeconds)
            Gauge(label: MetricName.databaseUp).record(1)
            let sample = try await store.sample(now: Timestamp.now)
            Gauge(label: MetricName.users).record(sample.users)
            Gauge(label: MetricName.browserSessionsOpen).record(sample.browserSessionsOpen)
            for state in ["active", "idle", "idle in transaction"] where sample.connectionsByState[state] == nil {
                if database.backend == .postgres {
                    Gauge(label: MetricName.databaseConnections, dimensions: [("state", state)]).record(0)
                }
            }
            for (state, count) in sample.connectionsByState {
                Gauge(label: MetricName.databaseConnections, dimensions: [("state", state)]).record(count)
            }
            if let size = sample.sizeBytes { Gauge(label: MetricName.databaseSizeBytes).record(size) }
        } catch {
            guard !Task.isCancelled else { return }  // stopping: not a failure of the store
            Gauge(label: MetricName.databaseUp).record(0)
            logger.warning("metrics sample failed", metadata: ["gg.error": "\(error)"])
        }
    }
}
