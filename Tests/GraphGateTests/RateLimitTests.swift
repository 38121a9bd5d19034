import AsyncHTTPClient
import Foundation
import GraphGateApp
import Logging
import SecurityOps
import Storage
import Synchronization
import Testing

@Suite("Rate limits")
struct RateLimitTests {
    static let budget = RateBudget(name: "test", capacity: 5, period: .seconds(10))

    @Test("a bucket refuses after its budget with a Retry-After, and refills with time")
    func inMemoryBucket() async {
        let now = Mutex<Int64>(1_000_000)
        let limiter = InMemoryRateLimiter(clock: { now.withLock { $0 } })
        for _ in 0..<5 { #expect(await limiter.take("ip:a", budget: Self.budget).allowed) }
        let refused = await limiter.take("ip:a", budget: Self.budget)
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 2)
        #expect(await limiter.take("ip:b", budget: Self.budget).allowed, "other keys have their own bucket")
        now.withLock { $0 += 2_000 }
        #expect(await limiter.take("ip:a", budget: Self.budget).allowed)
        #expect(!(await limiter.take("ip:a", budget: Self.budget).allowed))
    }

    @Test("shared buckets hold across two instances on one database", arguments: TestDatabases.backends)
    func sharedAcrossInstances(backend: Database.Backend) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            let now = Mutex<Int64>(5_000_000)
            let clock: @Sendable () -> Int64 = { now.withLock { $0 } }
            let store = SQLRateLimitStore(database: database)
            let a = SharedRateLimiter(store: store, logger: Logger(label: "a"), clock: clock)
            let b = SharedRateLimiter(store: store, logger: Logger(label: "b"), clock: clock)
            let allowed = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask { await (index % 2 == 0 ? a : b).take("user:u1", budget: Self.budget).allowed }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(allowed == 5, "exactly the budget, however the calls were spread")
            let refused = await a.take("user:u1", budget: Self.budget)
            #expect(!refused.allowed && refused.retryAfterSeconds == 2)
            now.withLock { $0 += 4_000 }
            #expect(await b.take("user:u1", budget: Self.budget).allowed)
            #expect(await a.take("user:u1", budget: Self.budget).allowed)
            #expect(!(await a.take("user:u1", budget: Self.budget).allowed))
        }
    }

    @Test("trusted-proxy resolution believes X-Forwarded-For only from configured proxies")
    func clientAddress() throws {
        let none = ClientAddressResolver.none
        #expect(none.clientAddress(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
        let resolver = try ClientAddressResolver(trustedProxies: ["10.0.0.0/8", "::1"])
        #expect(resolver.clientAddress(peer: "10.1.2.3", forwardedFor: ["198.51.100.1, 10.9.9.9"]) == "198.51.100.1")
        // A client prepending its own entry does not move the answer: the rightmost untrusted hop wins.
        #expect(
            resolver.clientAddress(peer: "10.1.2.3", forwardedFor: ["1.1.1.1, 198.51.100.1"]) == "198.51.100.1")
        #expect(resolver.clientAddress(peer: "203.0.113.9", forwardedFor: ["1.1.1.1"]) == "203.0.113.9")
        #expect(resolver.clientAddress(peer: "::1", forwardedFor: ["2001:db8::7"]) == "2001:db8::7")
        #expect(throws: SecurityError.self) { try ClientAddressResolver(trustedProxies: ["not-an-ip"]) }
    }

    /// The login budget is 30 per minute per IP (one token per 2 s). Requests are sent all at once, so the
    /// budget is tested, not the speed of a loaded test machine (sequential requests slower than the refill
    /// would never run out).
    static func hammer(
        _ server: TestServer, count: Int, forwardedFor: @escaping @Sendable (Int) -> String?
    )
        async throws -> [(status: Int, retryAfter: String?, body: String)]
    {
        // One connection per request, so none waits for a pooled connection on a busy machine.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = count
        configuration.timeout = .init(connect: .seconds(30), read: .seconds(60))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = http.shutdown() }
        return try await withThrowingTaskGroup(of: (Int, (Int, String?, String)).self) { group in
            for index in 0..<count {
                group.addTask {
                    let headers = forwardedFor(index).map { [("X-Forwarded-For", $0)] } ?? []
                    let response = try await http.fetch(server.url("/oauth/authorize?client_id=x"), headers: headers)
                    return (index, (response.status, response.headers.first(name: "Retry-After"), response.body))
                }
            }
            var results = [(Int, String?, String)?](repeating: nil, count: count)
            for try await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
    }

    @Test("the real app answers 429 with Retry-After after the login budget, and recovers")
    func appLimitsAndRecovers() async throws {
        try await TestServer.with { server in
            // 30 per minute refill one token every 2 s, so on a slow machine the 31st request may find a fresh
            // token: send a few more and require that the budget ran out and the first refusal is well formed.
            let clock = ContinuousClock()
            let started = clock.now
            let results = try await Self.hammer(server, count: 40) { _ in nil }
            let elapsed = clock.now - started
            let served = results.filter { $0.status != 429 }.count
            // The bucket refills one token per 2 s while the burst is under way (long on a loaded machine).
            let refilled = Int(elapsed / .seconds(2)) + 1
            #expect(served >= 30 && served <= 30 + refilled, "the budget of 30, plus the tokens refilled meanwhile")
            #expect(served < 40, "the budget ran out")
            let last = try #require(results.first { $0.status == 429 })
            #expect(last.retryAfter.flatMap(Int.init).map { $0 >= 1 && $0 <= 2 } == true)
            #expect(last.body.contains("rate_limited"))
            try await Task.sleep(for: .milliseconds(2_100))
            let again = try await server.http.fetch(server.url("/oauth/authorize?client_id=x"))
            #expect(again.status != 429)
            // /mcp answers an MCP client with a JSON-RPC error (the general IP budget is 600/min).
        }
    }

    @Test("a spoofed X-Forwarded-For does not get a fresh budget")
    func spoofedForwardedFor() async throws {
        try await TestServer.with { server in
            let results = try await Self.hammer(server, count: 40) { "198.51.100.\($0)" }
            #expect(results.contains { $0.status == 429 })
        }
    }

    @Test("behind a trusted proxy, each forwarded client has its own budget")
    func trustedProxy() async throws {
        try await TestServer.with(environment: ["GRAPHGATE_TRUSTED_PROXIES": "127.0.0.1"]) { server in
            let spread = try await Self.hammer(server, count: 31) { "198.51.100.\($0)" }
            #expect(spread.allSatisfy { $0.status != 429 })
            let same = try await Self.hammer(server, count: 40) { _ in "203.0.113.5" }
            #expect(same.contains { $0.status == 429 })
        }
    }

    @Test("a blocked IP gets 403 with a clear message on every path")
    func blockedIP() async throws {
        try await TestServer.with { server in
            let database = try await Database.open(server.config.database, logger: Logger(label: "t"))
            try await database.withRunning {
                try await SQLUserStore(database: database).block(
                    Block(
                        subject: Block.ipSubject("127.0.0.1"), blockedUntil: Timestamp.now + 60, reason: "test",
                        createdBy: "test", createdAt: Timestamp.now))
            }
            for path in ["/oauth/authorize", "/mcp", "/"] {
                let response = try await server.http.fetch(server.url(path))
                #expect(response.status == 403, "\(path)")
                #expect(response.body.contains("blocked"))
            }
            #expect(try await server.http.fetch(server.url("/healthz")).status == 200)
        }
    }
}
