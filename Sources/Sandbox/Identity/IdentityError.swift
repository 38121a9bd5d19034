import Foundation

/// An error of the identity platform's token/devicecode endpoints, in Microsoft's JSON shape
/// (`error`, `error_description` starting with `AADSTSnnnnn:`, `error_codes`, `timestamp`, `trace_id`,
/// `correlation_id`, `error_uri`, and `suberror` where Microsoft sends one).
struct IdentityError: Error, Sendable {
    let status: Int
    let error: String
    let code: Int
    let message: String
    var suberror: String? = nil

    func json(correlationId: String) -> JSONValue {
        let now = Date()
        let trace = Secrets.guid()
        let stamp = WireFormat.aadTimestamp(now)
        let description =
            "AADSTS\(code): \(message) Trace ID: \(trace) Correlation ID: \(correlationId) Timestamp: \(stamp)"
        var o: [(String, JSONValue)] = [
            ("error", .string(error)),
            ("error_description", .string(description)),
            ("error_codes", .array([.int(code)])),
            ("timestamp", .string(stamp)),
            ("trace_id", .string(trace)),
            ("correlation_id", .string(correlationId)),
            ("error_uri", .string("https://login.microsoftonline.com/error?code=\(code)")),
        ]
        if let suberror { o.append(("suberror", .string(suberror))) }
        return .object(o)
    }

    // MARK: The errors the emulator sends (texts follow Microsoft's AADSTS reference).

    static func invalidRequest(_ message: String, code: Int = 900144) -> IdentityError {
        IdentityError(status: 400, error: "invalid_request", code: code, message: message)
    }
    static func missingParameter(_ name: String) -> IdentityError {
        invalidRequest("The request body must contain the following parameter: '\(name)'.")
    }
    static func unknownClient(_ clientId: String) -> IdentityError {
        IdentityError(
            status: 400, error: "unauthorized_client", code: 700016,
            message:
                "Application with identifier '\(clientId)' was not found in the directory '\(SandboxConfiguration.tenantId)'. "
                + "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. "
                + "You may have sent your authentication request to the wrong tenant.")
    }
    static let badSecret = IdentityError(
        status: 401, error: "invalid_client", code: 7_000_215,
        message:
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "
            + "not the client secret ID, for a secret added to app '\(SandboxConfiguration.clientId)'.")
    static let missingSecret = IdentityError(
        status: 401, error: "invalid_client", code: 7_000_218,
        message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
    static let publicClientSecret = IdentityError(
        status: 401, error: "invalid_client", code: 700025,
        message: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
    static let badCode = IdentityError(
        status: 400, error: "invalid_grant", code: 70000,
        message: "The provided value for the 'code' parameter is not valid.")
    static let expiredCode = IdentityError(
        status: 400, error: "invalid_grant", code: 70000,
        message: "The provided authorization code has expired. Send a new interactive authorization request.")
    static let redeemedCode = IdentityError(
        status: 400, error: "invalid_grant", code: 54005,
        message:
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."
    )
    static let pkceMismatch = IdentityError(
        status: 400, error: "invalid_grant", code: 501_481,
        message: "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
    static let pkceMissing = IdentityError(
        status: 400, error: "invalid_grant", code: 50148,
        message: "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.")
    static func redirectMismatch(_ uri: String) -> IdentityError {
        IdentityError(
            status: 400, error: "invalid_request", code: 50011,
            message:
                "The redirect URI '\(uri)' specified in the request does not match the redirect URIs configured for the application '\(SandboxConfiguration.clientId)'. "
                + "Make sure the redirect URI sent in the request matches one added to your application in the Azure portal."
        )
    }
    static let badRefreshToken = IdentityError(
        status: 400, error: "invalid_grant", code: 9_002_313,
        message: "Invalid request. Request is malformed or invalid.")
    static func refreshExpired(issued: Date) -> IdentityError {
        IdentityError(
            status: 400, error: "invalid_grant", code: 700_082,
            message:
                "The refresh token has expired due to inactivity. The token was issued on \(WireFormat.iso(issued)) and was inactive for 90.00:00:00."
        )
    }
    static func refreshRevoked(issued: Date, validFrom: Date) -> IdentityError {
        IdentityError(
            status: 400, error: "invalid_grant", code: 50173,
            message:
                "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. "
                + "The grant was issued on '\(WireFormat.iso(issued))' and the TokensValidFrom date (before which tokens are not valid) for this user is '\(WireFormat.iso(validFrom))'."
        )
    }
    static func consentRequired(clientId: String) -> IdentityError {
        IdentityError(
            status: 400, error: "invalid_grant", code: 65001,
            message:
                "The user or administrator has not consented to use the application with ID '\(clientId)' named '\(clientName(clientId))'. "
                + "Send an interactive authorization request for this user and resource.",
            suberror: "consent_required")
    }
    static func invalidScope(_ scope: String) -> IdentityError {
        IdentityError(
            status: 400, error: "invalid_scope", code: 70011,
            message:
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' ('\(scope)') is not valid."
        )
    }
    static func unsupportedGrant(_ grant: String) -> IdentityError {
        IdentityError(
            status: 400, error: "unsupported_grant_type", code: 70003,
            message: "The app requested an unsupported grant type '\(grant)'.")
    }
    static let authorizationPending = IdentityError(
        status: 400, error: "authorization_pending", code: 70016,
        message: "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
    static let deviceCodeExpired = IdentityError(
        status: 400, error: "expired_token", code: 70020,
        message: "The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
    static let deviceDeclined = IdentityError(
        status: 400, error: "authorization_declined", code: 70019,
        message: "The end user declined the authorization request.")
    static let badDeviceCode = IdentityError(
        status: 400, error: "invalid_grant", code: 70019,
        message: "Verification code expired or not valid.")
    static let unknownTenant = IdentityError(
        status: 400, error: "invalid_tenant", code: 90002,
        message:
            "Tenant not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
    )

    static func clientName(_ clientId: String) -> String {
        switch clientId {
        case SandboxConfiguration.clientId: return "graphgate"
        case SandboxConfiguration.publicClientId: return "graphgate desktop"
        default: return "unknown"
        }
    }
}
