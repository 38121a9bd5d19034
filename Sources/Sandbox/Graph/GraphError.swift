import Foundation

/// An error in Microsoft Graph's envelope:
/// `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
struct GraphError: Error, Sendable {
    let status: Int
    let code: String
    let message: String
    var retryAfter: Int? = nil
    var wwwAuthenticate: Bool = false

    func json(requestId: String, clientRequestId: String) -> JSONValue {
        .object([
            (
                "error",
                .object([
                    ("code", .string(code)),
                    ("message", .string(message)),
                    (
                        "innerError",
                        .object([
                            ("date", .string(WireFormat.iso(Date()))),
                            ("request-id", .string(requestId)),
                            ("client-request-id", .string(clientRequestId)),
                        ])
                    ),
                ])
            )
        ])
    }

    static let emptyToken = GraphError(
        status: 401, code: "InvalidAuthenticationToken", message: "Access token is empty.", wwwAuthenticate: true)
    static let malformedToken = GraphError(
        status: 401, code: "InvalidAuthenticationToken",
        message: "IDX14100: JWT is not well formed, there are no dots (.).", wwwAuthenticate: true)
    static let expiredToken = GraphError(
        status: 401, code: "InvalidAuthenticationToken", message: "Lifetime validation failed, the token is expired.",
        wwwAuthenticate: true)
    static let accessDenied = GraphError(
        status: 403, code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again.")
    static let itemNotFound = GraphError(
        status: 404, code: "ErrorItemNotFound", message: "The specified object was not found in the store.")
    static let idMalformed = GraphError(status: 400, code: "ErrorInvalidIdMalformed", message: "Id is malformed.")
    static func badRequest(_ message: String, code: String = "BadRequest") -> GraphError {
        GraphError(status: 400, code: code, message: message)
    }
    static func invalidRequest(_ message: String) -> GraphError {
        GraphError(status: 400, code: "ErrorInvalidRequest", message: message)
    }
    static func segmentNotFound(_ segment: String) -> GraphError {
        GraphError(status: 400, code: "BadRequest", message: "Resource not found for the segment '\(segment)'.")
    }
    static let methodNotAllowed = GraphError(
        status: 405, code: "ErrorInvalidRequest", message: "The OData request is not supported.")
    static func throttled(retryAfter: Int, concurrency: Bool) -> GraphError {
        GraphError(
            status: 429, code: "ApplicationThrottled",
            message: concurrency
                ? "Application is over its MailboxConcurrency limit." : "Application is over its IncomingBytes limit.",
            retryAfter: retryAfter)
    }
    static func unavailable(retryAfter: Int) -> GraphError {
        GraphError(
            status: 503, code: "ServiceNotAvailable", message: "The service is temporarily unavailable. Please retry.",
            retryAfter: retryAfter)
    }
    /// The answer `SandboxFaults.failNextRequests` injects for `status`, with the code Graph uses for it.
    static func injected(status: Int) -> GraphError {
        switch status {
        case 400: badRequest("Invalid request.")
        case 401: GraphError(status: 401, code: "InvalidAuthenticationToken", message: "Access token is empty.")
        case 403: accessDenied
        case 404: itemNotFound
        case 409: GraphError(status: 409, code: "ErrorIrresolvableConflict", message: "The change key is out of date.")
        case 503: unavailable(retryAfter: 1)
        default:
            GraphError(
                status: status, code: status >= 500 ? "InternalServerError" : "UnknownError",
                message: "An internal server error occurred.")
        }
    }

    /// The same error with `message` replaced when one is given (fault injection).
    func replacingMessage(_ replacement: String?) -> GraphError {
        guard let replacement else { return self }
        var copy = GraphError(status: status, code: code, message: replacement, retryAfter: retryAfter)
        copy.wwwAuthenticate = wwwAuthenticate
        return copy
    }

    static func gatewayTimeout(retryAfter: Int) -> GraphError {
        GraphError(status: 504, code: "UnknownError", message: "Gateway Timeout.", retryAfter: retryAfter)
    }
}
