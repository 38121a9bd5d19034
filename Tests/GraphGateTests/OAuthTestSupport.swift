import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A headless browser for graphgate's OAuth pages: no automatic redirects, one cookie jar per origin.
///
/// It sends what is addressed to graphgate's public origin through the ``TestApp``'s in-process client and
/// everything else (the emulated tenant) over HTTP, with the same jar and the same headers.
final class OAuthBrowser: Sendable {
    struct Page: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        var url: String
        var location: String? { headers.first(name: "location") }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let http: HTTPClient
    /// graphgate, in process.
    let app: InProcessOrigin
    private let jar = Mutex<[String: [String: String]]>([:])

    init(_ app: TestApp) {
        http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
        self.app = app.http.origin
    }

    func shutdown() async { try? await http.shutdown() }

    func get(_ url: String, headers: [(String, String)] = []) async throws -> Page {
        try await send(url, method: .GET, headers: headers, body: nil)
    }

    func post(_ url: String, form: [(String, String)], headers: [(String, String)] = []) async throws -> Page {
        try await send(
            url, method: .POST, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
            body: OAuthBrowser.form(form))
    }

    func postJSON(_ url: String, json: String, headers: [(String, String)] = []) async throws -> Page {
        try await send(url, method: .POST, headers: headers + [("Content-Type", "application/json")], body: json)
    }

    func send(_ url: String, method: HTTPMethod, headers: [(String, String)], body: String?) async throws -> Page {
        var fields = headers
        // Each request comes from its own address (the test server trusts 127.0.0.1 as a proxy), so the per-IP
        // rate limits, which are not under test here, never interfere.
        fields.append(
            (
                "X-Forwarded-For",
                "10.\(UInt8.random(in: 0...255)).\(UInt8.random(in: 0...255)).\(UInt8.random(in: 1...254))"
            ))
        let origin = Self.origin(of: url)
        let cookies = jar.withLock { $0[origin] ?? [:] }
        if !cookies.isEmpty {
            fields.append(("Cookie", cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")))
        }
        let answer: (status: Int, headers: HTTPHeaders, body: String)
        if let inProcess = try await app.send(url, method: method, headers: fields, body: body) {
            answer = inProcess
        } else {
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in fields { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await http.execute(request, timeout: .seconds(30))
            let buffer = try await response.body.collect(upTo: 8 * 1024 * 1024)
            answer = (Int(response.status.code), response.headers, String(buffer: buffer))
        }
        for header in answer.headers[canonicalForm: "set-cookie"] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            let value = pair.count > 1 ? String(pair[1]) : ""
            jar.withLock { jar in
                if value.isEmpty || header.lowercased().contains("max-age=0") {
                    jar[origin]?[name] = nil
                } else {
                    jar[origin, default: [:]][name] = value
                }
            }
        }
        return Page(status: answer.status, headers: answer.headers, body: answer.body, url: url)
    }

    func cookies(for url: String) -> [String: String] { jar.withLock { $0[Self.origin(of: url)] ?? [:] } }
    func clearCookies() { jar.withLock { $0.removeAll() } }

    static func origin(of url: String) -> String {
        guard let c = URLComponents(string: url) else { return url }
        return "\(c.scheme ?? "")://\(c.host ?? ""):\(c.port ?? 0)"
    }

    static func resolve(_ location: String, against base: String) -> String {
        URL(string: location, relativeTo: URL(string: base))?.absoluteString ?? location
    }

    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map {
            "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
    }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end]).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(
            of: "&#39;", with: "'"
        )
        .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func query(_ url: String) -> [String: String] {
        var result: [String: String] = [:]
        for item in URLComponents(string: url)?.queryItems ?? [] { result[item.name] = item.value ?? "" }
        return result
    }
}

/// One MCP client's view of graphgate's authorization server, for tests.
struct OAuthTestClient: Sendable {
    static let redirectURI = "http://127.0.0.1:33418/callback"

