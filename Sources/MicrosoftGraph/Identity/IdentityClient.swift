import AsyncHTTPClient
import Foundation
import JSONText
import Logging
import NIOCore
import NIOHTTP1

/// Client of the Microsoft identity platform v2.0 for one app registration: authorization code + PKCE,
/// refresh_token grant, device code flow, and id_token verification against the tenant's JWKS.
///
/// Confidential when `clientSecret` is set (the server), public when nil (desktop device code flow). Endpoints
/// are Microsoft's fixed paths under `{authority}/{tenant}`; discovery is used for the issuer and `jwks_uri`.
/// Nothing secret (tokens, codes, verifier, client secret) is logged or put into an error.
public struct IdentityClient: Sendable {
    /// Where the authority is (read per request: in sandbox mode it is known only once the tenant listens).
    public let endpoints: MicrosoftEndpoints
    public var authority: URL { endpoints.authority }
    public let tenant: String
    public let clientId: String
    let clientSecret: String?
    let httpClient: HTTPClient
    let logger: Logger
    let keyCache: SigningKeyCache
    /// Per-request deadline for the token endpoint (kept below the vault's refresh lease).
    public var requestTimeout: TimeAmount = .seconds(20)
    /// Accepted clock difference for `exp`/`nbf`.
    public var clockSkew: TimeInterval = 300

    public init(
        httpClient: HTTPClient, authority: URL, tenant: String, clientId: String, clientSecret: String?,
        logger: Logger = Logger(label: "graphgate.identity"), jwksMinimumRefetchInterval: TimeInterval = 60
    ) {
        self.init(
            httpClient: httpClient, endpoints: MicrosoftEndpoints(authority: authority, graph: authority),
            tenant: tenant, clientId: clientId, clientSecret: clientSecret, logger: logger,
            jwksMinimumRefetchInterval: jwksMinimumRefetchInterval)
    }

    /// - Parameter endpoints: where the authority is; only its `authority` is used.
    public init(
        httpClient: HTTPClient, endpoints: MicrosoftEndpoints, tenant: String, clientId: String,
        clientSecret: String?, logger: Logger = Logger(label: "graphgate.identity"),
        jwksMinimumRefetchInterval: TimeInterval = 60
    ) {
        self.httpClient = httpClient
        self.endpoints = endpoints
        self.tenant = tenant
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.logger = logger
        self.keyCache = SigningKeyCache(
            httpClient: httpClient,
            discoveryURL: { [endpoints] in
                "\(Self.base(endpoints.authority))/\(tenant)/v2.0/.well-known/openid-configuration"
            },
            minimumRefetchInterval: jwksMinimumRefetchInterval, logger: logger)
    }

    public var isConfidential: Bool { clientSecret != nil }

    var base: String { Self.base(authority) }

