/// The parts of `{authority}/{tenant}/v2.0/.well-known/openid-configuration` graphgate uses.
public struct OpenIDMetadata: Sendable, Equatable, Decodable {
    /// May hold the literal `{tenantid}` placeholder (multi-tenant authorities such as `common`).
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var jwksURI: String
    public var deviceAuthorizationEndpoint: String?

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
        case deviceAuthorizationEndpoint = "device_authorization_endpoint"
    }

    /// The issuer a token of tenant `tid` must carry.
    public func expectedIssuer(tenantId: String) -> String {
        issuer.replacingOccurrences(of: "{tenantid}", with: tenantId)
    }
}
