import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import MCPGateway
import MicrosoftGraph
import NIOCore
import NIOHTTP1
import Sandbox
import SecurityOps
import Synchronization

/// A token provider for tests that signs a real user in at the emulated tenant (authorization code + PKCE
/// through its sign-in and consent pages) and refreshes with the refresh token: real tokens, no Graph fakes.
actor SandboxTokenProvider: AccessTokenProvider {
    let base: URL
    let http: HTTPClient
    private var access: String
    private var refresh: String
    private var scopes: Set<String>
    private(set) var forcedRefreshes = 0

    init(base: URL, http: HTTPClient, access: String, refresh: String, scopes: Set<String>) {
        self.base = base
        self.http = http
        self.access = access
        self.refresh = refresh
        self.scopes = scopes
    }

    func accessToken(forceRefresh: Bool) async throws -> String {
        if forceRefresh {
            forcedRefreshes += 1
            let answer = try await SandboxLogin.token(
                base: base, http: http,
                form: [
                    ("grant_type", "refresh_token"), ("refresh_token", refresh),
                    ("client_id", SandboxConfiguration.clientId), ("client_secret", SandboxConfiguration.clientSecret),
                ])
            access = answer.access
            refresh = answer.refresh
            scopes = answer.scopes
        }
        return access
    }

    func grantedScopes() async throws -> Set<String> { scopes }
}

/// Signs a sandbox user in through the emulator's real pages with AsyncHTTPClient.
enum SandboxLogin {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let redirectURI = "http://127.0.0.1:9/callback"

    static func users(base: URL, http: HTTPClient) async throws -> [(id: String, mail: String)] {
        let data = try await get(base.absoluteString + "/_sandbox/users", http: http).body
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return ((json?["value"] as? [[String: Any]]) ?? []).map {
            ($0["id"] as? String ?? "", $0["mail"] as? String ?? "")
        }
    }

    static func signIn(
        base: URL, http: HTTPClient, userIndex: Int, scopes: [String]
    ) async throws -> SandboxTokenProvider {
        let user = try await users(base: base, http: http)[userIndex]
        let tenant = SandboxConfiguration.tenantId
        let verifier = (0..<4).map { _ in UUID().uuidString }.joined()
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=", with: "")
        let query = [
            ("client_id", SandboxConfiguration.clientId), ("response_type", "code"), ("redirect_uri", redirectURI),
            ("scope", scopes.joined(separator: " ")), ("state", "s1"), ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ]
        var page = try await get(base.absoluteString + "/\(tenant)/oauth2/v2.0/authorize?" + form(query), http: http)
        var cookie = ""
        var code: String?
        for _ in 0..<8 {
            if let location = page.location {
                if location.hasPrefix(redirectURI) {
                    code = URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value
                    break
                }
                page = try await get(base.absoluteString + location, http: http, cookie: cookie)
                continue
            }
            let html = String(decoding: page.body, as: UTF8.self)
            guard let returnTo = hidden("return_to", in: html) else {
                throw Failure(description: "no return_to in sign-in page")
            }
            if html.contains("/login/select") {
                page = try await post(
                    base.absoluteString + "/\(tenant)/login/select", http: http, cookie: cookie,
                    form: [("return_to", returnTo), ("user", user.id)])
                if let set = page.setCookie { cookie = String(set.split(separator: ";")[0]) }
            } else if html.contains("/login/consent") {
                page = try await post(
                    base.absoluteString + "/\(tenant)/login/consent", http: http, cookie: cookie,
                    form: [("return_to", returnTo), ("decision", "accept")])
            } else {
                throw Failure(description: "unexpected sign-in page")
            }
        }
        guard let code else { throw Failure(description: "no authorization code") }
        let answer = try await token(
            base: base, http: http,
            form: [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                ("code_verifier", verifier), ("client_id", SandboxConfiguration.clientId),
                ("client_secret", SandboxConfiguration.clientSecret), ("scope", scopes.joined(separator: " ")),
            ])
        return SandboxTokenProvider(
            base: base, http: http, access: answer.access, refresh: answer.refresh, scopes: answer.scopes)
    }

