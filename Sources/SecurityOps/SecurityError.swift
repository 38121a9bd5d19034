/// The one error type of the Security module. Its `description` never contains a token, code, address or body.
public enum SecurityError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The audit signing key file is missing, unreadable or malformed.
    case signingKey(String)
    /// The store failed (the storage error's own text is already value-free).
    case storage(String)
    /// A user reference matched no user, or several.
    case unknownUser(String)
    case ambiguousUser(String, count: Int)
    /// An incident step failed (revoking grants, deleting token blobs, ending sessions).
    case incidentStep(String)
    /// A duration such as `30m`, `2h`, `7d` could not be read.
    case invalidDuration(String)
    /// A trusted-proxy entry is not an IP address or CIDR range.
    case invalidProxy(String)
    /// A `GRAPHGATE_RATE_LIMITS` entry is not `name=count/period` with a known name.
    case invalidRateLimit(String)

    public var description: String {
        switch self {
        case .signingKey(let why): "audit signing key: \(why)"
        case .storage(let why): why
        case .unknownUser(let reference): "no user matches \(reference)"
        case .ambiguousUser(let reference, let count): "\(count) users match \(reference); use the user id"
        case .incidentStep(let why): "incident action failed: \(why)"
        case .invalidDuration(let text): "invalid duration \(text) (expected e.g. 30m, 2h, 7d)"
        case .invalidProxy(let text): "invalid trusted proxy \(text) (expected an IP address or CIDR range)"
        case .invalidRateLimit(let text):
            "invalid rate limit \(text) (expected name=count/period with name one of "
                + RateLimitPolicy.names.joined(separator: ", ") + ", e.g. ip=600/1m)"
        }
    }
}