    let base: String
    let browser: OAuthBrowser
    let clientId: String
    let redirectURI: String

    /// Registers a public client (RFC 7591).
    static func register(
        base: String, browser: OAuthBrowser, redirectURIs: [String] = [redirectURI], name: String = "Test Client"
    )
        async throws -> OAuthTestClient
    {
        let uris = redirectURIs.map { "\"\($0)\"" }.joined(separator: ",")
        let page = try await browser.postJSON(
            base + "/oauth/register",
            json: #"{"client_name":"\#(name)","redirect_uris":[\#(uris)],"token_endpoint_auth_method":"none"}"#)
        guard page.status == 201,
            let json = try JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any],
            let id = json["client_id"] as? String
        else { throw OAuthBrowser.Failure(description: "registration answered \(page.status): \(page.body)") }
        return OAuthTestClient(base: base, browser: browser, clientId: id, redirectURI: redirectURIs[0])
    }

    static func pkce() -> (verifier: String, challenge: String) {
        let verifier = (0..<3).map { _ in UUID().uuidString }.joined(separator: "-")
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return (verifier, challenge)
    }

    func authorizeURL(
        challenge: String, state: String = "st-1", method: String? = "S256", redirectURI: String? = nil,
        extra: [(String, String)] = []
    ) -> String {
        var fields = [
            ("response_type", "code"), ("client_id", clientId), ("redirect_uri", redirectURI ?? self.redirectURI),
            ("state", state), ("code_challenge", challenge), ("resource", base + "/mcp"),
        ]
        if let method { fields.append(("code_challenge_method", method)) }
        return base + "/oauth/authorize?" + OAuthBrowser.form(fields + extra)
    }

    /// Follows an authorize URL through the emulated tenant's sign-in (picking the `userIndex`-th user) to
    /// graphgate's consent page, and stops there. Returns that page. With `stopAtCallback`, stops at the
    /// tenant's redirect to graphgate's `/oauth/callback` instead (its `location` is the callback URL).
    func signIn(_ authorizeURL: String, userIndex: Int, stopAtCallback: Bool = false) async throws -> OAuthBrowser.Page
    {
        var page = try await browser.get(authorizeURL)
        for _ in 0..<12 {
            if let location = page.location {
                let next = OAuthBrowser.resolve(location, against: page.url)
                if next.hasPrefix(redirectURI) { return page }
                if stopAtCallback, next.hasPrefix(base + "/oauth/callback") { return page }
                page = try await browser.get(next)
                continue
            }
            guard page.status == 200 else {
                throw OAuthBrowser.Failure(description: "\(page.status) at \(page.url): \(page.body.prefix(300))")
            }
            if page.body.contains("action=\"/oauth/consent\"") { return page }
            guard let returnTo = OAuthBrowser.hidden("return_to", in: page.body) else {
                throw OAuthBrowser.Failure(description: "unexpected page at \(page.url)")
            }
            if let selectRange = page.body.range(of: "/login/select") {
                let ids = Self.userIds(in: page.body)
                let action = String(page.body[..<selectRange.upperBound].split(separator: "\"").last ?? "")
                page = try await browser.post(
                    OAuthBrowser.resolve(action, against: page.url),
                    form: [("user", ids[userIndex]), ("return_to", returnTo)])
            } else if let consentRange = page.body.range(of: "/login/consent") {
                let action = String(page.body[..<consentRange.upperBound].split(separator: "\"").last ?? "")
                page = try await browser.post(
                    OAuthBrowser.resolve(action, against: page.url),
                    form: [("decision", "accept"), ("return_to", returnTo)])
            } else {
                throw OAuthBrowser.Failure(description: "unexpected page at \(page.url)")
            }
        }
        throw OAuthBrowser.Failure(description: "sign-in did not reach the consent page")
    }

