import AsyncHTTPClient
import Foundation
import GraphGateSettings
import JSONText
import Logging
import SecurityOps
import Storage

/// What the `audit` and `admin` commands do, against the configured store (no server needed).
public enum SecurityAdmin {
    /// Walks the chain. Uses the signing key when it exists (never creates one here). `expectedHeads` are heads
    /// exported earlier (`audit export-head`), kept outside the database.
    public static func verifyAudit(
        config: GraphGateConfig, logger: Logger, expectedHeads: [AuditSignedHead]
    )
        async throws -> AuditVerification
    {
        let key = try? SecurityServices.signingKey(config: config, create: false)
        return try await CommandRoot.withStores(config: config, logger: logger) { stores in
            try await AuditVerifier(store: stores.audit, key: key).verify(
                expectedHeads: expectedHeads)
        }
    }

    /// Writes rows after `after` as JSON lines. Returns how many.
    public static func exportAudit(
        config: GraphGateConfig, logger: Logger, after: Int64, write: @Sendable @escaping (String) throws -> Void
    ) async throws -> Int64 {
        try await CommandRoot.withStores(config: config, logger: logger) { stores in
            try await AuditExporter(store: stores.audit).export(after: after, write: write)
        }
    }

    /// Signs the current head now (creating the key if needed) and returns it, to keep outside the database.
    public static func signAuditHead(config: GraphGateConfig, logger: Logger) async throws -> AuditSignedHead {
        let key = try SecurityServices.signingKey(config: config, create: true)
        return try await CommandRoot.withStores(config: config, logger: logger) { stores in
            let signer = AuditHeadSigner(store: stores.audit, key: key, logger: logger)
            guard let head = try await signer.signNow(force: true) else {
                throw SecurityError.storage("nothing signed")
            }
            return head
        }
    }

    /// Runs `body` with the incident actions wired to the stores, acting as `actor` (recorded in the audit).
    public static func withIncidents<R: Sendable>(
        config: GraphGateConfig, logger: Logger, _ body: @Sendable @escaping (IncidentResponder) async throws -> R
    ) async throws -> R {
        try await CommandRoot.withStores(config: config, logger: logger) { stores in
            let responder = IncidentResponder(
                users: stores.users, audit: AuditLog(store: stores.audit, logger: logger),
                revoker: StoreAccessRevoker(oauth: stores.oauth, browserSessions: stores.browserSessions),
                eraser: VaultTokenEraser(users: stores.users, blobs: stores.tokenBlobs),
                lister: GrantSessionLister(oauth: stores.oauth), logger: logger)
            return try await body(responder)
        }
    }
}

extension SecurityAdmin {
    /// What `audit bench` measured.
    public struct AuditBenchmark: Sendable {
        public var singleAppends: Int
        public var singleAppendMicros: Double
        public var concurrentAppends: Int
        public var concurrentAppendMicros: Double
        public var totalRows: Int64
        public var fillSeconds: Double
        public var verifySeconds: Double
        public var verification: AuditVerification
    }

    /// Measures the audit log on a fresh store: `single` appends one at a time through the real recorder,
    /// `concurrent` appends from 32 concurrent callers (group commit), then fills up to `rows` rows in batches
    /// and times a full `verify`.
    public static func benchmarkAudit(
        database location: DatabaseLocation, rows: Int64, single: Int, concurrent: Int, logger: Logger
    ) async throws -> AuditBenchmark {
        let database = try await Database.open(location, logger: logger)
        return try await database.withRunning {
            try await Migrator(database: database).migrate(logger: logger)
            let store = Stores(database: database).audit
            let log = AuditLog(store: store, logger: logger)
            func event(_ index: Int) -> AuditEvent {
                AuditEvent(
                    "tool.call", userId: "user-\(index % 50)", clientId: "client-\(index % 5)",
                    sourceIP: "10.0.0.\(index % 200)",
                    details: ["tool": "list_messages", "outcome": "ok", "items": "\(index % 25)"])
            }
            var start = ContinuousClock.now
            for index in 0..<single { await log.record(event(index)) }
            let singleMicros = (ContinuousClock.now - start).inSeconds * 1e6 / Double(max(1, single))

            start = ContinuousClock.now
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<32 {
                    group.addTask {
                        for index in stride(from: worker, to: concurrent, by: 32) { await log.record(event(index)) }
                    }
                }
            }
            let concurrentMicros = (ContinuousClock.now - start).inSeconds * 1e6 / Double(max(1, concurrent))

            start = ContinuousClock.now
            var written = try await store.stats().count
            while written < rows {
                let batch = Int(min(5_000, rows - written))
                let pending = (0..<batch).map { index in
                    log.makeRowNonisolated(event(Int(written) + index))
                }
                _ = try await store.append(pending) { AuditChain.hash(previous: $0, row: $1) }
                written += Int64(batch)
            }
            let fill = (ContinuousClock.now - start).inSeconds

            start = ContinuousClock.now
            let verification = try await AuditVerifier(store: store, key: nil).verify()
            let verify = (ContinuousClock.now - start).inSeconds
            return AuditBenchmark(
                singleAppends: single, singleAppendMicros: singleMicros, concurrentAppends: concurrent,
                concurrentAppendMicros: concurrentMicros, totalRows: written, fillSeconds: fill,
                verifySeconds: verify, verification: verification)
        }
    }
}

