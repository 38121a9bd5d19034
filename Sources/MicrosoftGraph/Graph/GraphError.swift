import Foundation

/// What went wrong talking to Microsoft Graph.
///
/// `description` names the kind of failure, Graph's error code and request id only: never a token, a URL with
/// ids, an address or any text Graph returned (Graph's messages can quote recipients or subjects).
public enum GraphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 404: the item does not exist in this mailbox (or was moved/deleted).
    case notFound(code: String)
    /// 403: the signed-in account's grant does not allow this; incremental consent may fix it.
    case accessDenied(code: String)
    /// 401 twice (after one forced refresh): the account must sign in again.
    case unauthorized
    /// 429 (or 503/504 after retries): try again after `retryAfter` seconds.
    case throttled(retryAfter: Int)
    /// 400 for a malformed or foreign id.
    case invalidId(code: String)
    /// Any other 4xx: Graph refused the request as given.
    case badRequest(status: Int, code: String)
    /// 409/412: the item changed or already exists.
    case conflict(code: String)
    /// 5xx after the retries allowed for this request.
    case unavailable(status: Int)
    /// No answer within the timeout, or the connection failed.
    case transport(reason: String)
    /// The answer was not what Graph's wire format promises (bad JSON, foreign paging link, too large).
    case invalidResponse(reason: String)
    /// The token provider could not give a token (the account needs to sign in again, vault error, …).
    case tokenUnavailable(reason: String)

    public var description: String {
        switch self {
        case .notFound(let code): "Graph: not found (\(code))"
        case .accessDenied(let code):
            "Graph: access denied (\(code)); the account may need to consent to more permissions"
        case .unauthorized: "Graph: unauthorized after one token refresh; the account must sign in again"
        case .throttled(let seconds): "Graph: throttled; retry after \(seconds) s"
        case .invalidId(let code): "Graph: invalid id (\(code))"
        case .badRequest(let status, let code): "Graph: request refused (\(status) \(code))"
        case .conflict(let code): "Graph: conflict (\(code))"
        case .unavailable(let status): "Graph: service unavailable (\(status))"
        case .transport(let reason): "Graph: \(reason)"
        case .invalidResponse(let reason): "Graph: invalid response (\(reason))"
        case .tokenUnavailable(let reason): "Graph: no access token (\(reason))"
        }
    }

    /// Maps an error answer (status + Graph's `{"error":{"code":…}}` envelope) to a typed error.
    static func from(status: Int, code: String?, retryAfter: Int?) -> GraphError {
        let code = Self.safeCode(code)
        switch status {
        case 400:
            if code.hasPrefix("ErrorInvalidId") || code == "ErrorInvalidIdMalformed"
                || code == "ErrorInvalidMailboxItemId"
            {
                return .invalidId(code: code)
            }
            return .badRequest(status: status, code: code)
        case 401: return .unauthorized
        case 403: return .accessDenied(code: code)
        case 404: return .notFound(code: code)
        case 409, 412: return .conflict(code: code)
        case 429: return .throttled(retryAfter: retryAfter ?? 1)
        case 503, 504: return retryAfter.map { .throttled(retryAfter: $0) } ?? .unavailable(status: status)
        case 500...599: return .unavailable(status: status)
        default: return .badRequest(status: status, code: code)
        }
    }

    /// Graph error codes are identifiers (`ErrorItemNotFound`); anything else is not repeated.
    static func safeCode(_ code: String?) -> String {
        guard let code, !code.isEmpty, code.count <= 80,
            code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") })
        else { return "unknown" }
        return code
    }
}
