import Authorization
import Foundation
import Logging
import Storage
import Synchronization
import Testing

/// A metadata document server stand-in: answers every fetch with `body` and counts the fetches.
final class FakeMetadataFetcher: ClientMetadataFetcher {
    let state = Mutex<(body: String, maxAge: Int?, fetches: Int)>(("", nil, 0))

    func fetch(_ url: URL) async throws(AuthorizationError) -> FetchedClientMetadata {
        let (body, maxAge) = state.withLock { state in
            state.fetches += 1
            return (state.body, state.maxAge)
        }
        return FetchedClientMetadata(body: Data(body.utf8), maxAge: maxAge)
    }

    var fetches: Int { state.withLock { $0.fetches } }

    func serve(_ body: String, maxAge: Int? = nil) { state.withLock { $0.body = body; $0.maxAge = maxAge } }
}

/// A clock tests move by hand (epoch seconds).
final class ManualClock: Sendable {
    let seconds = Mutex<Int64>(1_700_000_000)
    var now: Int64 { seconds.withLock { $0 } }
    func advance(_ by: Int64) { seconds.withLock { $0 += by } }
}

@Suite("Client identity: metadata documents and registrations")
struct ClientIdentityTests {
    static let documentURL = "https://app.example/oauth/client.json"
    static let redirect = "http://127.0.0.1:33418/callback"

    static func document(clientId: String = documentURL, extra: String = "") -> String {
        #"{"client_id":"\#(clientId)","client_name":"Example","redirect_uris":["\#(redirect)"]\#(extra)}"#
    }

