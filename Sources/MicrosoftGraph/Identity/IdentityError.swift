/// The one error type of the Microsoft identity client.
///
/// Each case says what the user (or operator) must do. `description` is built from our own words, AADSTS numbers
/// and HTTP statuses only: never a token, code, address, or Microsoft's free-text `error_description` (which can
/// name the user).
public enum IdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why Microsoft no longer accepts the account's refresh token.
    public enum SignInReason: String, Sendable, Equatable {
        /// AADSTS700082: the refresh token expired after inactivity.
        case refreshTokenExpired = "refresh_token_expired"
        /// AADSTS50173: the grant was revoked (password change, admin revocation).
        case grantRevoked = "grant_revoked"
        /// Any other `invalid_grant`.
        case invalidGrant = "invalid_grant"
        /// Microsoft returned no refresh token (the `offline_access` scope was not granted).
        case noRefreshToken = "no_refresh_token"
    }

    /// The user must sign in again in a browser.
    case signInRequired(SignInReason)
    /// The user (or an admin) must consent to these scopes (AADSTS65001, `consent_required`).
    case consentRequired(scopes: [String])
    /// Conditional access / MFA needs the user in a browser (`interaction_required`).
    case interactionRequired
    /// The user declined at Microsoft's sign-in or consent page (`access_denied`).
    case userDeclined
    /// Device code flow: the user has not finished yet (keep polling).
    case authorizationPending
    /// Device code flow: poll less often.
    case slowDown
    /// Device code flow: the code expired before the user finished.
    case deviceCodeExpired
    /// Device code flow: the user declined.
    case deviceCodeDeclined
    /// Microsoft does not accept our client credentials (wrong client id/secret, unknown app): an operator fix.
    case invalidClient(aadsts: [Int])
    /// Any other OAuth error from Microsoft (`error` code and AADSTS numbers only).
    case rejected(error: String, aadsts: [Int], status: Int)
    /// Microsoft answered 5xx (or 429); try again later.
    case serviceUnavailable(status: Int)
    /// Microsoft could not be reached or the connection dropped (kind of failure only).
    case unreachable(String)
    /// Microsoft's answer was not what the protocol says (missing field, not JSON).
    case invalidResponse(String)
    /// The id_token failed verification (signature, issuer, audience, nonce, expiry, unknown key).
    case idTokenInvalid(String)
    /// OpenID discovery or the signing keys could not be loaded.
    case discoveryFailed(String)

    public var description: String {
        switch self {
        case .signInRequired(let reason): "Microsoft needs you to sign in again (\(reason.rawValue))"
        case .consentRequired(let scopes):
            "Microsoft needs consent for \(scopes.isEmpty ? "the requested permissions" : scopes.joined(separator: " "))"
        case .interactionRequired: "Microsoft needs you to sign in again in a browser (interaction_required)"
        case .userDeclined: "the sign-in was declined at Microsoft"
        case .authorizationPending: "waiting for the user to finish signing in"
        case .slowDown: "Microsoft asked to poll more slowly"
        case .deviceCodeExpired: "the sign-in code expired; start again"
        case .deviceCodeDeclined: "the sign-in was declined"
        case .invalidClient(let codes):
            "Microsoft rejected graphgate's app credentials\(Self.codes(codes)); check the client id and secret"
        case .rejected(let error, let codes, let status):
            "Microsoft refused the request (HTTP \(status), \(error)\(Self.codes(codes)))"
        case .serviceUnavailable(let status): "Microsoft's identity service is unavailable (HTTP \(status)); try again"
        case .unreachable(let why): "cannot reach Microsoft's identity service: \(why)"
        case .invalidResponse(let why): "unexpected answer from Microsoft's identity service: \(why)"
        case .idTokenInvalid(let why): "the id_token from Microsoft did not verify: \(why)"
        case .discoveryFailed(let why): "cannot load Microsoft's OpenID configuration: \(why)"
        }
    }

    /// True when only a new interactive sign-in can fix it (the stored refresh token is useless).
    public var requiresSignIn: Bool {
        switch self {
        case .signInRequired, .interactionRequired, .consentRequired: true
        default: false
        }
    }

    /// True for failures worth retrying later (the refresh token is still good).
    public var isTransient: Bool {
        switch self {
        case .serviceUnavailable, .unreachable, .slowDown, .authorizationPending: true
        default: false
        }
    }

    private static func codes(_ codes: [Int]) -> String {
        codes.isEmpty ? "" : ", " + codes.map { "AADSTS\($0)" }.joined(separator: " ")
    }
}
