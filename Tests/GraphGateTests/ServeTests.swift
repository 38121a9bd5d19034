import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import Logging
import NIOFoundationCompat
import ServiceLifecycle
import Storage
import Synchronization
import Testing

@testable import GraphGateApp
@testable import GraphGateSettings

@Suite("graphgate serve")
struct ServeTests {
    @Test("healthz names the mode and the store", arguments: TestDatabases.backends)
    func healthz(backend: Storage.Database.Backend) async throws {
        try await TestApp.with(backend: backend) { app in
            let client = app.client
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
            #expect(json?["mode"] == "sandbox")
            #expect(json?["store"] == backend.rawValue)
        }
    }

    @Test("on a socket, a body declared past its route's limit is refused with 413 before the router reads it")
    func bodyLimitBeforeTheRouter() async throws {
        try await TestServer.with { server in
            let huge = try await server.http.fetch(
                server.url("/oauth/register"), method: .POST, headers: [("Content-Type", "application/json")],
                body:
                    #"{"client_name":"\#(String(repeating: "x", count: 20_000))","redirect_uris":["https://a.example/cb"]}"#
            )
            #expect(huge.status == 413, "refused by the HTTP limits before the body is read")
        }
    }
}

@Suite("graphgate serve: start order")
struct ServeStartOrderTests {
    /// Records whether the store was ready when it started, then runs until shutdown.
    final class ProbeService: Service, Sendable {
        let readiness: StoreReadiness
        let started = Mutex<Bool?>(nil)
        init(_ readiness: StoreReadiness, ready: @escaping @Sendable () -> Bool) {
            self.readiness = readiness
            self.ready = ready
        }
        let ready: @Sendable () -> Bool
        func run() async throws {
            started.withLock { $0 = ready() }
            try? await gracefulShutdown()
        }
    }

    @Test("background services start only once the store is migrated, and not at all when the app stops first")
    func servicesWaitForTheStore() async throws {
        let readiness = StoreReadiness()
        let migrated = Mutex(false)
        let probe = ProbeService(readiness) { migrated.withLock { $0 } }
        let group = ServiceGroup(
            configuration: .init(services: [readiness.gate(probe)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            #expect(probe.started.withLock { $0 } == nil, "started before the store was ready")
            migrated.withLock { $0 = true }
            readiness.markReady()
            for _ in 0..<100 where probe.started.withLock({ $0 }) == nil {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(probe.started.withLock { $0 } == true)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }

        // Stopped while still waiting: the service never runs, and the group ends at once.
        let never = ProbeService(StoreReadiness()) { true }
        let stopped = ServiceGroup(
            configuration: .init(services: [never.readiness.gate(never)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await stopped.run() }
            try await Task.sleep(for: .milliseconds(100))
            await stopped.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(never.started.withLock { $0 } == nil)
    }

    @Test("a store that cannot be reached stops the start with an error instead of serving")
    func unreachableStore() async throws {
        let closed = try TestServer.freePort()
        let config = try GraphGateConfig.load(environment: [
            "GRAPHGATE_DATABASE_URL": "postgres://u:p@127.0.0.1:\(closed)/db?sslmode=disable",
            "GRAPHGATE_PORT": "0",
        ])
        let listening = Mutex(false)
        let started = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            try await GraphGateServer.run(config: config, logger: Logger(label: "test"), gracefulShutdownSignals: []) {
                _ in listening.withLock { $0 = true }
            }
        }
        #expect(!listening.withLock { $0 }, "the server listened before its store was checked")
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
