import MicrosoftGraph

/// Why a tool call failed, as the assistant is told (an `isError: true` result, never a JSON-RPC error).
///
/// `description` names the argument, the policy or the Graph failure kind; it never repeats a token, an
/// argument's value, or text from the mailbox.
public enum ToolError: Error, Sendable, CustomStringConvertible {
    /// Bad input: nothing was sent to Graph.
    case invalidArgument(name: String, expected: String)
    /// A policy refused the call (read-only, disallowed domain, send cap, declined confirmation).
    case refused(String)
    /// The account's Microsoft grant lacks `scopes`; `link` lets the user consent.
    case consentRequired(scopes: [String], link: String?)
    case graph(GraphError)
    /// The cursor is not one we issued for this user and tool (or it was sealed under a key rotated since).
    case invalidCursor
    /// The account cannot be used (not linked, needs sign-in again).
    case accountUnavailable(String)
    /// The client cancelled the call or went away before it ended; whatever was not yet handed to Graph is not done.
    case cancelled

    public var description: String {
        switch self {
        case .invalidArgument(let name, let expected):
            return "Invalid argument '\(name)': expected \(expected). Nothing was changed."
        case .refused(let why):
            return "Refused: \(why)"
        case .consentRequired(let scopes, let link):
            let what =
                "This needs Microsoft permission \(scopes.joined(separator: ", ")), which your account has not granted yet."
            if let link { return "\(what) Ask the user to open \(link) to grant it, then retry." }
            return "\(what) Ask the user to sign in to graphgate again and grant it, then retry."
        case .invalidCursor:
            return
                "Invalid argument 'cursor': not a cursor from this tool for this user (or the server's keys were rotated since). Start again without a cursor."
        case .accountUnavailable(let why):
            return "The Microsoft account cannot be used: \(why)"
        case .cancelled:
            return "Cancelled: the call was stopped before it ended."
        case .graph(let error):
            switch error {
            case .notFound:
                return "Not found: the item does not exist in this mailbox (it may have been moved or deleted)."
            case .invalidId: return "Not found: that id is not a valid id for this mailbox."
            case .accessDenied:
                return
                    "Microsoft denied access; the account may need to grant more permissions (sign in to graphgate again)."
            case .unauthorized:
                return "Microsoft no longer accepts this account's sign-in; ask the user to sign in to graphgate again."
            case .throttled(let seconds):
                return "Microsoft is throttling this mailbox; retry in \(max(seconds, 1)) seconds."
            case .unavailable: return "Microsoft Graph is unavailable right now; retry in a minute."
            case .transport: return "Microsoft Graph did not answer in time; retry in a minute."
            case .conflict:
                return "Microsoft refused the change because the item changed meanwhile; read it again and retry."
            case .badRequest(_, let code): return "Microsoft refused the request (\(code))."
            case .invalidResponse: return "Microsoft Graph answered in an unexpected way; retry later."
            case .tokenUnavailable:
                return
                    "The Microsoft sign-in of this account cannot be used; ask the user to sign in to graphgate again."
            }
        }
    }

    /// A short stable code for audit details.
    var auditCode: String {
        switch self {
        case .invalidArgument: "invalid_argument"
        case .refused: "refused"
        case .consentRequired: "consent_required"
        case .invalidCursor: "invalid_cursor"
        case .accountUnavailable: "account_unavailable"
        case .cancelled: "cancelled"
        case .graph(let error):
            switch error {
            case .notFound: "not_found"
            case .invalidId: "invalid_id"
            case .accessDenied: "access_denied"
            case .unauthorized: "unauthorized"
            case .throttled: "throttled"
            case .unavailable: "unavailable"
            case .transport: "transport"
            case .conflict: "conflict"
            case .badRequest: "bad_request"
            case .invalidResponse: "invalid_response"
            case .tokenUnavailable: "token_unavailable"
            }
        }
    }
}
