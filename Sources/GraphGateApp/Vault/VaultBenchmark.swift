import AsyncHTTPClient
import Foundation
import JSONText
import Logging
import MicrosoftGraph
import NIOCore
import NIOHTTP1
import Sandbox
import SecurityOps
import Storage
import TokenVault

/// `graphgate keys bench` (hidden; `scripts/bench-vault`): envelope costs, and the token paths against the
/// emulated tenant on a temporary SQLite file (or the configured PostgreSQL). Prints numbers; asserts nothing.
public enum VaultBenchmark {
    public static func run(
        operations: Int, refreshes: Int, database location: DatabaseLocation?, logger: Logger
    )
        async throws -> [String]
    {
        var lines: [String] = []
        let keyring = Keyring.generate()
        let envelope = TokenEnvelope(keyring: keyring)
        let binding = TokenBinding(userId: UUID().uuidString, accountId: UUID().uuidString, kind: "access")
        let token = String(repeating: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9", count: 45)  // ~1.6 KB like a Graph token
        var blobs: [Data] = []
        blobs.reserveCapacity(operations)
        var start = ContinuousClock.now
        for _ in 0..<operations { blobs.append(try envelope.seal(token, for: binding).blob) }
        lines.append(perOp("encrypt (AES-256-GCM, 1.6 KB token)", ContinuousClock.now - start, operations))
        start = ContinuousClock.now
        for blob in blobs { _ = try envelope.open(blob, for: binding) }
        lines.append(perOp("decrypt", ContinuousClock.now - start, operations))

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gg-bench-\(UUID().uuidString).sqlite")
            .path
        let database = try await Database.open(location ?? .sqlite(path: path), logger: logger)
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let pathLines = try await database.withRunning {
            try await Migrator(database: database).migrate(logger: logger)
            return try await SandboxTenant.withRunning(SandboxConfiguration(), logger: logger) { url in
                try await tokenPaths(
                    url: url, database: database, keyring: keyring, operations: operations, refreshes: refreshes,
                    logger: logger)
            }
        }
        return lines + pathLines
    }

    static func tokenPaths(
        url: URL, database: Database, keyring: Keyring, operations: Int, refreshes: Int, logger: Logger
    ) async throws -> [String] {
        let lines: [String] = ["store: \(database.backend.rawValue)"]
        let http = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let lines = try await measure(
                http: http, url: url, database: database, keyring: keyring, operations: operations,
                refreshes: refreshes, logger: logger, lines: lines)
            try await http.shutdown()
            return lines
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    static func measure(
        http: HTTPClient, url: URL, database: Database, keyring: Keyring, operations: Int, refreshes: Int,
        logger: Logger, lines: [String]
    ) async throws -> [String] {
        var lines = lines
        let identity = IdentityClient(
            httpClient: http, authority: url, tenant: SandboxConfiguration.tenantId,
            clientId: SandboxConfiguration.clientId,
            clientSecret: SandboxConfiguration.clientSecret, logger: logger)
        let stores = Stores(database: database)
        /// A vault instance with its own cache and single-flight, over the same stores.
        func makeVault() -> TokenVault {
            TokenVault(
                users: stores.users, blobs: stores.tokenBlobs, pending: stores.pendingSignIns, keyring: keyring,
                identity: identity, audit: NullAudit(), logger: logger)
        }
        let vault = makeVault()
        let signedIn = try await BenchBrowser(http: http, base: url.absoluteString).signIn(vault: vault)
        let provider = try await vault.tokenProvider(userId: signedIn.user.id, accountLabel: nil)

        var start = ContinuousClock.now
        for _ in 0..<operations { _ = try await provider.accessToken(forceRefresh: false) }
        lines.append(perOp("token, cached in memory", ContinuousClock.now - start, operations))

        let coldCount = min(operations, 2_000)
        start = ContinuousClock.now
        for _ in 0..<coldCount {
            let fresh = makeVault()
            _ = try await fresh.tokenProvider(userId: signedIn.user.id, accountLabel: nil).accessToken(
                forceRefresh: false)
        }
        lines.append(
            perOp(
                "token, cold instance (account lookup + store read + decrypt)", ContinuousClock.now - start, coldCount))

        var samples: [Duration] = []
        for _ in 0..<refreshes {
            try await database.read { db in
                try await db.raw(
                    "UPDATE token_blobs SET expires_at = 0 WHERE account_id = \(bind: signedIn.account.id) AND kind = 'access'"
                ).run()
            }
            let fresh = makeVault()
            let p = try await fresh.tokenProvider(userId: signedIn.user.id, accountLabel: nil)
            let begin = ContinuousClock.now
            _ = try await p.accessToken(forceRefresh: false)
            samples.append(ContinuousClock.now - begin)
        }
        samples.sort()
        if !samples.isEmpty {
            lines.append(
                "refresh path (lease + decrypt + emulator token endpoint + seal + save), \(refreshes) runs: "
                    + "p50 \(ms(samples[samples.count / 2])) p95 \(ms(samples[samples.count * 95 / 100])) max \(ms(samples.last!))"
            )
        }

        try await database.read { db in
            try await db.raw(
                "UPDATE token_blobs SET expires_at = 0 WHERE account_id = \(bind: signedIn.account.id) AND kind = 'access'"
            ).run()
        }
        let fresh = makeVault()
        let shared = try await fresh.tokenProvider(userId: signedIn.user.id, accountLabel: nil)
        start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { _ = try await shared.accessToken(forceRefresh: false) } }
            try await group.waitForAll()
        }
        lines.append(
            "200 concurrent callers on an expired token (one refresh): \(ms(ContinuousClock.now - start)) wall")
        return lines
    }

