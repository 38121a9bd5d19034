import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sandbox

/// Drives an emulated tenant over real HTTP for the Sandbox suites: browser pages, token endpoint, Graph, control path.
struct SandboxTestClient: Sendable {
    let base: String
    let http: HTTPClient
    static let redirect = "http://127.0.0.1:53117/callback"
    static let tenant = SandboxConfiguration.tenantId
    /// A PKCE verifier and its S256 challenge (BASE64URL(SHA256(verifier))).
    static let verifier = "sandbox-test-verifier-0123456789abcdefghijklmnopqrstuvwxyz"
    static let challenge = "scGntLvN7k7_LgJUdFns0UlEcImWt5MPoMC328jxY5s"

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var values: [[String: Any]] { json["value"] as? [[String: Any]] ?? [] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        func header(_ name: String) -> String? { headers.first(name: name) }
    }

    struct Tokens: Sendable {
        let access: String
        let refresh: String?
        let idToken: String?
        let expiresIn: Int
        let scope: String
    }

    /// Runs `body` against a fresh tenant.
    static func with(
        _ configuration: SandboxConfiguration = SandboxConfiguration(),
        _ body: @Sendable (SandboxTestClient) async throws -> Void
    ) async throws {
        try await SandboxTenant.withRunning(configuration) { url in
            let http = HTTPClient(
                eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            do {
                try await body(SandboxTestClient(base: url.absoluteString, http: http))
            } catch {
                try? await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }
    }

    func send(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: Data? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : base + path)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
    }

    func form(
        _ path: String, _ fields: [String: String], cookie: String? = nil, headers: [(String, String)] = []
    ) async throws -> Reply {
        var h = headers + [("Content-Type", "application/x-www-form-urlencoded")]
        if let cookie { h.append(("Cookie", cookie)) }
        let text = fields.sorted { $0.key < $1.key }.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(
            separator: "&")
        return try await send(.POST, path, headers: h, body: Data(text.utf8))
    }

    func graph(_ token: String, _ path: String, headers: [(String, String)] = []) async throws -> Reply {
        try await graph(token, .GET, path, headers: headers)
    }

    func graph(
        _ token: String, _ method: HTTPMethod, _ path: String, json: Any? = nil, headers: [(String, String)] = []
    )
        async throws -> Reply
    {
        var h = headers + [("Authorization", "Bearer \(token)")]
        var body: Data? = nil
        if let json {
            body = try JSONSerialization.data(withJSONObject: json)
            h.append(("Content-Type", "application/json"))
        }
        return try await send(method, path.hasPrefix("http") ? path : "/v1.0" + path, headers: h, body: body)
    }

    func control(_ method: HTTPMethod, _ path: String, json: Any? = nil) async throws -> Reply {
        try await send(
            method, "/_sandbox/" + path, headers: [("Content-Type", "application/json")],
            body: try json.map { try JSONSerialization.data(withJSONObject: $0) })
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func capture(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), m.numberOfRanges > 1,
            let r = Range(m.range(at: 1), in: text)
        else { return nil }
        return String(text[r])
    }

    static func query(_ location: String) -> [String: String] {
        var out: [String: String] = [:]
        for item in URLComponents(string: location)?.queryItems ?? [] { out[item.name] = item.value }
        return out
    }

    /// Walks authorize → account picker → consent → redirect, like a browser; returns the redirect's parameters.
    func authorize(
        upn: String, scopes: String, clientId: String = SandboxConfiguration.clientId, extra: [String: String] = [:],
        cookie: String? = nil
    ) async throws -> (params: [String: String], cookie: String?) {
        var params = [
            "client_id": clientId, "response_type": "code", "redirect_uri": Self.redirect, "scope": scopes,
            "state": "st-123", "nonce": "n-456",
        ]
        for (k, v) in extra { params[k] = v }
        let query = params.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.encode($0.value))" }.joined(
            separator: "&")
        var cookie = cookie
        var reply = try await send(
            .GET, "/\(Self.tenant)/oauth2/v2.0/authorize?\(query)", headers: cookie.map { [("Cookie", $0)] } ?? [])
        for _ in 0..<6 {
            if reply.status == 302, let location = reply.header("location") {
                if location.hasPrefix(Self.redirect) { return (Self.query(location), cookie) }
                reply = try await send(.GET, location, headers: cookie.map { [("Cookie", $0)] } ?? [])
                continue
            }
            guard reply.status == 200, let returnTo = Self.capture(#"name="return_to" value="([^"]*)""#, in: reply.text)
            else {
                throw SandboxTestError.unexpected(reply.text)
            }
            if reply.text.contains("/login/select") {
                guard let oid = Self.capture(#"value="([0-9a-f-]{36})" data-upn="\#(upn)""#, in: reply.text) else {
                    throw SandboxTestError.unexpected("no account \(upn)")
                }
                reply = try await form(
                    "/\(Self.tenant)/login/select", ["user": oid, "return_to": Self.unescape(returnTo)])
                if let setCookie = reply.header("set-cookie") { cookie = String(setCookie.split(separator: ";")[0]) }
            } else {
                reply = try await form(
                    "/\(Self.tenant)/login/consent", ["decision": "accept", "return_to": Self.unescape(returnTo)],
                    cookie: cookie)
            }
        }
        throw SandboxTestError.unexpected("sign-in did not finish")
    }

