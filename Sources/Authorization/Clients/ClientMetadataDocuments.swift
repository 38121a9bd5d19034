import Foundation
import Storage

/// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP `client-registration`): a
/// client whose `client_id` is an https URL is described by the JSON document at that URL.
///
/// The document is fetched on first use, must name itself (`client_id` equal to its URL, byte for byte), and
/// passes the same checks as a registration (redirect URIs, grant and response types, name), with
/// `token_endpoint_auth_method` `none` (a document cannot hold a secret). It is kept for its `Cache-Control:
/// max-age`, bounded to 1 minute … 24 hours (1 hour when the server says nothing), and written to the client
/// store so consents and grants refer to it like any client.
public actor ClientMetadataDocuments {
    static let minLifetime: Int64 = 60
    static let maxLifetime: Int64 = 86_400
    static let defaultLifetime: Int64 = 3600
    static let maxCached = 1000

    let fetcher: any ClientMetadataFetcher
    let store: any OAuthStore
    private var cache: [String: (client: OAuthClientRecord, expires: Int64)] = [:]

    public init(fetcher: any ClientMetadataFetcher, store: any OAuthStore) {
        self.fetcher = fetcher
        self.store = store
    }

    /// Whether `clientId` names a metadata document rather than a registered client.
    public static func isDocumentURL(_ clientId: String) -> Bool {
        clientId.hasPrefix("https://")
    }

    /// The client described by the document at `clientId`, from the cache or freshly fetched and validated.
    func client(id clientId: String, now: Int64) async throws(AuthorizationError) -> OAuthClientRecord {
        if let cached = cache[clientId], cached.expires > now { return cached.client }
        let url = try Self.documentURL(clientId)
        let fetched = try await fetcher.fetch(url)
        let client = try Self.validate(fetched.body, clientId: clientId, now: now)
        do {
            try await store.upsertClient(client)
        } catch {
            throw AuthorizationServer.unavailable(error)
        }
        let lifetime = min(Self.maxLifetime, max(Self.minLifetime, Int64(fetched.maxAge ?? Int(Self.defaultLifetime))))
        if cache.count >= Self.maxCached { cache = cache.filter { $0.value.expires > now } }
        if cache.count >= Self.maxCached { cache.removeAll() }
        cache[clientId] = (client, now + lifetime)
        return client
    }

    /// A `client_id` URL as the draft allows it: https, a host, a path other than `/`, no fragment, no user
    /// information, no `.`/`..` segments, no query.
    static func documentURL(_ clientId: String) throws(AuthorizationError) -> URL {
        let refused = AuthorizationError.invalidClient(
            "client_id is not a valid metadata document URL (https, with a path, no query or fragment)")
        guard clientId.utf8.count <= 512, clientId.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
            let components = URLComponents(string: clientId), components.scheme == "https",
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
            components.query == nil, components.fragment == nil, !clientId.contains("#"),
            components.path.count > 1,
            !components.path.split(separator: "/", omittingEmptySubsequences: false).contains(where: {
                $0 == "." || $0 == ".."
            }),
            let url = components.url
        else { throw refused }
        return url
    }

    /// The document's own fields beyond a registration's.
    struct Identity: Decodable {
        var clientId: String?
        enum CodingKeys: String, CodingKey { case clientId = "client_id" }
    }

    static func validate(_ body: Data, clientId: String, now: Int64) throws(AuthorizationError) -> OAuthClientRecord {
        let identity: Identity
        var request: ClientRegistrationRequest
        do {
            identity = try JSONDecoder().decode(Identity.self, from: body)
            request = try JSONDecoder().decode(ClientRegistrationRequest.self, from: body)
            request.scope = nil  // a document's scope is informative; the authorize request asks
        } catch {
            throw .invalidClient("the client's metadata document is not a JSON object of client metadata")
        }
        guard identity.clientId == clientId else {
            throw .invalidClient("the client's metadata document does not name itself (its client_id differs from its URL)")
        }
        // A document cannot carry a shared secret. A client that signs its token requests (`private_key_jwt`,
        // e.g. ChatGPT's) is served as a public client: PKCE binds its codes, and its assertion is not checked.
        if let method = request.tokenEndpointAuthMethod, !["none", "private_key_jwt"].contains(method) {
            throw .invalidClient(
                "a metadata document client must use token_endpoint_auth_method none (or private_key_jwt)")
        }
        request.tokenEndpointAuthMethod = nil
        let valid: ClientRegistrationValidator.Valid
        do {
            valid = try ClientRegistrationValidator.validate(request, supportedScopes: [])
        } catch {
            throw .invalidClient("the client's metadata document is invalid: \(error.message)")
        }
        return OAuthClientRecord(
            clientId: clientId, clientName: valid.name, redirectURIs: valid.redirectURIs, scope: "",
            kind: .metadataDocument, clientURI: valid.clientURI, createdAt: now, refreshedAt: now)
    }
}