    static func perOp(_ name: String, _ total: Duration, _ count: Int) -> String {
        let seconds = total.inSeconds
        return "\(name): \(String(format: "%.2f", seconds / Double(count) * 1e6)) µs/op (\(count) ops, "
            + "\(String(format: "%.0f", Double(count) / seconds)) ops/s)"
    }

    static func ms(_ duration: Duration) -> String {
        String(format: "%.2f ms", duration.inSeconds * 1000)
    }

    struct NullAudit: AuditRecorder {
        func record(_ event: AuditEvent) async {}
    }
}

/// Walks the emulator's sign-in pages (account picker, consent) for the benchmark.
struct BenchBrowser {
    let http: HTTPClient
    let base: String
    static let redirect = "http://127.0.0.1:53117/callback"

    func signIn(vault: TokenVault) async throws -> CompletedSignIn {
        let url = try await vault.beginSignIn(
            continuation: "bench", loginHint: nil, additionalScopes: [], redirectURI: Self.redirect)
        var cookie: String?
        var (status, headers, text) = try await get(url.absoluteString, cookie: nil)
        for _ in 0..<8 {
            if status == 302, let location = headers.first(name: "location") {
                if location.hasPrefix(Self.redirect) {
                    var query: [String: String] = [:]
                    for item in URLComponents(string: location)?.queryItems ?? [] { query[item.name] = item.value }
                    return try await vault.completeSignIn(
                        state: query["state"] ?? "", code: query["code"], error: query["error"], errorDescription: nil,
                        redirectURI: Self.redirect)
                }
                (status, headers, text) = try await get(location, cookie: cookie)
                continue
            }
            guard let returnTo = capture(#"name="return_to" value="([^"]*)""#, text) else { break }
            let unescaped = returnTo.replacingOccurrences(of: "&amp;", with: "&")
            let tenant = SandboxConfiguration.tenantId
            if text.contains("/login/select"), let oid = capture(#"value="([0-9a-f-]{36})""#, text) {
                (status, headers, text) = try await post(
                    "/\(tenant)/login/select", ["user": oid, "return_to": unescaped], cookie: nil)
                if let setCookie = headers.first(name: "set-cookie") {
                    cookie = String(setCookie.split(separator: ";")[0])
                }
            } else {
                (status, headers, text) = try await post(
                    "/\(tenant)/login/consent", ["decision": "accept", "return_to": unescaped], cookie: cookie)
            }
        }
        throw VaultError.signInFailed("the benchmark could not sign in at the emulator")
    }

    private func get(_ url: String, cookie: String?) async throws -> (Int, HTTPHeaders, String) {
        var request = HTTPClientRequest(url: url.hasPrefix("http") ? url : base + url)
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        return try await send(request)
    }

    private func post(
        _ path: String, _ fields: [String: String], cookie: String?
    ) async throws -> (Int, HTTPHeaders, String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> (Int, HTTPHeaders, String) {
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), response.headers, String(buffer: body))
    }

    private func capture(_ pattern: String, _ text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }
}