    /// Redeems a code at the token endpoint.
    func redeem(
        code: String, verifier: String? = nil, secret: String = SandboxConfiguration.clientSecret
    ) async throws -> Reply {
        var fields = [
            "grant_type": "authorization_code", "client_id": SandboxConfiguration.clientId, "client_secret": secret,
            "code": code, "redirect_uri": Self.redirect,
        ]
        if let verifier { fields["code_verifier"] = verifier }
        return try await form("/\(Self.tenant)/oauth2/v2.0/token", fields)
    }

    func refresh(_ token: String, scope: String? = nil) async throws -> Reply {
        var fields = [
            "grant_type": "refresh_token", "client_id": SandboxConfiguration.clientId,
            "client_secret": SandboxConfiguration.clientSecret, "refresh_token": token,
        ]
        if let scope { fields["scope"] = scope }
        return try await form("/\(Self.tenant)/oauth2/v2.0/token", fields)
    }

    /// A full sign-in: authorize (with PKCE S256), consent, redeem.
    func signIn(
        _ upn: String,
        scopes: String =
            "openid profile offline_access User.Read Mail.ReadWrite Mail.Send Calendars.ReadWrite Contacts.ReadWrite"
    )
        async throws -> Tokens
    {
        let verifier = Self.verifier, challenge = Self.challenge
        let (params, _) = try await authorize(
            upn: upn, scopes: scopes, extra: ["code_challenge": challenge, "code_challenge_method": "S256"])
        guard let code = params["code"] else { throw SandboxTestError.unexpected("no code: \(params)") }
        let reply = try await redeem(code: code, verifier: verifier)
        return try Self.tokens(reply)
    }

    static func tokens(_ reply: Reply) throws -> Tokens {
        let j = reply.json
        guard reply.status == 200, let access = j["access_token"] as? String else {
            throw SandboxTestError.unexpected(reply.text)
        }
        return Tokens(
            access: access, refresh: j["refresh_token"] as? String, idToken: j["id_token"] as? String,
            expiresIn: j["expires_in"] as? Int ?? 0, scope: j["scope"] as? String ?? "")
    }

    /// The claims of a compact JWT (not verified).
    static func claims(_ jwt: String) -> [String: Any] {
        let parts = jwt.split(separator: ".")
        guard parts.count == 3 else { return [:] }
        var s = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    }
}

enum SandboxTestError: Error {
    case unexpected(String)
}