    static func authorize(_ clientId: String, _ extra: [(String, String)] = []) -> [(name: String, value: String)] {
        [
            ("response_type", "code"), ("client_id", clientId), ("redirect_uri", redirect), ("state", "s"),
            ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), ("code_challenge_method", "S256"),
        ] + extra
    }

    static func withServer(
        _ body: @Sendable (AuthorizationServer, FakeMetadataFetcher, ManualClock) async throws -> Void
    ) async throws {
        try await TestDatabases.withDatabase(.sqlite) { database in
            let clock = ManualClock()
            let fetcher = FakeMetadataFetcher()
            let server = AuthorizationServer(
                settings: AuthorizationSettings(
                    issuer: "https://gg.example", resource: "https://gg.example/mcp", scopesSupported: ["mcp"]),
                store: SQLOAuthStore(database: database), browserSessions: SQLBrowserSessionStore(database: database),
                audit: MemoryAudit(), logger: Logger(label: "t"), now: { clock.now },
                metadataFetcher: fetcher)
            try await body(server, fetcher, clock)
        }
    }

    @Test("a document that names itself is a client; it is cached for its max-age (bounded), then fetched again")
    func documentClient() async throws {
        try await Self.withServer { server, fetcher, clock in
            #expect(server.settings.authorizationServerMetadata.clientIdMetadataDocumentSupported)
            #expect(server.settings.authorizationServerMetadata.tokenEndpointAuthMethodsSupported.contains("none"))
            fetcher.serve(Self.document(), maxAge: 120)
            guard case .valid(let request) = await server.validateAuthorize(Self.authorize(Self.documentURL), sourceIP: nil)
            else { Issue.record("refused"); return }
            #expect(request.client.kind == .metadataDocument && request.client.clientName == "Example")
            _ = await server.validateAuthorize(Self.authorize(Self.documentURL), sourceIP: nil)
            #expect(fetcher.fetches == 1, "cached")
            clock.advance(121)
            _ = await server.validateAuthorize(Self.authorize(Self.documentURL), sourceIP: nil)
            #expect(fetcher.fetches == 2, "max-age passed")
            fetcher.serve(Self.document(), maxAge: 0)
            clock.advance(121)
            _ = await server.validateAuthorize(Self.authorize(Self.documentURL), sourceIP: nil)
            _ = await server.validateAuthorize(Self.authorize(Self.documentURL), sourceIP: nil)
            #expect(fetcher.fetches == 3, "no-store is still kept for the 60 s minimum")
        }
    }

    @Test("a lying or malformed document, or a malformed client_id URL, is an error page and never a redirect")
    func refusedDocuments() async throws {
        try await Self.withServer { server, fetcher, _ in
            let cases: [(String, String)] = [
                (Self.document(clientId: "https://evil.example/client.json"), "does not name itself"),
                (Self.document(extra: #","token_endpoint_auth_method":"client_secret_basic""#), "none"),
                (#"{"client_id":"\#(Self.documentURL)","redirect_uris":["javascript:alert(1)"]}"#, "invalid"),
                ("not json", "not a JSON object"),
            ]
            for (body, words) in cases {
                fetcher.serve(body)
                let answer = await server.validateAuthorize(Self.authorize(Self.documentURL), sourceIP: nil)
                guard case .errorPage(let error) = answer else { Issue.record("not refused: \(body)"); continue }
                #expect(error.code == "invalid_client" && error.message.contains(words), "\(error.message)")
            }
            let before = fetcher.fetches
            for url in [
                "https://app.example/", "https://app.example/c.json?x=1", "https://u@app.example/c.json",
                "https://app.example/a/../c.json",
            ] {
                guard case .errorPage = await server.validateAuthorize(Self.authorize(url), sourceIP: nil) else {
                    Issue.record("accepted \(url)"); continue
                }
            }
            #expect(fetcher.fetches == before, "malformed client_id URLs are never fetched")
        }
    }

    @Test("authorize errors of self-registered clients are error pages, never redirects (RFC 9700 §4.11.2)")
    func noOpenRedirect() async throws {
        try await Self.withServer { server, fetcher, _ in
            fetcher.serve(Self.document())
            for extra in [[("response_type", "token")], [("code_challenge_method", "plain")], [("scope", "nope")]] {
                var parameters = Self.authorize(Self.documentURL).filter { name, _ in
                    !extra.contains { $0.0 == name }
                }
                parameters += extra.map { (name: $0.0, value: $0.1) }
                let answer = await server.validateAuthorize(parameters, sourceIP: nil)
                guard case .errorPage = answer else { Issue.record("\(extra) → \(answer)"); continue }
            }
            let registered = try await server.register(
                body: Data(#"{"redirect_uris":["\#(Self.redirect)"]}"#.utf8), sourceIP: nil)
            let answer = await server.validateAuthorize(
                Self.authorize(registered.clientId, [("prompt", "none")]).map {
                    $0.name == "response_type" ? (name: $0.name, value: "token") : $0
                }, sourceIP: nil)
            guard case .errorPage = answer else { Issue.record("redirected: \(answer)"); return }
        }
    }

    @Test("the same public metadata again is the same client; secret clients get a secret and are always new")
    func registrationReuseAndSecrets() async throws {
        try await Self.withServer { server, _, _ in
            let metadata = #"{"client_name":"Same","redirect_uris":["\#(Self.redirect)"],"application_type":"native"}"#
            let first = try await server.register(body: Data(metadata.utf8), sourceIP: nil)
            let second = try await server.register(body: Data(metadata.utf8), sourceIP: nil)
            #expect(first.clientId == second.clientId && first.applicationType == "native")
            #expect(first.clientSecret == nil && first.tokenEndpointAuthMethod == "none")
            let other = try await server.register(
                body: Data(#"{"client_name":"Other","redirect_uris":["\#(Self.redirect)"]}"#.utf8), sourceIP: nil)
            #expect(other.clientId != first.clientId)
            for method in ["client_secret_post", "client_secret_basic"] {
                let body = #"{"redirect_uris":["\#(Self.redirect)"],"token_endpoint_auth_method":"\#(method)"}"#
                let a = try await server.register(body: Data(body.utf8), sourceIP: nil)
                let b = try await server.register(body: Data(body.utf8), sourceIP: nil)
                #expect(a.clientId != b.clientId && a.tokenEndpointAuthMethod == method)
                #expect(a.clientSecret?.hasPrefix("ggcs_") == true && a.clientSecretExpiresAt == 0)
            }
            await #expect(throws: AuthorizationError.self) {
                try await server.register(
                    body: Data(#"{"redirect_uris":["\#(Self.redirect)"],"application_type":"tv"}"#.utf8),
                    sourceIP: nil)
            }
        }
    }

    @Test("the token endpoint checks a registered secret (body or Basic) and refuses unknown clients")
    func clientSecretsAtTheTokenEndpoint() async throws {
        try await Self.withServer { server, _, _ in
            let post = try await server.register(
                body: Data(#"{"redirect_uris":["\#(Self.redirect)"],"token_endpoint_auth_method":"client_secret_post"}"#.utf8),
                sourceIP: nil)
            let secret = try #require(post.clientSecret)
            func token(_ fields: [(String, String)], header: String? = nil) async -> AuthorizationError? {
                do {
                    _ = try await server.token(
                        [("grant_type", "authorization_code"), ("code", "ggc_" + String(repeating: "a", count: 43)),
                         ("code_verifier", "v"), ("redirect_uri", Self.redirect)].map { (name: $0.0, value: $0.1) }
                            + fields.map { (name: $0.0, value: $0.1) },
                        sourceIP: nil, authorizationHeader: header)
                    return nil
                } catch { return error }
            }
            // Client authentication comes first: without or with a wrong secret, invalid_client (401).
            #expect(await token([("client_id", post.clientId)])?.code == "invalid_client")
            #expect(await token([("client_id", post.clientId), ("client_secret", "ggcs_wrong")])?.code == "invalid_client")
            // With the right one, the (made-up) code is what fails.
            #expect(await token([("client_id", post.clientId), ("client_secret", secret)])?.code == "invalid_grant")
            let basic = "Basic " + Data("\(post.clientId):\(secret)".utf8).base64EncodedString()
            #expect(await token([], header: basic)?.code == "invalid_grant")
            let wrongBasic = "Basic " + Data("\(post.clientId):nope".utf8).base64EncodedString()
            #expect(await token([], header: wrongBasic)?.code == "invalid_client")
            #expect(await token([("client_id", "gg-unknown")])?.code == "invalid_client")
            let publicClient = try await server.register(
                body: Data(#"{"client_name":"Public","redirect_uris":["\#(Self.redirect)"]}"#.utf8), sourceIP: nil)
            #expect(await token([("client_id", publicClient.clientId)])?.code == "invalid_grant")
            let guessed = "Basic " + Data("\(publicClient.clientId):anything".utf8).base64EncodedString()
            #expect(await token([], header: guessed)?.code == "invalid_client", "a public client has no secret")
        }
    }

    @Test(
        "registered clients unused for the idle lifetime, or never used for a week, are deleted; others and documents are kept"
    )
    func idleClients() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database in
            let store = SQLOAuthStore(database: database)
            func client(_ id: String, kind: OAuthClientRecord.Kind, createdAt: Int64) -> OAuthClientRecord {
                OAuthClientRecord(
                    clientId: id, clientName: id, redirectURIs: [Self.redirect], scope: "", kind: kind, clientURI: nil,
                    createdAt: createdAt, refreshedAt: createdAt)
            }
            try await store.insertClient(client("old", kind: .dynamic, createdAt: 1_000))
            try await store.insertClient(client("used", kind: .dynamic, createdAt: 1_000))
            try await store.insertClient(client("used long ago", kind: .dynamic, createdAt: 1_000))
            try await store.insertClient(client("new", kind: .dynamic, createdAt: 9_000))
            try await store.insertClient(client("never used", kind: .dynamic, createdAt: 4_000))
            try await store.insertClient(client("https://a.example/c.json", kind: .metadataDocument, createdAt: 1_000))
            try await store.touchClient(id: "used", now: 4_000)
            try await store.touchClient(id: "used long ago", now: 2_000)
            #expect(try await store.deleteIdleClients(before: 3_000, neverUsedBefore: 5_000) == 3)
            #expect(try await store.client(id: "old") == nil)
            #expect(try await store.client(id: "never used") == nil)
            #expect(try await store.client(id: "used long ago") == nil)
            #expect(try await store.client(id: "used")?.lastUsedAt == 4_000)
            #expect(try await store.client(id: "new") != nil)
            #expect(try await store.client(id: "https://a.example/c.json") != nil)
        }
    }
}
