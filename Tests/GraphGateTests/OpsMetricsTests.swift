import AsyncHTTPClient
import Foundation
import Metrics
import Storage
import Testing

@testable import GraphGateApp

@Suite("Ops: /metrics")
struct OpsMetricsTests {
    static let token = "metrics-token-0123456789abcdef"

    @Test(
        "needs the bearer token, parses as Prometheus text, and moves when requests happen",
        arguments: TestDatabases.backends)
    func metricsMove(backend: Storage.Database.Backend) async throws {
        try await TestServer.with(environment: ["GRAPHGATE_METRICS_TOKEN": Self.token], backend: backend) { server in
            let refused = try await server.http.fetch(server.url("/metrics"))
            #expect(refused.status == 401)
            let wrong = try await server.http.fetch(
                server.url("/metrics"), headers: [("Authorization", "Bearer not-the-token-at-all")])
            #expect(wrong.status == 401)

            let before = try await Self.scrape(server)
            let healthz = ["route": "/healthz", "method": "GET", "status": "200"]
            let start = before.value(MetricName.httpRequests, healthz) ?? 0
            for _ in 0..<5 { _ = try await server.http.fetch(server.url("/healthz")) }
            _ = try await server.http.fetch(server.url("/no/such/page"))

            let after = try await Self.scrape(server)
            #expect((after.value(MetricName.httpRequests, healthz) ?? 0) >= start + 5)
            #expect(after.types[MetricName.httpRequests] == "counter")
            #expect(after.types[MetricName.httpRequestDuration] == "histogram")
            // Unknown paths share one series, so scanners cannot grow the label set.
            let unmatched = after.value(MetricName.httpRequests, ["route": "unmatched", "status": "404"]) ?? 0
            #expect(unmatched >= 1, "\(after.samples.filter { $0.name == MetricName.httpRequests })")
            #expect(!after.samples.contains { $0.labels["route"] == "/no/such/page" })
            #expect(after.value(MetricName.info, ["store": backend.rawValue, "mode": "sandbox"]) == 1)
        }
    }

    @Test("the sampler publishes database gauges", arguments: TestDatabases.backends)
    func databaseGauges(backend: Storage.Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            GraphGateMetrics.bootstrap()
            _ = try await SQLUserStore(database: database).upsertUser(
                tenantId: "t-\(UUID().uuidString)", objectId: "o", username: "ada@example.com", displayName: "Ada")
            let sampler = MetricsSampler(
                database: database, store: SQLOperationsStore(database: database), interval: .seconds(60),
                logger: .init(label: "test"))
            await sampler.sampleOnce()
            let text = try PrometheusText(String(decoding: GraphGateMetrics.render(), as: UTF8.self))
            #expect(text.value(MetricName.databaseUp) == 1)
            #expect((text.value(MetricName.users) ?? 0) >= 1)
            if backend == .postgres {
                #expect((text.value(MetricName.databaseConnections) ?? 0) >= 1)
            } else {
                #expect((text.value(MetricName.databaseSizeBytes) ?? 0) > 0)
            }
        }
    }

    @Test("a separate metrics port serves /metrics and the main port does not")
    func separatePort() async throws {
        let port = try TestServer.freePort()
        try await TestServer.with(environment: ["GRAPHGATE_METRICS_PORT": "\(port)"]) { server in
            #expect(try await server.http.fetch(server.url("/metrics")).status == 404)
            var response: (status: Int, body: String)?
            for _ in 0..<50 {
                if let got = try? await server.http.fetch("http://127.0.0.1:\(port)/metrics") {
                    response = (got.status, got.body)
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(response?.status == 200)
            _ = try PrometheusText(response?.body ?? "")
        }
    }

    @Test("two shapes for one metric label do not crash the process")
    func conflictingShapes() throws {
        GraphGateMetrics.bootstrap()
        let label = "graphgate_test_conflict_\(UUID().uuidString.prefix(8).lowercased())"
        Metrics.Counter(label: label, dimensions: [("a", "1")]).increment()
        Metrics.Gauge(label: label).record(3)
        let text = try PrometheusText(String(decoding: GraphGateMetrics.render(), as: UTF8.self))
        #expect(text.value(label, ["a": "1"]) == 1)
        #expect(text.value(label + "_conflict_gauge") == 3)
    }

    static func scrape(_ server: TestServer) async throws -> PrometheusText {
        let response = try await server.http.fetch(
            server.url("/metrics"), headers: [("Authorization", "Bearer \(token)")])
        #expect(response.status == 200)
        #expect(response.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        return try PrometheusText(response.body)
    }
}