    /// Answers graphgate's consent page; returns the redirect (Location) it produced.
    func decide(
        _ consentPage: OAuthBrowser.Page, decision: String = "allow", csrf: String? = nil, remember: Bool = true
    )
        async throws -> OAuthBrowser.Page
    {
        var form = [("request", OAuthBrowser.hidden("request", in: consentPage.body) ?? ""), ("decision", decision)]
        if let csrf = csrf ?? OAuthBrowser.hidden("csrf", in: consentPage.body) { form.append(("csrf", csrf)) }
        if remember { form.append(("remember", "1")) }
        return try await browser.post(base + "/oauth/consent", form: form)
    }

    /// Full login of the `userIndex`-th user: authorize, sign in, allow. Returns (code, state, verifier).
    func login(userIndex: Int, state: String = "st-1") async throws -> (code: String, state: String?, verifier: String)
    {
        let (verifier, challenge) = Self.pkce()
        let consent = try await signIn(authorizeURL(challenge: challenge, state: state), userIndex: userIndex)
        var redirect = consent
        if consent.location == nil { redirect = try await decide(consent) }
        guard let location = redirect.location, location.hasPrefix(redirectURI) else {
            throw OAuthBrowser.Failure(
                description: "no redirect to the client: \(redirect.status) \(redirect.body.prefix(300))")
        }
        let query = OAuthBrowser.query(location)
        guard let code = query["code"] else { throw OAuthBrowser.Failure(description: "no code in \(query)") }
        return (code, query["state"], verifier)
    }

    func token(_ fields: [(String, String)]) async throws -> (status: Int, json: [String: Any], page: OAuthBrowser.Page)
    {
        let page = try await browser.post(base + "/oauth/token", form: fields)
        let json = (try? JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any]) ?? [:]
        return (page.status, json, page)
    }

    func exchange(
        code: String, verifier: String?, redirectURI: String? = nil
    ) async throws
        -> (status: Int, json: [String: Any], page: OAuthBrowser.Page)
    {
        var fields = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI ?? self.redirectURI),
            ("client_id", clientId),
        ]
        if let verifier { fields.append(("code_verifier", verifier)) }
        return try await token(fields)
    }

    /// Logs in and returns (access, refresh).
    func tokens(userIndex: Int) async throws -> (access: String, refresh: String) {
        let login = try await login(userIndex: userIndex)
        let answer = try await exchange(code: login.code, verifier: login.verifier)
        guard answer.status == 200, let access = answer.json["access_token"] as? String,
            let refresh = answer.json["refresh_token"] as? String
        else { throw OAuthBrowser.Failure(description: "token answered \(answer.status): \(answer.page.body)") }
        return (access, refresh)
    }

    static func userIds(in html: String) -> [String] {
        var ids: [String] = []
        var rest = html[...]
        while let range = rest.range(of: "name=\"user\" value=\"") {
            let tail = rest[range.upperBound...]
            guard let end = tail.firstIndex(of: "\"") else { break }
            ids.append(String(tail[..<end]))
            rest = tail[end...]
        }
        return ids
    }
}

/// Talks MCP Streamable HTTP to `/mcp` with a bearer token.
struct MCPTestClient: Sendable {
    let base: String
    let browser: OAuthBrowser

    static let initialize =
        #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#

    func post(
        _ json: String, token: String?, session: String? = nil, extra: [(String, String)] = []
    ) async throws
        -> OAuthBrowser.Page
    {
        var headers = [("Accept", "application/json, text/event-stream")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let session { headers.append(("Mcp-Session-Id", session)) }
        return try await browser.postJSON(base + "/mcp", json: json, headers: headers + extra)
    }

    /// Initializes a session; returns its id.
    func open(token: String) async throws -> String {
        let page = try await post(Self.initialize, token: token)
        guard page.status == 200, let id = page.headers.first(name: "mcp-session-id") else {
            throw OAuthBrowser.Failure(description: "initialize answered \(page.status): \(page.body.prefix(300))")
        }
        _ = try await post(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, token: token, session: id)
        return id
    }
}
