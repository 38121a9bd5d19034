import Storage

/// A validated `/oauth/authorize` request.
public struct AuthorizeRequest: Sendable, Equatable {
    public var client: OAuthClientRecord
    public var redirectURI: String
    public var codeChallenge: String
    public var resource: String
    public var scopes: [String]
    public var state: String?
    /// `prompt` values (`login` forces a new Microsoft sign-in, `consent` forces the consent page).
    public var prompt: Set<String>
}

/// The result of checking an authorize request.
public enum AuthorizeValidation: Sendable, Equatable {
    /// The client or redirect URI cannot be trusted: show an error page, never redirect.
    case errorPage(AuthorizationError)
    /// Tell the client, at its (verified) redirect URI.
    case redirect(String)
    case valid(AuthorizeRequest)
}

/// Where the browser goes after sign-in or a consent decision.
public enum AuthorizationStep: Sendable, Equatable {
    /// Ask the user (the consent page for this pending handle).
    case consent(pendingHandle: String)
    /// Back to the client, with a code or an error.
    case redirect(String)
}

/// What the consent page shows.
public struct ConsentContext: Sendable, Equatable {
    public var client: OAuthClientRecord
    public var redirectURI: String
    public var redirectHost: String
    public var scopes: [String]
    public var capabilities: [String]
}