extension SecurityAdmin {
    /// What `admin bench-rate-limit` measured for one limiter.
    public struct RateLimitBenchmark: Sendable {
        public var name: String
        public var requests: Int
        public var microsPerRequest: Double
        public var allowed: Int
        public var budget: Int
    }

    /// Sends `requests` takes from 32 concurrent callers, spread over two limiter instances (two "servers"), at
    /// one key whose budget (`budget` per hour, so no refill during the run) is far below `requests`: the cost
    /// per request and how many got through (exact = `budget`).
    public static func benchmarkRateLimit(
        database location: DatabaseLocation, requests: Int, budget: Int, logger: Logger
    )
        async throws -> [RateLimitBenchmark]
    {
        let database = try await Database.open(location, logger: logger)
        return try await database.withRunning {
            try await Migrator(database: database).migrate(logger: logger)
            let shape = RateBudget(name: "bench", capacity: budget, period: .seconds(3600))
            let store = Stores(database: database).rateLimits
            let shared: [any RateLimiter] = [
                SharedRateLimiter(store: store, logger: logger), SharedRateLimiter(store: store, logger: logger),
            ]
            // Local buckets per instance, each given the whole budget: free, but N instances allow N × budget.
            let local: [any RateLimiter] = [InMemoryRateLimiter(), InMemoryRateLimiter()]
            var results: [RateLimitBenchmark] = []
            for (name, limiters) in [("shared (\(location.backendName))", shared), ("in-memory per instance", local)] {
                let key = "bench-\(UUID().uuidString)"
                let start = ContinuousClock.now
                let allowed = await withTaskGroup(of: Int.self) { group in
                    for worker in 0..<32 {
                        group.addTask {
                            var allowed = 0
                            for index in stride(from: worker, to: requests, by: 32) {
                                if await limiters[index % 2].take(key, budget: shape).allowed { allowed += 1 }
                            }
                            return allowed
                        }
                    }
                    return await group.reduce(0, +)
                }
                let micros = (ContinuousClock.now - start).inSeconds * 1e6 / Double(max(1, requests))
                results.append(
                    RateLimitBenchmark(
                        name: name, requests: requests, microsPerRequest: micros, allowed: allowed, budget: budget))
            }
            return results
        }
    }
}

extension SecurityAdmin {
    /// One checkpoint of `admin bench-rate-limit --memory`.
    public struct LimiterMemoryPoint: Sendable {
        public var addresses: Int
        public var buckets: Int
        public var residentMiB: Double
        public var nanosPerRequest: Double
    }

    /// Feeds `addresses` distinct client addresses (half IPv4, half IPv6 in distinct /64s) through the in-memory
    /// limiter's per-address budget, as the middleware would, and reports at each tenth the buckets held, the
    /// process's resident memory growth since the start, and the cost per request.
    public static func benchmarkLimiterMemory(addresses: Int) -> [LimiterMemoryPoint] {
        let limiter = InMemoryRateLimiter()
        let budget = RateLimitPolicy().perIP
        let baseline = residentMiB()
        var points: [LimiterMemoryPoint] = []
        let step = max(1, addresses / 10)
        var start = ContinuousClock.now
        for index in 0..<addresses {
            let address =
                index % 2 == 0
                ? "10.\((index >> 16) & 0xff).\((index >> 8) & 0xff).\(index & 0xff)"
                : "2001:db8:\(String((index >> 16) & 0xffff, radix: 16)):\(String(index & 0xffff, radix: 16))::1"
            _ = limiter.takeNow(ClientAddressResolver.limiterKey(address), budget: budget)
            if (index + 1) % step == 0 {
                let nanos = (ContinuousClock.now - start).inSeconds * 1e9 / Double(step)
                points.append(
                    LimiterMemoryPoint(
                        addresses: index + 1, buckets: limiter.count, residentMiB: residentMiB() - baseline,
                        nanosPerRequest: nanos))
                start = ContinuousClock.now
            }
        }
        return points
    }

    /// This process's resident set in MiB (Linux `/proc/self/statm`; 0 elsewhere).
    static func residentMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}
