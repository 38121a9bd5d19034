import Foundation

/// Fetches a Client ID Metadata Document. The app's implementation enforces the network guards (https only,
/// allowed hosts, public addresses, no redirects, size and time caps); tests may inject their own.
public protocol ClientMetadataFetcher: Sendable {
    /// The document at `url`, or `.invalidClient` naming why it could not be fetched.
    func fetch(_ url: URL) async throws(AuthorizationError) -> FetchedClientMetadata
}

/// A fetched document: its body and how long the server said it may be cached (`Cache-Control: max-age`;
/// 0 for `no-store`/`no-cache`, nil when it said nothing).
public struct FetchedClientMetadata: Sendable {
    public var body: Data
    public var maxAge: Int?

    public init(body: Data, maxAge: Int?) {
        self.body = body
        self.maxAge = maxAge
    }
}
