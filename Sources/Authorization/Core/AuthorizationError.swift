/// The one error type of our authorization server, in RFC 6749 / RFC 7591 / RFC 8707 terms.
///
/// `message` is fixed text written here, never a value from the request (no token, code, verifier, redirect URI
/// or state), so it is safe as an `error_description`, in a log line, and in an audit event.
public struct AuthorizationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The RFC error code (`invalid_request`, `invalid_grant`, …).
    public var code: String
    public var message: String
    /// The HTTP status the token/registration endpoints answer with.
    public var status: Int

    public init(_ code: String, _ message: String, status: Int = 400) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { "\(code): \(message)" }

    public static func invalidRequest(_ message: String) -> Self { .init("invalid_request", message) }
    public static func invalidClient(_ message: String) -> Self { .init("invalid_client", message, status: 401) }
    public static func invalidGrant(_ message: String) -> Self { .init("invalid_grant", message) }
    public static func unauthorizedClient(_ message: String) -> Self { .init("unauthorized_client", message) }
    public static func unsupportedGrantType(_ message: String) -> Self { .init("unsupported_grant_type", message) }
    public static func invalidScope(_ message: String) -> Self { .init("invalid_scope", message) }
    public static func invalidTarget(_ message: String) -> Self { .init("invalid_target", message) }
    public static func invalidRedirectURI(_ message: String) -> Self { .init("invalid_redirect_uri", message) }
    public static func invalidClientMetadata(_ message: String) -> Self { .init("invalid_client_metadata", message) }
    public static func accessDenied(_ message: String) -> Self { .init("access_denied", message, status: 403) }
    public static func slowDown(_ message: String) -> Self { .init("slow_down", message, status: 429) }
    public static func serverError(_ message: String) -> Self { .init("server_error", message, status: 500) }
    public static func temporarilyUnavailable(_ message: String) -> Self {
        .init("temporarily_unavailable", message, status: 503)
    }
}
