import Foundation

/// An RFC 7591 registration request, as much of it as graphgate uses. Unknown members are ignored.
public struct ClientRegistrationRequest: Decodable, Sendable {
    public var redirectURIs: [String]?
    public var clientName: String?
    public var tokenEndpointAuthMethod: String?
    public var grantTypes: [String]?
    public var responseTypes: [String]?
    public var scope: String?
    public var clientURI: String?
    public var applicationType: String?

    enum CodingKeys: String, CodingKey {
        case redirectURIs = "redirect_uris"
        case clientName = "client_name"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case grantTypes = "grant_types"
        case responseTypes = "response_types"
        case scope
        case clientURI = "client_uri"
        case applicationType = "application_type"
    }
}

/// The RFC 7591 client information response.
public struct ClientRegistrationResponse: Encodable, Sendable, Equatable {
    public var clientId: String
    public var clientIdIssuedAt: Int64
    public var clientName: String
    public var redirectURIs: [String]
    public var tokenEndpointAuthMethod = "none"
    public var grantTypes = ["authorization_code", "refresh_token"]
    public var responseTypes = ["code"]
    public var scope: String
    public var clientURI: String?
    public var applicationType = "web"
    /// Only in the answer that created a secret-based client (never stored; its hash is).
    public var clientSecret: String?
    /// 0: the secret does not expire (it goes with the client, which expires when idle).
    public var clientSecretExpiresAt: Int64?

    enum CodingKeys: String, CodingKey {
        case clientId = "client_id"
        case clientIdIssuedAt = "client_id_issued_at"
        case applicationType = "application_type"
        case clientSecret = "client_secret"
        case clientSecretExpiresAt = "client_secret_expires_at"
        case clientName = "client_name"
        case redirectURIs = "redirect_uris"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case grantTypes = "grant_types"
        case responseTypes = "response_types"
        case scope
        case clientURI = "client_uri"
    }
}

/// Checks a registration request (and the same fields of a metadata document).
enum ClientRegistrationValidator {
    static let maxBodyBytes = 16 * 1024
    static let maxNameLength = 200
    static let authMethods = ["none", "client_secret_post", "client_secret_basic"]

    /// A request that passed.
    struct Valid: Equatable {
        var name: String
        var redirectURIs: [String]
        var scope: String
        var clientURI: String?
        /// `none` unless the client asked for a secret (`client_secret_post` / `client_secret_basic`).
        var authMethod: String
        /// `web` (the default) or `native`.
        var applicationType: String
    }

    static func validate(
        _ request: ClientRegistrationRequest, supportedScopes: [String]
    ) throws(AuthorizationError) -> Valid {
        guard let uris = request.redirectURIs, !uris.isEmpty else {
            throw .invalidRedirectURI("redirect_uris is required")
        }
        guard uris.count <= RedirectURIPolicy.maxCount else {
            throw .invalidRedirectURI("at most 10 redirect_uris may be registered")
        }
        for uri in uris {
            if let problem = RedirectURIPolicy.problem(with: uri) { throw .invalidRedirectURI(problem) }
        }
        let authMethod = request.tokenEndpointAuthMethod ?? "none"
        guard authMethods.contains(authMethod) else {
            throw .invalidClientMetadata(
                "token_endpoint_auth_method must be none, client_secret_post or client_secret_basic")
        }
        let applicationType = request.applicationType ?? "web"
        guard ["web", "native"].contains(applicationType) else {
            throw .invalidClientMetadata("application_type must be web or native")
        }
        // Grant and response types the client can also use elsewhere (Claude's documents list jwt-bearer, VS
        // Code's device_code) are not refused: the client is registered for ours only, and the registration
        // response says so (RFC 7591 §3.2.1).
        if let grants = request.grantTypes, !grants.contains("authorization_code") {
            throw .invalidClientMetadata("grant_types must include authorization_code")
        }
        if let types = request.responseTypes, !types.contains("code") {
            throw .invalidClientMetadata("response_types must include code")
        }
        let name = (request.clientName ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.count <= maxNameLength,
            name.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) })
        else {
            throw .invalidClientMetadata("client_name must be at most 200 printable characters")
        }
        var clientURI: String?
        if let uri = request.clientURI, !uri.isEmpty {
            guard uri.utf8.count <= 2000, let components = URLComponents(string: uri), components.scheme == "https",
                components.host?.isEmpty == false, components.user == nil
            else {
                throw .invalidClientMetadata("client_uri must be an https URL")
            }
            clientURI = uri
        }
        let requested = OAuthScopes.parse(request.scope)
        let scope = requested.filter { supportedScopes.contains($0) }
        if !requested.isEmpty && scope.isEmpty {
            throw .invalidClientMetadata("scope names none of the scopes this server supports")
        }
        return Valid(
            name: name.isEmpty ? "Unnamed MCP client" : name, redirectURIs: uris, scope: scope.joined(separator: " "),
            clientURI: clientURI, authMethod: authMethod, applicationType: applicationType)
    }
}
