import AsyncHTTPClient
import Foundation
import GraphGateSettings
import Hummingbird
import Logging
import NIOCore
import SecurityOps
import Storage
import Synchronization
import Testing

/// A local webhook receiver: a tiny Hummingbird app on a free loopback port that records every POST body and
/// can refuse the first `failFirst` of them with 503.
struct WebhookReceiver: Sendable {
    final class State: Sendable {
        let bodies = Mutex<[String]>([])
        let refusals = Mutex<Int>(0)
    }

    static func with<R: Sendable>(
        failFirst: Int = 0, _ body: @escaping @Sendable (String, State) async throws -> R
    ) async throws -> R {
        let state = State()
        state.refusals.withLock { $0 = failFirst }
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let refuse = state.refusals.withLock { left -> Bool in
                if left > 0 { left -= 1; return true }
                return false
            }
            state.bodies.withLock { $0.append(String(buffer: buffer)) }
            return Response(status: refuse ? .serviceUnavailable : .noContent)
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw StorageError.unavailable("receiver did not start") }
            defer { group.cancelAll() }
            return try await body("http://127.0.0.1:\(port)/hook", state)
        }
    }
}

/// Records audit events in memory.
actor MemoryAudit: AuditRecorder {
    var events: [AuditEvent] = []
    func record(_ event: AuditEvent) async { events.append(event) }
}

@Suite("Security monitor")
struct MonitorTests {
    @Test(
        "crossing a threshold fires the webhook exactly once per window, audits, and blocks",
        arguments: TestDatabases.backends)
    func thresholdFiresOnce(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            try await WebhookReceiver.with { url, state in
                let http = HTTPClient(eventLoopGroupProvider: .singleton)
                defer { _ = http.shutdown() }
                let webhook = AlertWebhook(
                    url: url, httpClient: http, logger: Logger(label: "hook"), backoff: .milliseconds(10))
                let audit = MemoryAudit()
                let now = Mutex<Int64>(1_800_000_000)
                let users = SQLUserStore(database: database)
                let rule = MonitorRule(
                    signal: .failedAuth, threshold: 5, window: .seconds(300), blockFor: .seconds(600))
                // Two monitors on one database stand for two instances.
                let monitors = (0..<2).map { _ in
                    SecurityMonitor(
                        store: SQLAlertStore(database: database), users: users, audit: audit, webhook: webhook,
                        rules: [rule], logger: Logger(label: "monitor"), clock: { now.withLock { $0 } })
                }
                let delivery = Task { await webhook.run() }
                defer { delivery.cancel() }

                var fired: [SecurityAlert] = []
                for index in 0..<20 {
                    fired += await monitors[index % 2].report(.failedAuth, subjects: ["ip:192.0.2.7"])
                }
                #expect(fired.count == 1)
                #expect(fired.first?.count == 5)
                // The next window fires once more.
                now.withLock { $0 += 300 }
                for index in 0..<12 {
                    fired += await monitors[index % 2].report(.failedAuth, subjects: ["ip:192.0.2.7"])
                }
                #expect(fired.count == 2)

                // Wait for delivery (bounded).
                for _ in 0..<100 where state.bodies.withLock({ $0.count }) < 2 {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let bodies = state.bodies.withLock { $0 }
                #expect(bodies.count == 2)
                let decoded = try bodies.map { try JSONDecoder().decode(SecurityAlert.self, from: Data($0.utf8)) }
                #expect(Set(decoded.map(\.id)).count == 2)
                #expect(decoded.allSatisfy { $0.rule == "failed_auth" && $0.subject == "ip:192.0.2.7" })

                let block = try await users.activeBlock(subject: "ip:192.0.2.7")
                #expect(block?.createdBy == "monitor")
                let types = await audit.events.map(\.type)
                #expect(types.filter { $0 == "security.alert" }.count == 2)
                #expect(types.contains("security.auto_block"))
            }
        }
    }

