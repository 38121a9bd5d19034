import Foundation
import Storage

extension AuthorizationServer {
    /// `POST /oauth/register` (RFC 7591): registers a public client.
    public func register(body: Data, sourceIP: String?) async throws(AuthorizationError) -> ClientRegistrationResponse {
        let now = now()
        guard body.count <= ClientRegistrationValidator.maxBodyBytes else {
            await auditEvent("oauth.client.register", .failure, sourceIP: sourceIP, details: ["reason": "too_large"])
            throw .invalidClientMetadata("the registration request is larger than 16 KiB")
        }
        guard await registrationLimiter.allow(source: sourceIP ?? "-", now: now) else {
            await auditEvent("oauth.client.register", .denied, sourceIP: sourceIP, details: ["reason": "rate_limited"])
            throw .slowDown("too many registrations from this address; wait a minute")
        }
        let request: ClientRegistrationRequest
        do {
            request = try JSONDecoder().decode(ClientRegistrationRequest.self, from: body)
        } catch {
            await auditEvent("oauth.client.register", .failure, sourceIP: sourceIP, details: ["reason": "not_json"])
            throw .invalidClientMetadata("the body must be a JSON object of client metadata")
        }
        let valid: (name: String, redirectURIs: [String], scope: String, clientURI: String?)
        do {
            valid = try ClientRegistrationValidator.validate(request, supportedScopes: settings.scopesSupported)
        } catch {
            await auditEvent("oauth.client.register", .failure, sourceIP: sourceIP, details: ["reason": error.code])
            throw error
        }
        let client = OAuthClientRecord(
            clientId: "gg-" + UUID().uuidString.lowercased(), clientName: valid.name,
            redirectURIs: valid.redirectURIs, scope: valid.scope, kind: .dynamic, clientURI: valid.clientURI,
            createdAt: now, refreshedAt: now)
        do {
            try await store.insertClient(client)
        } catch {
            throw Self.unavailable(error)
        }
        await auditEvent("oauth.client.register", clientId: client.clientId, sourceIP: sourceIP)
        logger.info("registered OAuth client", metadata: ["gg.client": "\(client.clientId)"])
        return ClientRegistrationResponse(
            clientId: client.clientId, clientIdIssuedAt: now, clientName: client.clientName,
            redirectURIs: client.redirectURIs,
            scope: client.scope.isEmpty
                ? settings.scopesSupported.joined(separator: " ") : client.scope,
            clientURI: client.clientURI)
    }
}