    static func token(
        base: URL, http: HTTPClient, form fields: [(String, String)]
    ) async throws
        -> (access: String, refresh: String, scopes: Set<String>)
    {
        let answer = try await post(
            base.absoluteString + "/\(SandboxConfiguration.tenantId)/oauth2/v2.0/token", http: http, cookie: "",
            form: fields)
        guard answer.status == 200, let json = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
            let access = json["access_token"] as? String, let refresh = json["refresh_token"] as? String
        else { throw Failure(description: "token endpoint answered \(answer.status)") }
        return (access, refresh, Set(MicrosoftScopes.parse(json["scope"] as? String ?? "")))
    }

    struct Answer {
        var status: Int
        var body: Data
        var location: String?
        var setCookie: String?
    }

    static func get(_ url: String, http: HTTPClient, cookie: String = "") async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        if !cookie.isEmpty { request.headers.add(name: "Cookie", value: cookie) }
        return try await run(request, http)
    }

    static func post(
        _ url: String, http: HTTPClient, cookie: String, form fields: [(String, String)]
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        if !cookie.isEmpty { request.headers.add(name: "Cookie", value: cookie) }
        request.body = .bytes(ByteBuffer(string: form(fields)))
        return try await run(request, http)
    }

    static func run(_ request: HTTPClientRequest, _ http: HTTPClient) async throws -> Answer {
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Answer(
            status: Int(response.status.code), body: Data(body.readableBytesView),
            location: response.headers.first(name: "Location"),
            setCookie: response.headers.first(name: "Set-Cookie"))
    }

    static func form(_ fields: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(
            separator: "&")
    }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\""),
            let end = html[range.upperBound...].firstIndex(of: "\"")
        else { return nil }
        return String(html[range.upperBound..<end]).replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// Collects audit events in memory.
final class MemoryAuditRecorder: AuditRecorder {
    private let events = Mutex<[AuditEvent]>([])
    func record(_ event: AuditEvent) async { events.withLock { $0.append(event) } }
    var all: [AuditEvent] { events.withLock { $0 } }
}

/// A running emulated tenant, a signed-in user and a Graph client for them.
struct GraphTestEnvironment: Sendable {
    let base: URL
    let http: HTTPClient
    let provider: SandboxTokenProvider
    let limiter: MailboxLimiter
    let user: (id: String, mail: String)

    func graphClient(
        retry: GraphRetryPolicy = GraphRetryPolicy(maxRetryAfterSeconds: 3, baseDelayMilliseconds: 20)
    ) -> GraphClient {
        GraphClient(
            httpClient: http, baseURL: base, tokenProvider: provider, mailboxKey: "test:\(user.id)", limiter: limiter,
            retryPolicy: retry, logger: Logger(label: "test.graph"))
    }

    func setFaults(_ json: String) async throws {
        var request = HTTPClientRequest(url: base.absoluteString + "/_sandbox/faults")
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        _ = try await SandboxLogin.run(request, http)
    }

    func control(_ method: HTTPMethod, _ path: String, body: String = "{}") async throws -> Data {
        var request = HTTPClientRequest(url: base.absoluteString + "/_sandbox/" + path)
        request.method = method
        if method != .GET {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return try await SandboxLogin.run(request, http).body
    }

    static let allScopes = MicrosoftScopes.initial + MicrosoftScopes.write

    /// Starts a tenant, signs user `userIndex` in with `scopes`, runs `body`, stops everything.
    static func with<T: Sendable>(
        userIndex: Int = 0, scopes: [String] = allScopes, configuration: SandboxConfiguration = SandboxConfiguration(),
        _ body: @Sendable (GraphTestEnvironment) async throws -> T
    ) async throws -> T {
        var quiet = Logger(label: "test.sandbox")
        quiet.logLevel = .warning
        return try await SandboxTenant.withRunning(configuration, logger: quiet) { base in
            let http = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
            do {
                let provider = try await SandboxLogin.signIn(
                    base: base, http: http, userIndex: userIndex, scopes: scopes)
                let user = try await SandboxLogin.users(base: base, http: http)[userIndex]
                let env = GraphTestEnvironment(
                    base: base, http: http, provider: provider, limiter: MailboxLimiter(), user: user)
                let result = try await body(env)
                try await http.shutdown()
                return result
            } catch {
                try? await http.shutdown()
                throw error
            }
        }
    }
}

/// The protocol core with a ToolCatalogue, called as one handshake-era session of one principal (token scopes
/// `mcp mcp:write` unless told otherwise); `elicitation` answers the in-band questions when given.
struct ToolSession: Sendable {
    let core: MCPCore
    let principal: MCPPrincipal
    let elicitation: (@Sendable (Value) async -> ElicitationAnswer)?
    let audit: MemoryAuditRecorder
    let env: GraphTestEnvironment
    let catalogue: ToolCatalogue

