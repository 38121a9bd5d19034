import AsyncHTTPClient
import Foundation
import Logging
import Sandbox
import Testing

@testable import MicrosoftGraph

/// The Graph client against the emulated tenant, with real tokens from a real sign-in.
@Suite("Graph client", .serialized)
struct GraphClientTests {
    @Test("ids and query values are percent-encoded exactly as Foundation's unreserved-only encoding does")
    func percentEncoding() {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~$")
        var random = SystemRandomNumberGenerator()
        let pool = Array("aZ09-._~$ /?#&=+%!*'()[]@:;,\"<>{}|^`\u{0}\u{7F}éß日本😀\r\n")
        var samples = ["", "AAMkAGI2=", "../x", "a/b?c#d", "100%", "$select", "Ünïcødé 😀"]
        for _ in 0..<500 {
            let length = Int.random(in: 0...12, using: &random)
            samples.append(String((0..<length).map { _ in pool.randomElement(using: &random)! }))
        }
        for sample in samples {
            let expected = sample.addingPercentEncoding(withAllowedCharacters: allowed)
            #expect(GraphRequest.segment(sample) == expected, "\(sample)")
        }
    }

    @Test("reads the profile, sends client-request-id, selects fields")
    func profile() async throws {
        try await GraphTestEnvironment.with { env in
            let graph = env.graphClient()
            let me = try await graph.me()
            #expect(me.id == env.user.id)
            #expect(me.mail == env.user.mail)
            let raw = try await graph.send(GraphRequest(.get, "/v1.0/me", query: [("$select", "id")]))
            #expect(raw.clientRequestId != nil && raw.clientRequestId != raw.requestId)
            #expect(UUID(uuidString: raw.clientRequestId ?? "") != nil)
            let selected = try JSONSerialization.jsonObject(with: raw.body) as? [String: Any]
            #expect(selected?["displayName"] == nil, "$select must limit the fields")
        }
    }

