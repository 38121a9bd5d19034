/// RFC 9728 protected resource metadata for `{public}/mcp`.
public struct ProtectedResourceMetadata: Codable, Sendable, Equatable {
    public var resource: String
    public var authorizationServers: [String]
    public var scopesSupported: [String]
    public var bearerMethodsSupported: [String]
    public var resourceName: String

    enum CodingKeys: String, CodingKey {
        case resource
        case authorizationServers = "authorization_servers"
        case scopesSupported = "scopes_supported"
        case bearerMethodsSupported = "bearer_methods_supported"
        case resourceName = "resource_name"
    }
}

/// RFC 8414 authorization server metadata.
public struct AuthorizationServerMetadata: Codable, Sendable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var registrationEndpoint: String
    public var revocationEndpoint: String
    public var scopesSupported: [String]
    public var responseTypesSupported: [String]
    public var responseModesSupported: [String]
    public var grantTypesSupported: [String]
    public var tokenEndpointAuthMethodsSupported: [String]
    public var revocationEndpointAuthMethodsSupported: [String]
    public var codeChallengeMethodsSupported: [String]
    public var authorizationResponseIssParameterSupported: Bool
    public var clientIdMetadataDocumentSupported: Bool

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case registrationEndpoint = "registration_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case scopesSupported = "scopes_supported"
        case responseTypesSupported = "response_types_supported"
        case responseModesSupported = "response_modes_supported"
        case grantTypesSupported = "grant_types_supported"
        case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
        case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
        case authorizationResponseIssParameterSupported = "authorization_response_iss_parameter_supported"
        case clientIdMetadataDocumentSupported = "client_id_metadata_document_supported"
    }
}

extension AuthorizationSettings {
    public var protectedResourceMetadata: ProtectedResourceMetadata {
        ProtectedResourceMetadata(
            resource: resource, authorizationServers: [issuer], scopesSupported: scopesSupported,
            bearerMethodsSupported: ["header"], resourceName: "graphgate (Microsoft 365 mail, calendar, contacts)")
    }

    public var authorizationServerMetadata: AuthorizationServerMetadata {
        AuthorizationServerMetadata(
            issuer: issuer, authorizationEndpoint: authorizationEndpoint, tokenEndpoint: tokenEndpoint,
            registrationEndpoint: registrationEndpoint, revocationEndpoint: revocationEndpoint,
            scopesSupported: scopesSupported, responseTypesSupported: ["code"], responseModesSupported: ["query"],
            grantTypesSupported: ["authorization_code", "refresh_token"],
            tokenEndpointAuthMethodsSupported: ClientRegistrationValidator.authMethods,
            revocationEndpointAuthMethodsSupported: ClientRegistrationValidator.authMethods,
            codeChallengeMethodsSupported: ["S256"], authorizationResponseIssParameterSupported: true,
            clientIdMetadataDocumentSupported: clientIdMetadataDocuments)
    }
}
