import AsyncHTTPClient
import Foundation
import JSONText
import Logging
import NIOCore
import NIOHTTP1

/// A Microsoft Graph client for ONE mailbox (one user's linked account).
///
/// It holds exactly one ``AccessTokenProvider`` and nothing else that identifies a user, so a call made through
/// it can only carry that account's token. Every call sends `client-request-id`, `Prefer: IdType="ImmutableId"`
/// and `Prefer: outlook.body-content-type="text"` (unless HTML is asked); it waits for one of the mailbox's
/// permits in the shared ``MailboxLimiter``; 429/503/504 are retried honouring `Retry-After` (capped, jittered;
/// 5xx and dropped connections only for idempotent requests); a 401 triggers exactly one forced token refresh
/// and one retry.
public struct GraphClient: Sendable {
    public let baseURL: URL
    /// `baseURL` as text without trailing slashes: what request paths are appended to and paging links start with.
    let baseText: String
    /// The limiter key: one per Microsoft account, never shared between users.
    public let mailboxKey: String
    let http: HTTPClient
    let tokens: any AccessTokenProvider
    let limiter: MailboxLimiter
    let retry: GraphRetryPolicy
    let logger: Logger

    public init(
        httpClient: HTTPClient, baseURL: URL, tokenProvider: any AccessTokenProvider, mailboxKey: String,
        limiter: MailboxLimiter, retryPolicy: GraphRetryPolicy = GraphRetryPolicy(), logger: Logger
    ) {
        self.http = httpClient
        self.baseURL = baseURL
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        baseText = base
        self.tokens = tokenProvider
        self.mailboxKey = mailboxKey
        self.limiter = limiter
        self.retry = retryPolicy
        self.logger = logger
    }

    /// Scopes Microsoft granted to this account (for incremental consent decisions).
    public func grantedScopes() async throws(GraphError) -> Set<String> {
        do {
            return try await tokens.grantedScopes()
        } catch {
            throw .tokenUnavailable(reason: String(describing: error))
        }
    }

    /// An answer with a 2xx status.
    public struct Response: Sendable {
        public var status: Int
        /// The answer as received (no copy).
        public var body: ByteBuffer
        /// Graph's `request-id` (for support; not secret).
        public var requestId: String?
        /// The `client-request-id` Graph echoed (the one this client sent).
        public var clientRequestId: String?
        public var contentType: String?
    }

