import AsyncHTTPClient
import Foundation
import Logging
import MicrosoftGraph
import Sandbox
import SecurityOps
import Storage
import Synchronization
import TokenVault

/// Every log line the vault and identity client wrote during a test, for leak scans.
final class VaultLogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }

    func logger(_ label: String = "vault.test") -> Logger {
        var logger = Logger(label: label) { _ in VaultCaptureHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct VaultCaptureHandler: LogHandler {
    let capture: VaultLogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        capture.append("\(event.level) \(event.message) \(merged)")
    }
}

/// An emulated tenant, a migrated store of one backend, and a vault wired to both (as the app wires it).
struct VaultEnvironment: Sendable {
    let client: SandboxTestClient
    let database: Database
    let keyring: Keyring
    let identity: IdentityClient
    let audit: MemoryAuditRecorder
    let logs: VaultLogCapture
    let vault: TokenVault
    let users: SQLUserStore

    static let redirectURI = SandboxTestClient.redirect

    static func with(
        _ backend: Database.Backend, sandbox: SandboxConfiguration = SandboxConfiguration(),
        _ body: @Sendable (VaultEnvironment) async throws -> Void
    ) async throws {
        try await TestDatabases.withDatabase(backend) { database in
            try await SandboxTestClient.with(sandbox) { client in
                let logs = VaultLogCapture()
                let identity = IdentityClient(
                    httpClient: client.http, authority: URL(string: client.base)!,
                    tenant: SandboxConfiguration.tenantId,
                    clientId: SandboxConfiguration.clientId, clientSecret: SandboxConfiguration.clientSecret,
                    logger: logs.logger("identity.test"))
                let keyring = Keyring.generate()
                let audit = MemoryAuditRecorder()
                let users = SQLUserStore(database: database)
                let vault = TokenVault(
                    users: users, blobs: SQLTokenBlobStore(database: database),
                    pending: SQLPendingSignInStore(database: database), keyring: keyring, identity: identity,
                    audit: audit, logger: logs.logger(), publicURL: URL(string: "https://graphgate.test"))
                try await body(
                    VaultEnvironment(
                        client: client, database: database, keyring: keyring, identity: identity, audit: audit,
                        logs: logs, vault: vault, users: users))
            }
        }
    }

    /// Another vault instance over the same store (its own in-memory cache and single-flight), like a second
    /// server instance.
    func makeVault(keyring: Keyring? = nil, database: Database? = nil) -> TokenVault {
        let database = database ?? self.database
        return TokenVault(
            users: SQLUserStore(database: database), blobs: SQLTokenBlobStore(database: database),
            pending: SQLPendingSignInStore(database: database), keyring: keyring ?? self.keyring,
            identity: identity, audit: audit, logger: logs.logger())
    }

    /// Browser sign-in through the vault: beginSignIn → Microsoft's pages → completeSignIn.
    func signIn(
        _ upn: String = "AlexW@contoso.sandbox", additionalScopes: [String] = [], vault: TokenVault? = nil
    ) async throws -> CompletedSignIn {
        let vault = vault ?? self.vault
        let url = try await vault.beginSignIn(
            continuation: "cont-1", loginHint: nil, additionalScopes: additionalScopes, redirectURI: Self.redirectURI)
        let params = try await browse(url, upn: upn)
        return try await vault.completeSignIn(
            state: params["state"] ?? "", code: params["code"], error: params["error"],
            errorDescription: params["error_description"], redirectURI: Self.redirectURI)
    }

    /// Follows Microsoft's authorize pages like a browser (account picker, consent) to the redirect.
    func browse(_ url: URL, upn: String, decision: String = "accept") async throws -> [String: String] {
        var cookie: String?
        var reply = try await client.send(.GET, url.absoluteString)
        for _ in 0..<8 {
            if reply.status == 302, let location = reply.header("location") {
                if location.hasPrefix(Self.redirectURI) { return SandboxTestClient.query(location) }
                reply = try await client.send(.GET, location, headers: cookie.map { [("Cookie", $0)] } ?? [])
                continue
            }
            guard reply.status == 200,
                let returnTo = SandboxTestClient.capture(#"name="return_to" value="([^"]*)""#, in: reply.text)
            else { throw SandboxTestError.unexpected("authorize page \(reply.status)") }
            let tenant = SandboxConfiguration.tenantId
            if reply.text.contains("/login/select") {
                guard
                    let oid = SandboxTestClient.capture(#"value="([0-9a-f-]{36})" data-upn="\#(upn)""#, in: reply.text)
                else { throw SandboxTestError.unexpected("no account \(upn)") }
                reply = try await client.form(
                    "/\(tenant)/login/select", ["user": oid, "return_to": SandboxTestClient.unescape(returnTo)])
                if let setCookie = reply.header("set-cookie") { cookie = String(setCookie.split(separator: ";")[0]) }
            } else {
                reply = try await client.form(
                    "/\(tenant)/login/consent",
                    ["decision": decision, "return_to": SandboxTestClient.unescape(returnTo)],
                    cookie: cookie)
            }
        }
        throw SandboxTestError.unexpected("sign-in did not finish")
    }

    /// Refresh-token grants the emulator issued since the last reset.
    func refreshGrants() async throws -> Int {
        let reply = try await client.control(.GET, "grants")
        return (reply.json["issued"] as? [String: Any])?["refresh_token"] as? Int ?? 0
    }

    func resetGrants() async throws { _ = try await client.control(.DELETE, "grants") }

    func expireAtMicrosoft(_ upn: String = "AlexW@contoso.sandbox") async throws {
        _ = try await client.control(.POST, "users/\(upn)/expire-access-tokens")
    }

    func setFaults(_ json: [String: Any]) async throws { _ = try await client.control(.PUT, "faults", json: json) }

    /// Marks the stored access token of `accountId` as expired in our store (what the clock would do).
    func expireStoredAccessToken(_ accountId: String) async throws {
        try await database.read { db in
            try await db.raw(
                "UPDATE token_blobs SET expires_at = \(bind: Timestamp.now - 10) WHERE account_id = \(bind: accountId) AND kind = 'access'"
            ).run()
        }
    }

    func storedBlob(_ accountId: String, _ kind: TokenBlob.Kind) async throws -> TokenBlob? {
        try await SQLTokenBlobStore(database: database).blobs(accountId: accountId).first { $0.kind == kind }
    }

    /// Every secret the emulator issued (tokens, codes, id_tokens, client secret).
    func issuedSecrets() async throws -> [String] {
        let json = try await client.control(.GET, "secrets").json
        return json.values.flatMap { ($0 as? [String]) ?? [] }.filter { $0.count >= 16 }
    }

    /// GET /v1.0/me like the Graph client does: on 401 one replacement of the rejected token and one retry.
    func callGraph(_ provider: any AccessTokenProvider) async throws -> Int {
        let token = try await provider.accessToken(forceRefresh: false)
        let first = try await client.graph(token, .GET, "/me")
        guard first.status == 401 else { return first.status }
        let fresh = try await provider.accessToken(replacing: token)
        return try await client.graph(fresh, .GET, "/me").status
    }
}

/// Forms of a secret a leak could take: as is, base64, base64url, hex.
enum LeakForms {
    static func of(_ secret: String) -> [String] {
        let data = Data(secret.utf8)
        let base64 = data.base64EncodedString()
        return [
            secret, base64, base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
            data.map { String(format: "%02x", $0) }.joined(),
        ].map { String($0.prefix(48)) }
    }

    static func leaked(_ secrets: [String], in haystack: String) -> [String] {
        secrets.filter { secret in of(secret).contains { haystack.contains($0) } }
    }

    static func leaked(_ secrets: [String], in data: Data) -> [String] {
        secrets.filter { secret in of(secret).contains { data.range(of: Data($0.utf8)) != nil } }
    }
}