    /// Reads like the client side of a session (`session.client.listTools()`).
    var client: ToolSession { self }

    static func with<T: Sendable>(
        policy: ToolPolicy = ToolPolicy(), userIndex: Int = 0, scopes: [String] = GraphTestEnvironment.allScopes,
        tokenScopes: Set<String> = ["mcp", "mcp:write"],
        elicitation: (@Sendable (Value) async -> ElicitationAnswer)? = nil,
        _ body: @Sendable (ToolSession) async throws -> T
    ) async throws -> T {
        try await GraphTestEnvironment.with(userIndex: userIndex, scopes: scopes) { env in
            let audit = MemoryAuditRecorder()
            let source = ClosureGraphClientSource(
                client: { _, _ in env.graphClient() },
                consentLink: { _, scopes in "https://graphgate.test/consent?scopes=\(scopes.joined(separator: "+"))" })
            let catalogue = ToolCatalogue(
                policy: policy, graph: source, audit: audit, logger: Logger(label: "test.tools"))
            let session = ToolSession(
                core: MCPCore(catalogue: catalogue),
                principal: MCPPrincipal(
                    userId: "u-\(env.user.id)", clientId: "test-client", grantId: "g", scopes: tokenScopes),
                elicitation: elicitation, audit: audit, env: env, catalogue: catalogue)
            return try await body(session)
        }
    }

    var context: MCPRequestContext {
        let elicitation = elicitation
        return MCPRequestContext(
            principal: principal, era: .handshake(version: "2025-11-25"),
            clientCapabilities: elicitation == nil ? [:] : ["elicitation": [:]],
            askInBand: { question in await elicitation?(question.schema) ?? .unsupported })
    }

    /// `tools/list`.
    func listTools() async throws -> (tools: [ListedTool], nextCursor: String?) {
        let result = try await core.respond(to: JSONRPCRequest(id: .int(1), method: "tools/list"), context: context)
            .get()
        return ((result["tools"]?.arrayValue ?? []).map(ListedTool.init), nil)
    }

    /// Calls a tool and returns the whole result; a JSON-RPC error is thrown.
    func call(_ name: String, _ arguments: JSONObject = [:]) async throws -> ToolResult {
        let request = JSONRPCRequest(
            id: .int(2), method: "tools/call", params: ["name": .string(name), "arguments": .object(arguments)])
        return ToolResult(value: try await core.respond(to: request, context: context).get())
    }
}

/// One entry of `tools/list`, read back.
struct ListedTool: Sendable {
    struct Annotations: Sendable {
        var title: String?
        var readOnlyHint, destructiveHint, idempotentHint, openWorldHint: Bool?
    }

    let json: Value
    var name: String { json["name"]?.stringValue ?? "" }
    var description: String? { json["description"]?.stringValue }
    var inputSchema: Value { json["inputSchema"] ?? .null }
    var outputSchema: Value? { json["outputSchema"] }
    var annotations: Annotations {
        let a = json["annotations"]
        return Annotations(
            title: a?["title"]?.stringValue, readOnlyHint: a?["readOnlyHint"]?.boolValue,
            destructiveHint: a?["destructiveHint"]?.boolValue, idempotentHint: a?["idempotentHint"]?.boolValue,
            openWorldHint: a?["openWorldHint"]?.boolValue)
    }

    init(_ json: Value) { self.json = json }
}

/// A `CallToolResult` as the core answered it.
struct ToolResult: Sendable {
    let value: Value

    var content: [Value] { value["content"]?.arrayValue ?? [] }

    var text: String {
        content.compactMap { $0["type"] == "text" ? $0["text"]?.stringValue : nil }.joined(separator: "\n")
    }

    var isError: Bool? { value["isError"]?.boolValue }
    var failed: Bool { isError == true }
    var structuredContent: Value? { value["structuredContent"] }

    /// `structuredContent[key]`.
    subscript(key: String) -> Value? { structuredContent?.objectValue?[key] }
}