    /// Sends `request` with retries and the 401 refresh rule; returns a 2xx answer or throws ``GraphError``.
    public func send(_ request: GraphRequest) async throws -> Response {
        let url = try url(for: request)
        let clientRequestId = SystemRandom.uuid()
        var token = try await accessToken(forceRefresh: false)
        var refreshed = false
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            let started = ContinuousClock.now
            let outcome: Exchange
            do {
                let bearer = token
                outcome = try await limiter.withPermit(mailboxKey) {
                    try await exchange(request, url: url, token: bearer, clientRequestId: clientRequestId)
                }
            } catch let error as GraphError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let reason = Self.transportReason(error)
                log(
                    request, status: nil, attempt: attempt, started: started, clientRequestId: clientRequestId,
                    requestId: nil)
                if request.idempotent && attempt < retry.maxAttempts {
                    try await pause(retry.delayMilliseconds(attempt: attempt, retryAfter: nil))
                    continue
                }
                throw GraphError.transport(reason: reason)
            }
            log(
                request, status: outcome.status, attempt: attempt, started: started, clientRequestId: clientRequestId,
                requestId: outcome.requestId)
            switch outcome.status {
            case 200..<300:
                return Response(
                    status: outcome.status, body: outcome.body, requestId: outcome.requestId,
                    clientRequestId: outcome.clientRequestId, contentType: outcome.contentType)
            case 401:
                guard !refreshed else { throw GraphError.unauthorized }
                refreshed = true
                attempt -= 1
                token = try await accessToken(replacing: token)
            case 429, 503, 504:
                let retryable = outcome.status == 429 || request.idempotent
                let wait = outcome.retryAfter
                if retryable, attempt < retry.maxAttempts, (wait ?? 0) <= retry.maxRetryAfterSeconds {
                    try await pause(retry.delayMilliseconds(attempt: attempt, retryAfter: wait))
                    continue
                }
                throw GraphError.from(
                    status: outcome.status, code: outcome.errorCode,
                    retryAfter: wait ?? (outcome.status == 429 ? 1 : nil))
            case 500..<600:
                if request.idempotent && attempt < retry.maxAttempts {
                    try await pause(retry.delayMilliseconds(attempt: attempt, retryAfter: nil))
                    continue
                }
                throw GraphError.from(status: outcome.status, code: outcome.errorCode, retryAfter: nil)
            default:
                throw GraphError.from(status: outcome.status, code: outcome.errorCode, retryAfter: outcome.retryAfter)
            }
        }
    }

    /// Sends `request` and reads the JSON answer into a Graph model.
    public func json<T: GraphDecodable>(_ request: GraphRequest, as type: T.Type = T.self) async throws -> T {
        try await json(request) { (r: inout JSONReader) throws(JSONReader.Failure) in try T(json: &r) }
    }

    /// Sends `request` and reads the whole JSON answer with `read`.
    func json<T>(
        _ request: GraphRequest, _ read: (inout JSONReader) throws(JSONReader.Failure) -> T
    ) async throws -> T {
        let response = try await send(request)
        do {
            return try JSONReader.readDocument(response.body.readableBytesView, read)
        } catch {
            throw GraphError.invalidResponse(reason: "unexpected JSON for \(T.self): \(error)")
        }
    }

    /// One page of a collection. Its `nextLink` is already checked to point at this client's Graph and made
    /// relative, so it can be kept (in an opaque cursor) and given back to ``page(continuing:as:)``.
    public func page<T: GraphDecodable>(
        _ request: GraphRequest, as type: T.Type = T.self
    ) async throws
        -> GraphPage<T>
    {
        try await page(request) { (r: inout JSONReader) throws(JSONReader.Failure) in try T(json: &r) }
    }

    /// One page whose items are read by `item` (see ``page(_:as:)``).
    func page<T>(
        _ request: GraphRequest, item: (inout JSONReader) throws(JSONReader.Failure) -> T
    ) async throws -> GraphPage<T> {
        var page = try await json(request) { (r: inout JSONReader) throws(JSONReader.Failure) in
            try GraphPage(json: &r, item: item)
        }
        page.nextLink = try page.nextLink.map(relativeLink)
        return page
    }

    /// The page at a link returned in an earlier ``GraphPage/nextLink``.
    public func page<T: GraphDecodable>(
        continuing link: String, prefer: [String] = [], as type: T.Type = T.self
    )
        async throws -> GraphPage<T>
    {
        var request = try continuation(link)
        request.prefer = prefer
        return try await page(request, as: T.self)
    }

    /// The request for a paging link from an earlier page, refused unless it is a Graph path.
    func continuation(_ link: String) throws -> GraphRequest {
        guard let request = GraphRequest.continuation(link) else {
            throw GraphError.invalidResponse(reason: "paging link is not a Graph path")
        }
        return request
    }

    /// Follows `@odata.nextLink` until `maxItems` items or `maxPages` pages (a hard cap: never unbounded).
    public func all<T: GraphDecodable>(
        _ request: GraphRequest, maxItems: Int = 1000, maxPages: Int = 10, as type: T.Type = T.self
    ) async throws -> [T] {
        var items: [T] = []
        var current = try await page(request, as: T.self)
        var pages = 1
        while true {
            items += current.value
            guard items.count < maxItems, pages < maxPages, let next = current.nextLink else { break }
            current = try await page(continuing: next, prefer: request.prefer, as: T.self)
            pages += 1
        }
        return Array(items.prefix(maxItems))
    }

    // MARK: - Internals

    struct Exchange: Sendable {
        var status: Int
        var body: ByteBuffer
        var retryAfter: Int?
        var requestId: String?
        var clientRequestId: String?
        var contentType: String?
        /// `error.code` of Graph's error envelope (`{"error":{"code":"…","message":"…"}}`), nil for a success or
        /// a body that is not one.
        var errorCode: String? {
            guard !(200..<300).contains(status) else { return nil }
            return try? JSONReader.readDocument(body.readableBytesView) {
                (r: inout JSONReader) throws(JSONReader.Failure) -> String? in
                var code: String?
                try r.beginObject()
                while let member = try r.nextMemberKey() {
                    guard case "error" = member else {
                        try r.skip()
                        continue
                    }
                    try r.beginObject()
                    while let inner = try r.nextMemberKey() {
                        if case "code" = inner { code = try r.optionalString() } else { try r.skip() }
                    }
                }
                return code
            }
        }
    }

    private func exchange(
        _ request: GraphRequest, url: String, token: String, clientRequestId: String
    ) async throws
        -> Exchange
    {
        var outgoing = try HTTPClient.Request(url: url, method: HTTPMethod(rawValue: request.method.rawValue))
        outgoing.headers.add(name: "Authorization", value: "Bearer \(token)")
        outgoing.headers.add(name: "Accept", value: "application/json")
        outgoing.headers.add(name: "client-request-id", value: clientRequestId)
        outgoing.headers.add(name: "return-client-request-id", value: "true")
        var prefer = ["IdType=\"ImmutableId\"", "outlook.body-content-type=\"\(request.htmlBody ? "html" : "text")\""]
        prefer += request.prefer
        outgoing.headers.add(name: "Prefer", value: prefer.joined(separator: ", "))
        if let body = request.body {
            outgoing.headers.add(name: "Content-Type", value: "application/json")
            outgoing.body = .bytes(body)
        } else if request.method == .post {
            outgoing.headers.add(name: "Content-Length", value: "0")
        }
        // The answer is collected on the loop of whichever pooled connection carries it (no hop per body part to
        // this task's loop; the task resumes once, with the whole answer).
        let collector = GraphAnswerCollector(successLimit: request.maxResponseBytes, otherLimit: 64 << 10)
        try Task.checkCancellation()
        let task = http.execute(
            request: outgoing, delegate: collector, eventLoop: .indifferent,
            deadline: .now() + .seconds(Int64(retry.timeoutSeconds)), logger: nil)
        let answer: GraphAnswerCollector.Answer
        do {
            answer = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                // A change whose request has gone out may already be at Graph (a mail on its way): it runs to its
                // answer, so the caller learns what happened. Reads, and changes still waiting for a connection,
                // stop at once.
                if request.idempotent || !collector.requestHeadSent { task.cancel() }
            }
        } catch let error as GraphAnswerCollector.TooLarge {
            throw GraphError.invalidResponse(reason: "answer larger than \(error.limit) bytes")
        }
        let headers = answer.head.headers
        return Exchange(
            status: Int(answer.head.status.code), body: answer.body,
            retryAfter: headers.first(name: "Retry-After").flatMap(Self.parseRetryAfter),
            requestId: headers.first(name: "request-id"),
            clientRequestId: headers.first(name: "client-request-id"),
            contentType: headers.first(name: "Content-Type"))
    }

    private func accessToken(forceRefresh: Bool) async throws -> String {
        try await mappingTokenErrors { try await tokens.accessToken(forceRefresh: forceRefresh) }
    }

    private func accessToken(replacing rejected: String) async throws -> String {
        try await mappingTokenErrors { try await tokens.accessToken(replacing: rejected) }
    }

    private func mappingTokenErrors(_ body: () async throws -> String) async throws -> String {
        do {
            return try await body()
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as any TransientTokenError where error.isTransient {
            throw GraphError.unavailable(status: 503)
        } catch {
            throw GraphError.tokenUnavailable(reason: String(describing: error))
        }
    }

    private func pause(_ milliseconds: Int) async throws {
        try await Task.sleep(for: .milliseconds(milliseconds))
    }

    package func url(for request: GraphRequest) throws -> String {
        guard request.path.hasPrefix("/"), !request.path.hasPrefix("//") else {
            throw GraphError.invalidResponse(reason: "request path must start with /")
        }
        var url = baseText + request.path
        if let encoded = request.encodedQuery {
            url += "?" + encoded
        } else if !request.query.isEmpty {
            url +=
                "?"
                + request.query.map { "\(GraphRequest.encodeQuery($0.0))=\(GraphRequest.encodeQuery($0.1))" }
                .joined(separator: "&")
        }
        return url
    }

    /// Turns Graph's absolute `@odata.nextLink` into a path below the base URL, refusing any other origin
    /// (a token must never be sent to a host the answer names).
    func relativeLink(_ link: String) throws -> String {
        // The usual case, without URL parsing: the link starts with the base URL itself and then a path of plain
        // characters (anything else takes the careful route below).
        if link.utf8.count > baseText.utf8.count, link.utf8.starts(with: baseText.utf8) {
            let rest = link.utf8.dropFirst(baseText.utf8.count)
            if rest.first == UInt8(ascii: "/"),
                rest.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: "@") }),
                let relative = String(rest), GraphRequest.continuation(relative) != nil
            {
                return relative
            }
        }
        guard let next = URLComponents(string: link),
            let base = URLComponents(url: baseURL, resolvingAgainstBaseURL: false),
            next.scheme?.lowercased() == base.scheme?.lowercased(), next.host?.lowercased() == base.host?.lowercased(),
            next.port == base.port, next.user == nil, next.fragment == nil
        else {
            throw GraphError.invalidResponse(reason: "paging link points outside Graph")
        }
        var relative = next.percentEncodedPath
        let basePath =
            base.percentEncodedPath.hasSuffix("/")
            ? String(base.percentEncodedPath.dropLast()) : base.percentEncodedPath
        if !basePath.isEmpty {
            guard relative.hasPrefix(basePath + "/") else {
                throw GraphError.invalidResponse(reason: "paging link points outside Graph")
            }
            relative = String(relative.dropFirst(basePath.count))
        }
        if let query = next.percentEncodedQuery { relative += "?" + query }
        guard GraphRequest.continuation(relative) != nil else {
            throw GraphError.invalidResponse(reason: "paging link is not a Graph path")
        }
        return relative
    }

    static func parseRetryAfter(_ value: String) -> Int? {
        if let seconds = Int(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, Int(date.timeIntervalSinceNow.rounded(.up)))
    }

    static func transportReason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout: return "timed out"
            case .remoteConnectionClosed: return "connection closed before an answer"
            default: return "connection failed"
            }
        }
        return "connection failed"
    }

    /// Logs one HTTP attempt (at `debug`) and counts it in the metrics.
    private func log(
        _ request: GraphRequest, status: Int?, attempt: Int, started: ContinuousClock.Instant, clientRequestId: String,
        requestId: String?
    ) {
        GraphMetrics.attempt(status: status, since: started)
        let elapsed = ContinuousClock.now - started
        let ms = elapsed.inMilliseconds
        logger.debug(
            "graph call",
            metadata: [
                "gg.graph.method": "\(request.method.rawValue)",
                "gg.graph.route": "\(Self.route(request.path))",
                "gg.graph.status": "\(status.map(String.init) ?? "none")",
                "gg.graph.attempt": "\(attempt)",
                "gg.graph.ms": "\(ms)",
                "gg.graph.client_request_id": "\(clientRequestId)",
                "gg.graph.request_id": "\(requestId ?? "-")",
            ])
    }

    /// The path with ids replaced by `{id}`, for logs.
    /// The path with every segment that is not a Graph path word (`me`, `messages`, `$value`, `v1.0`) shown as
    /// `{id}`: ids come from tool arguments, which a client can fill with anything (a short token too).
    static func route(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { segment in
                let word =
                    segment == "v1.0"
                    || (segment.count <= 24 && segment.drop { $0 == "$" }.allSatisfy { $0.isASCII && $0.isLetter })
                return word ? String(segment) : "{id}"
            }
            .joined(separator: "/")
    }
}
