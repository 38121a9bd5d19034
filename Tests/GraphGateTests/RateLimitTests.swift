import Foundation
import GraphGateSettings
import JSONText
import Logging
import NIOHTTP1
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

    @Test("memory is bounded: past maxBuckets the least recently used bucket is evicted, the others are kept")
    func leastRecentlyUsedEviction() async {
        let hourly = RateBudget(name: "test", capacity: 1, period: .seconds(3600))
        let limiter = InMemoryRateLimiter(maxBuckets: 3, clock: { 1_000_000 })
        for key in ["a", "b", "c"] { #expect(await limiter.take(key, budget: hourly).allowed) }
        #expect(!(await limiter.take("a", budget: hourly).allowed), "a is spent (and now the most recent)")
        #expect(await limiter.take("d", budget: hourly).allowed, "d takes the place of b, the least recent")
        #expect(limiter.count == 3)
        #expect(!(await limiter.take("a", budget: hourly).allowed), "a was kept: still spent")
        #expect(!(await limiter.take("d", budget: hourly).allowed))
        #expect(await limiter.take("b", budget: hourly).allowed, "b was evicted: a fresh bucket")
        #expect(limiter.count == 3)
    }

    @Test("a negative cost gives back, never beyond the capacity", arguments: TestDatabases.backends)
    func refund(backend: Database.Backend) async throws {
        let budget = RateBudget(name: "test", capacity: 2, period: .seconds(3600))
        try await TestDatabases.withDatabase(backend) { database in
            let limiters: [any RateLimiter] = [
                InMemoryRateLimiter(clock: { 5_000 }),
                SharedRateLimiter(
                    store: SQLRateLimitStore(database: database), logger: Logger(label: "t"),
                    clock: {
                        5_000
                    }),
            ]
            for limiter in limiters {
                #expect(await limiter.take("k", budget: budget).allowed)
                _ = await limiter.take("k", budget: budget, cost: -1)
                _ = await limiter.take("k", budget: budget, cost: -1)
                #expect(await limiter.take("k", budget: budget).allowed)
                #expect(await limiter.take("k", budget: budget).allowed)
                #expect(!(await limiter.take("k", budget: budget).allowed), "refunds did not raise it past 2")
            }
        }
    }

    @Test("IPv6 addresses are keyed by their /64; IPv4 and IPv4-mapped by the address")
    func ipv6Prefix() {
        let key = ClientAddressResolver.limiterKey
        #expect(key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:ffff:ffff:fffe"))
        #expect(key("2001:db8:1:2::1") == "ip:2001:db8:1:2::/64")
        #expect(key("[2001:db8:1:2::7]") == key("2001:db8:1:2::1"))
        #expect(key("2001:db8:1:3::1") != key("2001:db8:1:2::1"))
        #expect(key("203.0.113.5") == "ip:203.0.113.5")
        #expect(key("::ffff:203.0.113.5") == "ip:203.0.113.5")
        #expect(key("203.0.113.5") != key("203.0.113.6"))
    }

    @Test("GRAPHGATE_RATE_LIMITS overrides budgets by name and refuses anything else")
    func policyParsing() throws {
        let policy = try RateLimitPolicy.standard(toolCallsPerMinute: 120).overriding([
            "ip=1000/1m", "login_failures=5/10m", "tool=60/1m",
        ])
        #expect(policy.perIP.capacity == 1000 && policy.perIP.periodMs == 60_000)
        #expect(policy.loginFailures.capacity == 5 && policy.loginFailures.periodMs == 600_000)
        #expect(policy.toolCallsPerUser.capacity == 60 && policy.toolCallsPerClient.capacity == 300)
        #expect(policy.registerFailures.capacity == 100, "not named: the default")
        for bad in ["ip=0/1m", "ip=10", "nope=1/1m", "ip=10/soon", "tool=-1/1m"] {
            #expect(throws: SecurityError.self) { try RateLimitPolicy().overriding([bad]) }
        }
        let config = try GraphGateConfig.load(environment: ["GRAPHGATE_RATE_LIMITS": "register=3/1h"])
        #expect(try config.limits.rateLimitPolicy(toolCallsPerMinute: 120).registerFailures.capacity == 3)
        #expect(throws: ConfigError.self) {
            try GraphGateConfig.load(environment: ["GRAPHGATE_RATE_LIMITS": "ip=lots"])
        }
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

    /// The address parser as it was written before it read UTF-8 bytes (Foundation string operations): the oracle.
    static func oracleParse(_ raw: String) -> [UInt8]? {
        let text = raw.hasPrefix("[") && raw.hasSuffix("]") ? String(raw.dropFirst().dropLast()) : raw
        if text.contains(":") {
            var bytes = [UInt8](repeating: 0, count: 16)
            let halves = text.components(separatedBy: "::")
            guard halves.count <= 2 else { return nil }
            func groups(_ part: String) -> [UInt16]? {
                guard !part.isEmpty else { return [] }
                var out: [UInt16] = []
                let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
                for (index, piece) in pieces.enumerated() {
                    if index == pieces.count - 1, piece.contains("."), let v4 = oracleParse(String(piece)),
                        v4.count == 4
                    {
                        out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                        out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                        continue
                    }
                    guard piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
                    out.append(value)
                }
                return out
            }
            guard let head = groups(halves[0]) else { return nil }
            guard let tail = halves.count == 2 ? groups(halves[1]) : [] else { return nil }
            if halves.count == 1 && head.count != 8 { return nil }
            if head.count + tail.count > (halves.count == 2 ? 7 : 8) { return nil }
            for (index, group) in head.enumerated() {
                bytes[index * 2] = UInt8(group >> 8)
                bytes[index * 2 + 1] = UInt8(group & 0xff)
            }
            for (index, group) in tail.enumerated() {
                bytes[(8 - tail.count + index) * 2] = UInt8(group >> 8)
                bytes[(8 - tail.count + index) * 2 + 1] = UInt8(group & 0xff)
            }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return Array(bytes[12..<16])
            }
            return bytes
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let value = UInt8(part) else {
                return nil
            }
            bytes.append(value)
        }
        return bytes
    }

    @Test("addresses are read as the earlier parser read them: written forms, and 20,000 random strings")
    func addressParsing() {
        let written = [
            "127.0.0.1", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.002.3.4", "1..2.3",
            "1.2.3.4 ", "::", "::1", "[::1]", "[::1", "2001:db8::7", "2001:0db8:0000:0000:0000:0000:0000:0007",
            "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::ffff:10.1.2.3", "::ffff:0a01:0203",
            "1::2::3", ":::", "1:::2", "fe80::1%eth0", "12345::", "::1.2.3.4", "1.2.3.4::", "[]", "[", "]", "",
            "١٢٣.1.1.1", "abcd:ef01:2345:6789:abcd:ef01:2345:6789", "ABCD::EF",
        ]
        for text in written {
            #expect(ClientAddressResolver.bytes(of: text) == Self.oracleParse(text), "\(text)")
        }
        // Signs are left out: Swift's integer parsing takes "+f" as a hex group, which was never meant.
        let alphabet = Array("0123456789abcdefABCDEF:.:.[]g ")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let text = String(
                (0..<Int.random(in: 0...41, using: &generator)).map { _ in
                    alphabet.randomElement(using: &generator)!
                })
            #expect(ClientAddressResolver.bytes(of: text) == Self.oracleParse(text), "\(text)")
        }
        // Nearly well-formed ones: groups of 0-5 hex digits or a dotted quad, colons, double colons.
        let hex = Array("0123456789abcdefF")
        for _ in 0..<20_000 {
            var parts: [String] = []
            for _ in 0..<Int.random(in: 1...9, using: &generator) {
                switch Int.random(in: 0..<10, using: &generator) {
                case 0: parts.append("")
                case 1:
                    parts.append(
                        (0..<4).map { _ in String(Int.random(in: 0...300, using: &generator)) }.joined(separator: "."))
                default:
                    parts.append(
                        String(
                            (0..<Int.random(in: 0...5, using: &generator)).map { _ in
                                hex.randomElement(using: &generator)!
                            }))
                }
            }
            let text = parts.joined(separator: ":")
            #expect(ClientAddressResolver.bytes(of: text) == Self.oracleParse(text), "\(text)")
        }
    }

    /// Sends `count` requests at once (each its own concurrent request) to `path`, with `X-Forwarded-For` from
    /// `forwardedFor`.
    static func hammer(
        _ server: TestApp, count: Int, path: String = "/oauth/authorize?client_id=x", method: HTTPMethod = .GET,
        headers extra: [(String, String)] = [], body: String? = nil,
        forwardedFor: @escaping @Sendable (Int) -> String?
    )
        async throws -> [(status: Int, retryAfter: String?, body: String)]
    {
        try await withThrowingTaskGroup(of: (Int, (Int, String?, String)).self) { group in
            for index in 0..<count {
                group.addTask {
                    let headers = (forwardedFor(index).map { [("X-Forwarded-For", $0)] } ?? []) + extra
                    let response = try await server.http.fetch(
                        server.url(path), method: method, headers: headers, body: body)
                    return (index, (response.status, response.headers.first(name: "Retry-After"), response.body))
                }
            }
            var results = [(Int, String?, String)?](repeating: nil, count: count)
            for try await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
    }

    @Test("failed sign-in steps spend the address's failure budget (30 per 5 min): then 429 with Retry-After")
    func failuresAreLimited() async throws {
        try await TestApp.with { server in
            // An unknown client is a failure (400 error page); 30 in 5 minutes refill one per 10 s.
            let results = try await Self.hammer(server, count: 40) { _ in nil }
            let served = results.filter { $0.status != 429 }.count
            #expect(served >= 30 && served <= 32, "the budget of 30 (one may have refilled)")
            let refused = try #require(results.first { $0.status == 429 })
            #expect(refused.retryAfter.flatMap(Int.init).map { $0 >= 1 && $0 <= 10 } == true)
            #expect(refused.body.contains("rate_limited") && refused.body.contains("login_failures"))
        }
    }

    @Test("successes cost nothing per address: 150 registrations from one address in a row all succeed")
    func successesAreFree() async throws {
        try await TestApp.with { server in
            let body = #"{"client_name":"office","redirect_uris":["http://127.0.0.1:9/cb"]}"#
            var statuses: Set<Int> = []
            for _ in 0..<150 {
                let answer = try await server.http.fetch(
                    server.url("/oauth/register"), method: .POST, headers: [("Content-Type", "application/json")],
                    body: body)
                statuses.insert(answer.status)
            }
            #expect(statuses == [201], "one after another, past the register budget of 100: \(statuses)")
            let invalid = try await Self.hammer(
                server, count: 110, path: "/oauth/register", method: .POST,
                headers: [("Content-Type", "application/json")], body: #"{"redirect_uris":["javascript:x"]}"#
            ) { _ in nil }
            #expect(invalid.contains { $0.status == 429 }, "invalid registrations spend the register budget")
        }
    }

    @Test("a spoofed X-Forwarded-For does not get a fresh budget")
    func spoofedForwardedFor() async throws {
        try await TestApp.with { server in
            let results = try await Self.hammer(server, count: 40) { "198.51.100.\($0)" }
            #expect(results.contains { $0.status == 429 })
        }
    }

    @Test("behind a trusted proxy, each forwarded client has its own budget; IPv6 shares one per /64")
    func trustedProxy() async throws {
        try await TestApp.with(environment: ["GRAPHGATE_TRUSTED_PROXIES": "127.0.0.1"]) { server in
            let spread = try await Self.hammer(server, count: 31) { "198.51.100.\($0)" }
            #expect(spread.allSatisfy { $0.status != 429 })
            let same = try await Self.hammer(server, count: 40) { _ in "203.0.113.5" }
            #expect(same.contains { $0.status == 429 })
            let oneSubnet = try await Self.hammer(server, count: 40) { "2001:db8:7:7::\(String($0 + 1, radix: 16))" }
            #expect(oneSubnet.contains { $0.status == 429 }, "one /64, one budget")
            let subnets = try await Self.hammer(server, count: 31) { "2001:db8:8:\(String($0 + 1, radix: 16))::1" }
            #expect(subnets.allSatisfy { $0.status != 429 })
        }
    }

    @Test("invalid bearers from an address get 429 past their budget; no per-address budget applies otherwise")
    func badBearers() async throws {
        try await TestApp.with(environment: ["GRAPHGATE_TRUSTED_PROXIES": "127.0.0.1"]) { server in
            let list = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
            let started = ContinuousClock.now
            let results = try await Self.hammer(
                server, count: 80, path: "/mcp", method: .POST,
                headers: [("Authorization", "Bearer gga_not-a-token"), ("Content-Type", "application/json")],
                body: list
            ) { _ in "203.0.113.9" }
            // The budget is 60 a minute: 60 at once, then one more a second for as long as the burst took.
            let refilled = Int((ContinuousClock.now - started).inSeconds.rounded(.up))
            #expect(Set(results.map(\.status)).isSubset(of: [401, 429]))
            let refused = results.filter { $0.status == 429 }.count
            #expect(
                refused >= 20 - refilled - 1 && refused <= 20,
                "the bad-bearer budget is 60 per minute: \(refused) refused in \(refilled) s")
            // The address's other traffic is untouched.
            let page = try await server.http.fetch(
                server.url("/.well-known/oauth-authorization-server"), headers: [("X-Forwarded-For", "203.0.113.9")])
            #expect(page.status == 200)
        }
    }

    @Test("an automatic block refuses the address's unauthenticated traffic, not requests with a bearer")
    func automaticBlock() async throws {
        try await TestApp.with { server in
            // Through the shared helper, which retries while the running server holds the write lock.
            try await MCPHTTPTests.withStore(server) { database in
                try await SQLUserStore(database: database).block(
                    Block(
                        subject: Block.ipSubject("127.0.0.1"), blockedUntil: Timestamp.now + 60,
                        reason: "automatic: failed_auth threshold", createdBy: SecurityMonitor.blockCreator,
                        createdAt: Timestamp.now))
            }
            #expect(try await server.http.fetch(server.url("/oauth/authorize")).status == 403)
            #expect(try await server.http.fetch(server.url("/mcp")).status == 403)
            let bearer = try await server.http.fetch(
                server.url("/mcp"), method: .POST,
                headers: [("Authorization", "Bearer gga_unknown"), ("Content-Type", "application/json")],
                body: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            #expect(bearer.status == 401, "judged by its token, not its address")
        }
    }

    @Test("a blocked IP gets 403 with a clear message on every path")
    func blockedIP() async throws {
        try await TestApp.with { server in
            // Through the shared helper, which retries while the running server holds the write lock.
            try await MCPHTTPTests.withStore(server) { database in
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