    @Test(
        "a burst across a window boundary still alerts; the same count spread over more than a window does not",
        arguments: TestDatabases.backends)
    func burstAcrossBoundary(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let start: Int64 = 1_800_000_000  // a multiple of 300: a window boundary
            let now = Mutex<Int64>(start)
            let monitor = SecurityMonitor(
                store: SQLAlertStore(database: database), users: SQLUserStore(database: database),
                audit: MemoryAudit(), webhook: nil,
                rules: [MonitorRule(signal: .failedAuth, threshold: 5, window: .seconds(300))],
                logger: Logger(label: "monitor"), clock: { now.withLock { $0 } })
            func report(_ times: Int, at time: Int64, subject: String) async -> [SecurityAlert] {
                now.withLock { $0 = time }
                var fired: [SecurityAlert] = []
                for _ in 0..<times { fired += await monitor.report(.failedAuth, subjects: [subject]) }
                return fired
            }

            // Four failures one second before the boundary, one two seconds later: five within three seconds.
            #expect(await report(4, at: start + 299, subject: "ip:192.0.2.8").isEmpty)
            let fired = await report(1, at: start + 301, subject: "ip:192.0.2.8")
            #expect(fired.count == 1)
            #expect(fired.first?.count == 5)
            #expect(fired.first?.windowSeconds == 300)
            #expect(fired.first?.windowStart == start + 150)
            // More of the same burst raises nothing new.
            #expect(await report(3, at: start + 302, subject: "ip:192.0.2.8").isEmpty)

            // Four failures, then four more 5 minutes later: never five within one window.
            #expect(await report(4, at: start + 10, subject: "ip:192.0.2.9").isEmpty)
            #expect(await report(4, at: start + 310, subject: "ip:192.0.2.9").isEmpty)

            // An attack that goes on (five in every half window) is raised again once per window.
            var flood: [SecurityAlert] = []
            for half in 0..<4 { flood += await report(5, at: start + 600 + 150 * Int64(half), subject: "ip:192.0.2.10") }
            #expect(flood.map(\.windowStart) == [start + 450, start + 750])

            // A steady pace that brings every window to the threshold (three per half window): once per window too.
            var steady: [SecurityAlert] = []
            for half in 0..<4 {
                steady += await report(3, at: start + 1200 + 150 * Int64(half), subject: "ip:192.0.2.11")
            }
            #expect(steady.map(\.windowStart) == [start + 1200, start + 1500])
        }
    }

    @Test("one cross-user attempt alerts at once; a refused delivery is retried with the same id")
    func crossUserRetried() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database in
            try await WebhookReceiver.with(failFirst: 2) { url, state in
                let http = HTTPClient(eventLoopGroupProvider: .singleton)
                defer { _ = http.shutdown() }
                let webhook = AlertWebhook(
                    url: url, httpClient: http, logger: Logger(label: "hook"), backoff: .milliseconds(10))
                let monitor = SecurityMonitor(
                    store: SQLAlertStore(database: database), users: SQLUserStore(database: database),
                    audit: MemoryAudit(), webhook: nil, logger: Logger(label: "monitor"))
                let alerts = await monitor.report(.crossUserAccess, subjects: ["user:u-1"])
                let alert = try #require(alerts.first)
                #expect(await webhook.deliver(alert))
                let bodies = state.bodies.withLock { $0 }
                #expect(bodies.count == 3)
                #expect(Set(bodies).count == 1, "retries carry the same alert")
                #expect(!bodies[0].contains("token"))
            }
        }
    }

    @Test("thresholds are configurable from GRAPHGATE_ALERT_THRESHOLDS")
    func configuredThresholds() throws {
        let config = try GraphGateConfigProbe.load(["GRAPHGATE_ALERT_THRESHOLDS": "failed_auth=3/1m/block5m,send=7/1h"])
        let failed = try #require(config.first { $0.signal == .failedAuth })
        #expect(failed.threshold == 3 && failed.window == .seconds(60) && failed.blockFor == .seconds(300))
        #expect(config.first { $0.signal == .send }?.threshold == 7)
        #expect(throws: (any Error).self) { try GraphGateConfigProbe.load(["GRAPHGATE_ALERT_THRESHOLDS": "nope=1"]) }
    }
}

