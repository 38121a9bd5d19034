import AsyncHTTPClient
import Foundation
import Metrics
import Observability
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
        try await TestApp.with(environment: ["GRAPHGATE_METRICS_TOKEN": Self.token], backend: backend) { server in
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

    @Test(
        "tool calls, Graph round trips, a token refresh, a rate limit, an alert, audit events and an MCP session move their metrics",
        arguments: TestDatabases.backends)
    func toolCallMetrics(backend: Storage.Database.Backend) async throws {
        let environment = [
            "GRAPHGATE_METRICS_TOKEN": Self.token, "GRAPHGATE_RATE_LIMIT": "8",
            "GRAPHGATE_SEND_ALLOWED_DOMAINS": "contoso.sandbox", "GRAPHGATE_ALERT_THRESHOLDS": "rate_limit_hit=1/1h",
        ]
        // This server counts in a registry of its own, so tests running in parallel do not move these numbers.
        try await GraphGateMetrics.withOwnRegistry {
            try await OAuthFlowTests.withServer(backend: backend, environment: environment) { server, browser in
                let client = try await OAuthTestClient.register(base: server.baseURL, browser: browser)
                let token = try await client.tokens(userIndex: 0).access
                let signIn = try await browser.get(server.url("/account/signin"))
                let tenant = OAuthBrowser.origin(of: try #require(signIn.location))
                let mcp = MCPTestClient(base: server.baseURL, browser: browser)

                // The chain head first: reading it waits until audit rows written behind earlier answers have
                // landed, so the counter scraped next counts the same rows.
                let chainBefore = try await Self.auditHead(server)
                let before = try await Self.scrape(server)
                _ = try await server.http.fetch(tenant + "/_sandbox/requests", method: .DELETE)
                #expect((before.value(MetricName.mcpSessionsOpen) ?? 0) == 0)
                let session = try await mcp.open(token: token)
                #expect(try await Self.scrape(server).value(MetricName.mcpSessionsOpen) == 1)
                let tools = SessionToolCaller(mcp: mcp, token: token, session: session)

                // ok, and a Graph 429 retried inside the same call.
                _ = try await server.http.fetch(
                    tenant + "/_sandbox/faults", method: .PUT,
                    body: #"{"throttleNextRequests":1,"retryAfterSeconds":0}"#)
                let profile = try await tools.call("get_profile")
                #expect(profile.isError == false, "\(profile.text)")
                let me = try #require(
                    profile.text.split(whereSeparator: { " <>\n".contains($0) }).first { $0.contains("@") })
                // error: bad input (nothing sent to Graph); error: Mail.Send not granted yet.
                #expect(try await tools.call("get_message").isError == true)
                let consent = try await tools.call("send_message", #"{"to":["\#(me)"],"subject":"s","body":"b"}"#)
                #expect(consent.isError == true && consent.text.contains("Mail.Send"), "\(consent.text)")
                // Grant it, then denied: a recipient outside GRAPHGATE_SEND_ALLOWED_DOMAINS.
                let prefix = server.baseURL + "/account/consent?"
                let link = try #require(consent.text.range(of: prefix)).lowerBound
                let granted = try await OAuthConsentTests.follow(
                    String(consent.text[link...].prefix { !$0.isWhitespace }), base: server.baseURL, browser: browser,
                    userIndex: 0)
                #expect(granted.body.contains("Mail.Send granted"))
                let outside = try await tools.call(
                    "send_message", #"{"to":["x@fabrikam.example"],"subject":"s","body":"b"}"#)
                #expect(outside.isError == true && outside.text.hasPrefix("Refused"), "\(outside.text)")
                // Microsoft expires the access token: Graph answers 401, the vault refreshes once, the call succeeds.
                let expired = try await server.http.fetch(
                    tenant + "/_sandbox/users/\(me)/expire-access-tokens", method: .POST)
                #expect(expired.status == 200 && !expired.body.contains(#""expired":0"#), "\(expired.body)")
                #expect(try await tools.call("list_mail_folders").isError == false)
                // Then the per-user tool budget (8 a minute) runs out.
                var errors = 1  // get_message errors so far
                var refusal: SessionToolCaller.Answer?
                for _ in 0..<40 {
                    let answer = try await tools.call("get_message")
                    if answer.status == 429 {
                        refusal = answer
                        break
                    }
                    errors += 1
                }
                #expect(refusal != nil, "the tool budget never ran out")

                let during = try await Self.scrape(server)
                let graphLog = try await server.http.fetch(tenant + "/_sandbox/requests")
                #expect(try await mcp.delete(token: token, session: session) == 200)
                let chainAfter = try await Self.auditHead(server)
                let after = try await Self.scrape(server)

                func moved(_ name: String, _ labels: [String: String] = [:], in text: PrometheusText? = nil) -> Double {
                    ((text ?? after).value(name, labels) ?? 0) - (before.value(name, labels) ?? 0)
                }
                let calls = MetricName.toolCalls
                #expect(moved(calls, ["tool": "get_profile", "outcome": "ok"]) == 1)
                #expect(moved(calls, ["tool": "list_mail_folders", "outcome": "ok"]) == 1)
                #expect(moved(calls, ["tool": "get_message", "outcome": "error"]) == Double(errors))
                #expect(moved(calls, ["tool": "send_message", "outcome": "error"]) == 1)
                #expect(moved(calls, ["tool": "send_message", "outcome": "denied"]) == 1)
                #expect(moved(calls, ["tool": "get_message", "outcome": "rate_limited"]) == 1)
                #expect(moved(calls) == Double(errors + 5))
                #expect(moved(MetricName.rateLimitHits, ["scope": "tool"]) == 1)
                #expect(moved(MetricName.rateLimitHits) == 1)
                #expect(moved(MetricName.alerts, ["rule": "rate_limit_hit"]) == 1)
                #expect(moved(MetricName.tokenRefreshes, ["outcome": "ok"]) == 1)
                #expect(moved(MetricName.tokenRefreshes) == 1)

                // Every Graph attempt counted once, by status: what the tenant logged (it does not log the 401 of
                // an expired token, which comes before its log), plus that one 401.
                let logged = try #require(
                    try JSONSerialization.jsonObject(with: Data(graphLog.body.utf8)) as? [String: Any])
                let statuses = (logged["value"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? Int }
                #expect(statuses.filter { $0 == 429 }.count == 1, "\(statuses)")
                #expect(moved(MetricName.graphRequests, ["status": "401"]) == 1)
                for status in Set(statuses) {
                    #expect(
                        moved(MetricName.graphRequests, ["status": "\(status)"], in: during)
                            == Double(statuses.filter { $0 == status }.count), "status \(status)")
                }
                #expect(moved(MetricName.graphRequests, in: during) == Double(statuses.count + 1))
                #expect(
                    moved(MetricName.graphRequestDuration + "_count", in: during) == Double(statuses.count + 1))

                // Audit events: the counter agrees with the chain itself, event by event.
                let events = MetricName.auditEvents
                #expect(moved(events) == Double(chainAfter - chainBefore))
                #expect(moved(events, ["event": "tool.call", "outcome": "success"]) == 2)
                #expect(moved(events, ["event": "tool.call", "outcome": "failure"]) == Double(errors + 1))
                #expect(moved(events, ["event": "tool.call", "outcome": "denied"]) == 1)
                #expect(moved(events, ["event": "token.refresh", "outcome": "success"]) == 1)
                #expect(moved(events, ["event": "security.alert", "outcome": "failure"]) == 1)

                // The session gauge went up with the session and back down when the client deleted it.
                #expect(after.value(MetricName.mcpSessionsOpen) == 0)
                #expect(after.types[MetricName.mcpSessionsOpen] == "gauge")
                #expect(after.types[MetricName.toolCalls] == "counter")
                #expect(!after.samples.contains { $0.name.contains("_conflict_") })
                // Labels stay bounded: no user, message or session ids anywhere.
                #expect(
                    !after.samples.contains { $0.labels.values.contains { $0.contains("@") || $0.contains(session) } })
            }
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
            // The registry is process-wide: a test server elsewhere in this run whose own database probe timed
            // out may record database_up 0 between our sample and our read, so sample again a few times.
            var text = try PrometheusText("")
            for _ in 0..<5 {
                await sampler.sampleOnce()
                text = try PrometheusText(String(decoding: GraphGateMetrics.render(), as: UTF8.self))
                if text.value(MetricName.databaseUp) == 1 { break }
            }
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
        // Picked before binding (the metrics listener does not report the port it bound), below the ephemeral
        // range that parallel tests' servers take their ports from.
        let port = try TestServer.freePort()
        try await TestApp.with(environment: ["GRAPHGATE_METRICS_PORT": "\(port)"]) { server in
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

    @Test("a handler made again counts into the same series, and each task's own registry counts apart")
    func keptHandlers() async throws {
        GraphGateMetrics.bootstrap()
        let label = "graphgate_test_kept_\(UUID().uuidString.prefix(8).lowercased())"
        func count(_ times: Int) {
            for _ in 0..<times { Metrics.Counter(label: label, dimensions: [("a", "1")]).increment() }
            Metrics.Counter(label: label, dimensions: [("a", "2")]).increment()
        }
        func scraped() throws -> PrometheusText {
            try PrometheusText(String(decoding: GraphGateMetrics.render(), as: UTF8.self))
        }
        count(3)
        let first = try await GraphGateMetrics.withOwnRegistry {
            count(5)
            return try scraped()
        }
        let second = try await GraphGateMetrics.withOwnRegistry {
            count(2)
            return try scraped()
        }
        count(1)
        let global = try scraped()
        #expect(global.value(label, ["a": "1"]) == 4)
        #expect(global.value(label, ["a": "2"]) == 2)
        #expect(first.value(label, ["a": "1"]) == 5)
        #expect(second.value(label, ["a": "1"]) == 2)
        #expect(second.value(label, ["a": "2"]) == 1)
        // A destroyed handler is not handed out again: the next one counts in a new series.
        Metrics.Counter(label: label, dimensions: [("a", "1")]).destroy()
        Metrics.Counter(label: label, dimensions: [("a", "1")]).increment()
        #expect(try scraped().value(label, ["a": "1"]) == 1)
    }

    /// The audit chain's last sequence number in the server's store.
    static func auditHead(_ server: TestApp) async throws -> Int64 {
        try await MCPHTTPTests.withStore(server) { database in
            try await AuditSettling.settled(database)
            return try await SQLAuditStore(database: database).head().seq
        }
    }

    static func scrape(_ server: TestApp) async throws -> PrometheusText {
        let response = try await server.http.fetch(
            server.url("/metrics"), headers: [("Authorization", "Bearer \(token)")])
        #expect(response.status == 200)
        #expect(response.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        return try PrometheusText(response.body)
    }
}

/// `tools/call` inside one MCP session over Streamable HTTP (answers come as JSON or as an SSE stream).
struct SessionToolCaller: Sendable {
    struct Answer: Sendable {
        var status: Int
        /// The result's `isError`; nil when the call was refused before MCP (429, 403).
        var isError: Bool?
        var text: String
    }

    let mcp: MCPTestClient
    let token: String
    let session: String

    func call(_ tool: String, _ arguments: String = "{}") async throws -> Answer {
        let body =
            #"{"jsonrpc":"2.0","id":\#(Int.random(in: 1...1_000_000)),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#
        let page = try await mcp.post(body, token: token, session: session)
        guard page.status == 200 else { return Answer(status: page.status, isError: nil, text: page.body) }
        let lines = page.body.split(separator: "\n").map { $0.hasPrefix("data:") ? $0.dropFirst(5) : $0 }
        for line in lines {
            guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let result = json["result"] as? [String: Any]
            else { continue }
            let text = (result["content"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
                .joined(separator: "\n")
            return Answer(status: 200, isError: result["isError"] as? Bool ?? false, text: text)
        }
        throw OAuthBrowser.Failure(description: "no tools/call result in: \(page.body.prefix(300))")
    }
}

extension MCPTestClient {
    /// Ends a session (`DELETE /mcp`); returns the status.
    func delete(token: String, session: String) async throws -> Int {
        try await browser.send(
            base + "/mcp", method: .DELETE,
            headers: [("Authorization", "Bearer \(token)"), ("Mcp-Session-Id", session)],
            body: nil
        ).status
    }
}
