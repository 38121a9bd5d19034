import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore

/// OpenID discovery document and JWKS of one authority + tenant, cached.
///
/// The discovery document is kept for a day. Signing keys are kept until a token names a `kid` we do not know;
/// then the JWKS is fetched again (at most once per `minimumRefetchInterval`, so a flood of forged `kid`s cannot
/// make us hammer Microsoft). Concurrent callers share one fetch.
actor SigningKeyCache {
    struct KeySet: Sendable {
        let collection: JWTKeyCollection
        let kids: Set<String>
        let fetchedAt: Date
    }

    private let httpClient: HTTPClient
    /// Read when the document is fetched (the authority can move once, before the server starts).
    private let discoveryURL: @Sendable () -> String
    private let logger: Logger
    private let metadataLifetime: TimeInterval = 24 * 3600
    private let minimumRefetchInterval: TimeInterval

    private var metadata: (value: OpenIDMetadata, fetchedAt: Date)?
    private var metadataTask: Task<OpenIDMetadata, any Error>?
    private var keys: KeySet?
    private var keysTask: Task<KeySet, any Error>?

    init(
        httpClient: HTTPClient, discoveryURL: @escaping @Sendable () -> String,
        minimumRefetchInterval: TimeInterval, logger: Logger
    ) {
        self.httpClient = httpClient
        self.discoveryURL = discoveryURL
        self.minimumRefetchInterval = minimumRefetchInterval
        self.logger = logger
    }

    func openIDMetadata() async throws(IdentityError) -> OpenIDMetadata {
        if let metadata, Date().timeIntervalSince(metadata.fetchedAt) < metadataLifetime { return metadata.value }
        let task: Task<OpenIDMetadata, any Error>
        if let metadataTask {
            task = metadataTask
        } else {
            let client = httpClient
            let url = discoveryURL()
            task = Task { try await Self.fetchJSON(OpenIDMetadata.self, url: url, client: client) }
            metadataTask = task
        }
        do {
            let value = try await task.value
            metadata = (value, Date())
            metadataTask = nil
            return value
        } catch {
            metadataTask = nil
            throw Self.discoveryError(error)
        }
    }

    /// The key collection holding `kid`, refetching the JWKS once if the cached set does not have it.
    func keys(for kid: String) async throws(IdentityError) -> JWTKeyCollection {
        if let keys, keys.kids.contains(kid) { return keys.collection }
        if let keys, Date().timeIntervalSince(keys.fetchedAt) < minimumRefetchInterval {
            throw .idTokenInvalid("signed with an unknown key")
        }
        let task: Task<KeySet, any Error>
        if let keysTask {
            task = keysTask
        } else {
            let jwksURI = try await openIDMetadata().jwksURI
            if let keysTask {
                task = keysTask
            } else {
                let client = httpClient
                let logger = logger
                task = Task { try await Self.fetchKeys(url: jwksURI, client: client, logger: logger) }
                keysTask = task
            }
        }
        do {
            let fresh = try await task.value
            keysTask = nil
            keys = fresh
            guard fresh.kids.contains(kid) else { throw IdentityError.idTokenInvalid("signed with an unknown key") }
            return fresh.collection
        } catch {
            keysTask = nil
            if let error = error as? IdentityError { throw error }
            throw Self.discoveryError(error)
        }
    }

    private static func fetchKeys(url: String, client: HTTPClient, logger: Logger) async throws -> KeySet {
        let body = try await fetch(url: url, client: client)
        let jwks: JWKS
        do {
            jwks = try JSONDecoder().decode(JWKS.self, from: body)
        } catch {
            throw IdentityError.discoveryFailed("the JWKS is not valid JSON")
        }
        let collection = JWTKeyCollection()
        var kids = Set<String>()
        for jwk in jwks.keys {
            guard let kid = jwk.keyIdentifier?.string else { continue }
            // Microsoft publishes RSA keys only; anything else (or a key jwt-kit cannot load) is skipped.
            guard jwk.keyType == .rsa else { continue }
            do {
                try await collection.add(jwk: jwk)
                kids.insert(kid)
            } catch {
                logger.warning("skipping unusable signing key", metadata: ["gg.kid": "\(kid)"])
            }
        }
        logger.debug("loaded signing keys", metadata: ["gg.keys": "\(kids.count)"])
        return KeySet(collection: collection, kids: kids, fetchedAt: Date())
    }

    private static func fetchJSON<T: Decodable>(_ type: T.Type, url: String, client: HTTPClient) async throws -> T {
        let body = try await fetch(url: url, client: client)
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch {
            throw IdentityError.discoveryFailed("the OpenID configuration is not valid JSON")
        }
    }

    private static func fetch(url: String, client: HTTPClient) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(15))
        } catch {
            throw IdentityError.unreachable(IdentityClient.transportFailure(error))
        }
        guard response.status == .ok else { throw IdentityError.discoveryFailed("HTTP \(response.status.code)") }
        do {
            return Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        } catch {
            throw IdentityError.unreachable(IdentityClient.transportFailure(error))
        }
    }

    private static func discoveryError(_ error: any Error) -> IdentityError {
        if let error = error as? IdentityError { return error }
        return .discoveryFailed(String(describing: type(of: error)))
    }
}