    /// The authority without a trailing slash.
    static func base(_ authority: URL) -> String {
        let text = authority.absoluteString
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    public var authorizeEndpoint: String { "\(base)/\(tenant)/oauth2/v2.0/authorize" }
    public var tokenEndpoint: String { "\(base)/\(tenant)/oauth2/v2.0/token" }
    public var deviceCodeEndpoint: String { "\(base)/\(tenant)/oauth2/v2.0/devicecode" }

    /// The discovery document (cached for a day).
    public func openIDMetadata() async throws(IdentityError) -> OpenIDMetadata {
        try await keyCache.openIDMetadata()
    }

    // MARK: authorization code + PKCE

    /// Microsoft's authorize URL for a browser redirect (`response_mode=query`).
    public func authorizationURL(
        redirectURI: String, scopes: [String], state: String, nonce: String, codeChallenge: String,
        loginHint: String? = nil, prompt: String? = nil
    ) -> URL {
        var components = URLComponents(string: authorizeEndpoint)!
        var items = [
            URLQueryItem(name: "client_id", value: clientId),
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "redirect_uri", value: redirectURI),
            URLQueryItem(name: "response_mode", value: "query"),
            URLQueryItem(name: "scope", value: MicrosoftScopes.normalize(scopes).joined(separator: " ")),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: codeChallenge),
            URLQueryItem(name: "code_challenge_method", value: PKCE.method),
        ]
        if let loginHint, !loginHint.isEmpty { items.append(URLQueryItem(name: "login_hint", value: loginHint)) }
        if let prompt { items.append(URLQueryItem(name: "prompt", value: prompt)) }
        components.percentEncodedQueryItems = items.map {
            URLQueryItem(name: $0.name, value: $0.value.map(FormEncoding.escape))
        }
        return components.url!
    }

    /// Redeems an authorization code with the PKCE verifier of the same sign-in.
    public func redeemCode(
        _ code: String, redirectURI: String, codeVerifier: String, scopes: [String]
    )
        async throws(IdentityError) -> TokenSet
    {
        try await tokenRequest(
            [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                ("code_verifier", codeVerifier), ("scope", MicrosoftScopes.normalize(scopes).joined(separator: " ")),
            ], requestedScopes: scopes)
    }

    /// Redeems a refresh token. Microsoft returns a new refresh token; the caller must store it before use.
    public func refresh(refreshToken: String, scopes: [String]) async throws(IdentityError) -> TokenSet {
        var wanted = MicrosoftScopes.normalize(scopes)
        if !wanted.contains("offline_access") { wanted.append("offline_access") }
        return try await tokenRequest(
            [
                ("grant_type", "refresh_token"), ("refresh_token", refreshToken),
                ("scope", wanted.joined(separator: " ")),
            ],
            requestedScopes: wanted)
    }

    // MARK: token endpoint

    func tokenRequest(
        _ parameters: [(String, String)], requestedScopes: [String]
    ) async throws(IdentityError)
        -> TokenSet
    {
        var form = [("client_id", clientId)] + parameters
        if let clientSecret { form.append(("client_secret", clientSecret)) }
        let started = Date()
        let (status, body) = try await post(tokenEndpoint, form: form)
        guard status == 200 else {
            let error = Self.mapError(status: status, body: body, requestedScopes: requestedScopes)
            logger.info(
                "token endpoint refused",
                metadata: [
                    "gg.status": "\(status)", "gg.error": "\(error)", "gg.grant": "\(parameters.first?.1 ?? "")",
                ])
            throw error
        }
        let decoded: TokenEndpointResponse
        do {
            decoded = try JSONDecoder().decode(TokenEndpointResponse.self, from: body)
        } catch {
            throw .invalidResponse("the token response is not valid JSON")
        }
        guard let accessToken = decoded.access_token, !accessToken.isEmpty else {
            throw .invalidResponse("the token response has no access_token")
        }
        if let type = decoded.token_type, type.lowercased() != "bearer" {
            throw .invalidResponse("unexpected token_type")
        }
        let lifetime = max(60, decoded.expires_in?.value ?? 3600)
        return TokenSet(
            accessToken: accessToken, refreshToken: decoded.refresh_token.flatMap { $0.isEmpty ? nil : $0 },
            idToken: decoded.id_token, scopes: MicrosoftScopes.parse(decoded.scope ?? ""), obtainedAt: started,
            expiresAt: started.addingTimeInterval(TimeInterval(lifetime)))
    }

    func post(_ url: String, form: [(String, String)]) async throws(IdentityError) -> (Int, Data) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "client-request-id", value: SystemRandom.uuid())
        request.headers.add(name: "return-client-request-id", value: "true")
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode(form)))
        do {
            let response = try await httpClient.execute(request, timeout: requestTimeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), Data(body.readableBytesView))
        } catch {
            throw .unreachable(Self.transportFailure(error))
        }
    }

    /// Turns Microsoft's error JSON into a typed error, keeping only the `error` code and AADSTS numbers.
    static func mapError(status: Int, body: Data, requestedScopes: [String]) -> IdentityError {
        let parsed = try? JSONDecoder().decode(TokenEndpointError.self, from: body)
        let error = (parsed?.error ?? "").lowercased()
        let codes = parsed?.error_codes ?? []
        if parsed?.error == nil, status >= 500 || status == 429 { return .serviceUnavailable(status: status) }
        if status >= 500 && error != "invalid_grant" { return .serviceUnavailable(status: status) }
        let consentScopes = MicrosoftScopes.normalize(requestedScopes).filter { !MicrosoftScopes.openID.contains($0) }
        if codes.contains(65001) || error == "consent_required" { return .consentRequired(scopes: consentScopes) }
        switch error {
        case "interaction_required", "login_required": return .interactionRequired
        case "invalid_grant":
            if codes.contains(700082) { return .signInRequired(.refreshTokenExpired) }
            if codes.contains(50173) { return .signInRequired(.grantRevoked) }
            if codes.contains(50076) || codes.contains(50079) || codes.contains(50158) { return .interactionRequired }
            return .signInRequired(.invalidGrant)
        case "authorization_pending": return .authorizationPending
        case "slow_down": return .slowDown
        case "expired_token", "code_expired": return .deviceCodeExpired
        case "authorization_declined", "access_denied": return .deviceCodeDeclined
        case "invalid_client", "unauthorized_client": return .invalidClient(aadsts: codes)
        case "temporarily_unavailable", "server_error": return .serviceUnavailable(status: status)
        default:
            let clean = String(error.filter { $0.isLetter || $0 == "_" }.prefix(40))
            return .rejected(error: clean.isEmpty ? "unknown" : clean, aadsts: codes, status: status)
        }
    }

    /// The kind of a transport failure, never its text (which can hold a URL).
    static func transportFailure(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout, .connectTimeout, .deadlineExceeded: return "timed out"
            case .remoteConnectionClosed: return "the connection was closed"
            case .cancelled: return "cancelled"
            default: return "HTTP client error"
            }
        }
        if error is CancellationError { return "cancelled" }
        if let error = error as? IOError { return "I/O error \(error.errnoCode)" }
        if String(describing: type(of: error)).contains("Connect") { return "connection failed" }
        return "connection error"
    }
}

/// `application/x-www-form-urlencoded` (WHATWG): unreserved characters kept, everything else percent-encoded.
enum FormEncoding {
    private static let allowed = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }
}
