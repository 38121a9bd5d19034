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

    enum CodingKeys: String, CodingKey {
        case redirectURIs = "redirect_uris"
        case clientName = "client_name"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case grantTypes = "grant_types"
        case responseTypes = "response_types"
        case scope
        case clientURI = "client_uri"
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

    enum CodingKeys: String, CodingKey {
        case clientId = "client_id"
        case clientIdIssuedAt = "client_id_issued_at"
        case clientName = "client_name"
        case redirectURIs = "redirect_uris"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case grantTypes = "grant_types"
        case responseTypes = "response_types"
        case scope
        case clientURI = "client_uri"
    }
}

/// Checks a registration request. Public clients only: a request for a secret-based method is answered with
/// `none` (RFC 7591 §3.2.1 lets the server substitute), which MCP clients accept.
enum ClientRegistrationValidator {
    static let maxBodyBytes = 16 * 1024
    static let maxNameLength = 200

    static func validate(
        _ request: ClientRegistrationRequest, supportedScopes: [String]
    ) throws(AuthorizationError)
        -> (name: String, redirectURIs: [String], scope: String, clientURI: String?)
    {
        guard let uris = request.redirectURIs, !uris.isEmpty else {
            throw .invalidRedirectURI("redirect_uris is required")
        }
        guard uris.count <= RedirectURIPolicy.maxCount else {
            throw .invalidRedirectURI("at most 10 redirect_uris may be registered")
        }
        for uri in uris {
            if let problem = RedirectURIPolicy.problem(with: uri) { throw .invalidRedirectURI(problem) }
        }
        if let method = request.tokenEndpointAuthMethod,
            !["none", "client_secret_post", "client_secret_basic"].contains(method)
        {
            throw .invalidClientMetadata("token_endpoint_auth_method must be none (public clients)")
        }
        if let grants = request.grantTypes,
            !grants.allSatisfy({ ["authorization_code", "refresh_token"].contains($0) })
                || !grants.contains("authorization_code")
        {
            throw .invalidClientMetadata("grant_types must be authorization_code (and refresh_token)")
        }
        if let types = request.responseTypes, types != ["code"] {
            throw .invalidClientMetadata("response_types must be [\"code\"]")
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
        return (name.isEmpty ? "Unnamed MCP client" : name, uris, scope.joined(separator: " "), clientURI)
    }
}