/// Loads the monitor rules the way `serve` does, from environment variables only.
enum GraphGateConfigProbe {
    static func load(_ environment: [String: String]) throws -> [MonitorRule] {
        try GraphGateConfig.load(environment: environment).security.rules
    }
}

@Suite("Audited failures reach the monitor")
struct MonitoringAuditRecorderTests {
    @Test("audit events become monitor signals: cross-user at once, failed auth by address, sends by user")
    func auditedEventsAreSignals() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database in
            let log = MemoryAudit()
            // One instant for the whole test: the counts must not straddle a window boundary.
            let now = Timestamp.now
            let monitor = SecurityMonitor(
                store: SQLAlertStore(database: database), users: SQLUserStore(database: database), audit: log,
                webhook: nil, rules: MonitorRule.defaults, logger: Logger(label: "monitor"), clock: { now })
            let recorder = MonitoringAuditRecorder(audit: log, monitor: monitor)
            // One cross-user session attempt alerts immediately.
            await recorder.record(
                AuditEvent(
                    "mcp.session.cross_user", outcome: .denied, userId: "u-b", details: ["session_user_id": "u-a"]))
            var types = await log.events.map(\.type)
            #expect(types.filter { $0 == "security.alert" }.count == 1)
            // Thirty failed code exchanges from one address reach the failed-auth threshold once.
            for _ in 0..<30 {
                await recorder.record(AuditEvent("token.code", outcome: .failure, sourceIP: "198.51.100.9"))
            }
            types = await log.events.map(\.type)
            #expect(types.filter { $0 == "security.alert" }.count == 2)
            // Bad bearer tokens are their own signal: alerted on at 300, never blocking the address.
            for _ in 0..<300 {
                await recorder.record(AuditEvent("mcp.auth", outcome: .failure, sourceIP: "198.51.100.10"))
            }
            types = await log.events.map(\.type)
            #expect(types.filter { $0 == "security.alert" }.count == 3)
            #expect(types.filter { $0 == "security.auto_block" }.count == 1, "only the failed-auth address")
            let bearerBlock = try? await SQLUserStore(database: database).activeBlock(subject: "ip:198.51.100.10")
            #expect(bearerBlock == .some(nil), "looked up, and no block")
            // Harmless events are recorded and counted for nothing.
            await recorder.record(AuditEvent("tool.call", userId: "u-b"))
            types = await log.events.map(\.type)
            #expect(types.filter { $0 == "security.alert" }.count == 3)
            #expect(types.filter { $0 == "mcp.auth" }.count == 300)
        }
    }

    @Test("loopback is alerted on but never blocked automatically (a local proxy would lock everyone out)")
    func loopbackIsNotAutoBlocked() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database in
            let log = MemoryAudit()
            let users = SQLUserStore(database: database)
            let now = Timestamp.now  // one window for the whole test
            let monitor = SecurityMonitor(
                store: SQLAlertStore(database: database), users: users, audit: log, webhook: nil,
                rules: MonitorRule.defaults, logger: Logger(label: "monitor"), clock: { now })
            let recorder = MonitoringAuditRecorder(audit: log, monitor: monitor)
            for _ in 0..<30 {
                await recorder.record(AuditEvent("login", outcome: .failure, sourceIP: "127.0.0.1"))
                await recorder.record(AuditEvent("login", outcome: .failure, sourceIP: "203.0.113.4"))
            }
            let types = await log.events.map(\.type)
            #expect(types.filter { $0 == "security.alert" }.count == 2)
            let loopback = try await users.activeBlock(subject: "ip:127.0.0.1")
            let remote = try await users.activeBlock(subject: "ip:203.0.113.4")
            #expect(loopback == nil)
            #expect(remote != nil)
        }
    }
}