    @Test("a paging link is followed only below the Graph base: same scheme, host, port and path prefix")
    func pagingLinkOrigin() throws {
        struct NoTokens: AccessTokenProvider {
            func accessToken(forceRefresh: Bool) async throws -> String { "" }
            func accessToken(replacing rejected: String) async throws -> String { "" }
            func grantedScopes() async throws -> Set<String> { [] }
        }
        for base in ["https://graph.microsoft.com", "https://graph.microsoft.com/", "http://127.0.0.1:8443/graph"] {
            let client = GraphClient(
                httpClient: HTTPClientHolder.shared, baseURL: URL(string: base)!, tokenProvider: NoTokens(),
                mailboxKey: "k", limiter: MailboxLimiter(), logger: Logger(label: "test"))
            let root = base.hasSuffix("/") ? String(base.dropLast()) : base
            #expect(
                try client.relativeLink(root + "/v1.0/me/messages?$top=25&$skip=25")
                    == "/v1.0/me/messages?$top=25&$skip=25")
            #expect(
                try client.relativeLink(
                    root.uppercased().replacingOccurrences(of: "/GRAPH", with: "/graph")
                        + "/v1.0/me/messages?$skip=2") == "/v1.0/me/messages?$skip=2", "scheme and host in any case")
            let host = URL(string: base)!.host!
            for foreign in [
                root.replacingOccurrences(of: host, with: host + ".evil.example") + "/v1.0/me/messages",
                root.replacingOccurrences(of: host, with: "user@" + host) + "/v1.0/me/messages",
                root.replacingOccurrences(of: host, with: host + "@evil.example") + "/v1.0/me/messages",
                root.replacingOccurrences(of: "https:", with: "http:")
                    .replacingOccurrences(of: "http://127", with: "https://127") + "/v1.0/me/messages",
                root + ":9/v1.0/me/messages", root + "/v1.0/me/messages#x", root + "/v1.0/../me",
                "//evil.example/v1.0/me", "/v1.0/me/messages", "",
                "https://evil.example/v1.0/me/messages",
            ] {
                #expect(throws: GraphError.self, "\(foreign) against \(base)") { try client.relativeLink(foreign) }
            }
        }
        #expect(throws: GraphError.self) {
            try GraphClient(
                httpClient: HTTPClientHolder.shared, baseURL: URL(string: "http://127.0.0.1:8443/graph")!,
                tokenProvider: NoTokens(), mailboxKey: "k", limiter: MailboxLimiter(),
                logger: Logger(label: "test")
            ).relativeLink("http://127.0.0.1:8443/other/v1.0/me")
        }
    }

    @Test("a kept paging link becomes a GET of its path and query, and nothing that could leave the path does")
    func continuationLinks() {
        for (link, path, query) in [
            ("/v1.0/me/messages?$top=25&$skip=25", "/v1.0/me/messages", "$top=25&$skip=25"),
            ("/v1.0/me/messages", "/v1.0/me/messages", nil), ("/v1.0/me/messages?", "/v1.0/me/messages", nil),
            ("/v1.0/me/events?$skiptoken=a..b%2F", "/v1.0/me/events", "$skiptoken=a..b%2F"),
        ] as [(String, String, String?)] {
            let request = GraphRequest.continuation(link)
            #expect(request?.path == path && request?.encodedQuery == query && request?.method == .get, "\(link)")
        }
        for link in [
            "", "v1.0/me", "//evil.example/v1.0", "/v1.0/me/../users", "/v1.0/me/..", "/v1.0\\me", "/v1.0/me#x",
            "/v1.0/me messages", "/v1.0/me/\u{7F}", "/v1.0/mé", "/v1.0/me?q=#x", "/v1.0/me\n",
        ] {
            #expect(GraphRequest.continuation(link) == nil, "\(link.debugDescription)")
        }
    }

    @Test("pages with @odata.nextLink, made relative, with a hard cap")
    func paging() async throws {
        try await GraphTestEnvironment.with { env in
            let graph = env.graphClient()
            let first = try await graph.messages(folder: "inbox", filter: nil, top: 10)
            #expect(first.value.count == 10)
            let next = try #require(first.nextLink)
            #expect(next.hasPrefix("/v1.0/"), "the next link is kept relative to the Graph base")
            let second: GraphPage<GraphMessage> = try await graph.page(continuing: next)
            #expect(second.value.count == 10)
            #expect(Set(first.value.map(\.id)).isDisjoint(with: second.value.map(\.id)))
            let capped = try await graph.all(
                GraphRequest(.get, "/v1.0/me/mailFolders/inbox/messages", query: [("$top", "7"), ("$select", "id")]),
                maxItems: 1000, maxPages: 3, as: GraphMessage.self)
            #expect(capped.count == 21, "three pages of seven, then the page cap stops it")
            // A continuation that leaves the Graph path is refused before any request.
            await #expect(throws: GraphError.self) {
                let _: GraphPage<GraphMessage> = try await graph.page(continuing: "//evil.example/v1.0/me/messages")
            }
        }
    }

    @Test("a 401 triggers exactly one forced refresh and one retry")
    func refreshOnce() async throws {
        try await GraphTestEnvironment.with { env in
            let graph = env.graphClient()
            _ = try await graph.me()
            _ = try await env.control(.POST, "users/\(env.user.id)/expire-access-tokens")
            _ = try await graph.me()
            #expect(await env.provider.forcedRefreshes == 1)
            // Refresh tokens revoked too: one refresh attempt, then a typed error, never a loop.
            _ = try await env.control(.POST, "users/\(env.user.id)/expire-access-tokens")
            _ = try await env.control(.POST, "users/\(env.user.id)/revoke-refresh-tokens")
            do {
                _ = try await graph.me()
                Issue.record("expected a failure")
            } catch let error as GraphError {
                if case .tokenUnavailable = error {
                } else if case .unauthorized = error {
                } else {
                    Issue.record("got \(error)")
                }
                #expect(!error.description.contains("ey"), "no token in the description")
            }
            #expect(await env.provider.forcedRefreshes == 2)
        }
    }

    @Test("429 is retried honouring Retry-After; too many become throttled(retryAfter)")
    func throttling() async throws {
        try await GraphTestEnvironment.with { env in
            let graph = env.graphClient()
            try await env.setFaults(#"{"throttleNextRequests": 2, "retryAfterSeconds": 1}"#)
            let started = ContinuousClock.now
            _ = try await graph.me()
            #expect(ContinuousClock.now - started >= .seconds(2), "waited Retry-After twice")
            try await env.setFaults(#"{"throttleNextRequests": 10, "retryAfterSeconds": 1}"#)
            let impatient = env.graphClient(retry: GraphRetryPolicy(maxAttempts: 2, maxRetryAfterSeconds: 3))
            await #expect(throws: GraphError.throttled(retryAfter: 1)) { _ = try await impatient.me() }
            // A Retry-After beyond the cap is returned at once, not slept on.
            try await env.setFaults(#"{"throttleNextRequests": 1, "retryAfterSeconds": 120}"#)
            let quick = ContinuousClock.now
            await #expect(throws: GraphError.throttled(retryAfter: 120)) { _ = try await graph.me() }
            #expect(ContinuousClock.now - quick < .seconds(5))
            try await env.setFaults("{}")
        }
    }

    @Test("5xx is retried for GET but not for a POST that sends mail")
    func unavailable() async throws {
        try await GraphTestEnvironment.with { env in
            let graph = env.graphClient()
            _ = try await env.control(.DELETE, "requests")
            try await env.setFaults(#"{"unavailableRate": 1, "retryAfterSeconds": 0}"#)
            await #expect(throws: GraphError.self) {
                try await graph.sendMail(
                    GraphMessageDraft(
                        subject: "x", body: GraphItemBody(contentType: "text", content: "y"),
                        toRecipients: [GraphRecipient(address: env.user.mail)]))
            }
            await #expect(throws: GraphError.self) { _ = try await graph.me() }
            try await env.setFaults("{}")
            let log = try JSONSerialization.jsonObject(with: try await env.control(.GET, "requests")) as? [String: Any]
            let entries = (log?["value"] as? [[String: Any]]) ?? []
            let posts = entries.filter { ($0["method"] as? String) == "POST" }
            let gets = entries.filter {
                ($0["method"] as? String) == "GET" && ($0["path"] as? String)?.hasSuffix("/me") == true
            }
            #expect(posts.count == 1, "a non-idempotent POST is sent once")
            #expect(gets.count == 4, "a GET is tried maxAttempts (4) times")
        }
    }

    @Test("an answer over its size limit, an upstream slower than the timeout and a cancelled call all end cleanly")
    func answerLimitsTimeoutAndCancellation() async throws {
        try await GraphTestEnvironment.with { env in
            let graph = env.graphClient(
                retry: GraphRetryPolicy(maxAttempts: 1, baseDelayMilliseconds: 20, timeoutSeconds: 1))
            // The profile is a few hundred bytes: 64 bytes is too few, the default limit is plenty.
            await #expect(throws: GraphError.invalidResponse(reason: "answer larger than 64 bytes")) {
                _ = try await graph.send(GraphRequest(.get, "/v1.0/me", maxResponseBytes: 64))
            }
            let profile = try await graph.send(GraphRequest(.get, "/v1.0/me"))
            #expect(profile.status == 200 && profile.body.readableBytes > 64)

            try await env.setFaults(#"{"latencyMilliseconds": 2500}"#)
            let started = ContinuousClock.now
            await #expect(throws: GraphError.transport(reason: "timed out")) { _ = try await graph.me() }
            #expect(ContinuousClock.now - started < .seconds(2), "the 1 s deadline was not kept")

            let call = Task { try await graph.me() }
            try await Task.sleep(for: .milliseconds(200))
            call.cancel()
            let cancelledAt = ContinuousClock.now
            await #expect(throws: (any Error).self) { _ = try await call.value }
            #expect(ContinuousClock.now - cancelledAt < .seconds(1), "cancelling did not end the request")
            try await env.setFaults("{}")
            #expect(try await graph.me().id.isEmpty == false)
        }
    }

    @Test("typed errors: not found, invalid id, access denied")
    func errors() async throws {
        try await GraphTestEnvironment.with(scopes: MicrosoftScopes.initial) { env in
            let graph = env.graphClient()
            let id = try await graph.messages(folder: "inbox", filter: nil, top: 1).value[0].id
            await #expect(throws: GraphError.self) { _ = try await graph.message("AAMkAGbm9wZQ==") }
            do {
                _ = try await graph.message("AAMkAGbm9wZQ==")
            } catch let error as GraphError {
                switch error {
                case .invalidId, .notFound: break
                default: Issue.record("unexpected \(error)")
                }
            }
            // Read-only grant: a write is denied (incremental consent needed).
            await #expect(throws: GraphError.accessDenied(code: "ErrorAccessDenied")) {
                _ = try await graph.updateMessage(id, GraphMessageUpdate(isRead: true))
            }
        }
    }

    @Test("at most 4 concurrent requests per mailbox: 16 parallel calls cause no 429")
    func concurrencyLimit() async throws {
        try await GraphTestEnvironment.with { env in
            let graph = env.graphClient(retry: GraphRetryPolicy(maxAttempts: 1))
            try await env.setFaults(#"{"latencyMilliseconds": 150}"#)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 { group.addTask { _ = try await graph.me() } }
                try await group.waitForAll()
            }
            try await env.setFaults("{}")
            #expect(env.limiter.active(graph.mailboxKey) == 0)
        }
    }
}
