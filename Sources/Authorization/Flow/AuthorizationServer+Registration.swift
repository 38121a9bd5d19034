import Foundation
import Storage

extension AuthorizationServer {
    /// `POST /oauth/register` (RFC 7591): registers a public client, or one with a secret
    /// (`client_secret_post` / `client_secret_basic`).
    public func register(body: Data, sourceIP: String?) async throws(AuthorizationError) -> ClientRegistrationResponse {
        let now = now()
        guard body.count <= ClientRegistrationValidator.maxBodyBytes else {
            await auditEvent("oauth.client.register", .failure, sourceIP: sourceIP, details: ["reason": "too_large"])
            throw .invalidClientMetadata("the registration request is larger than 16 KiB")
        }
        let request: ClientRegistrationRequest
        do {
            request = try JSONDecoder().decode(ClientRegistrationRequest.self, from: body)
        } catch {
            await auditEvent("oauth.client.register", .failure, sourceIP: sourceIP, details: ["reason": "not_json"])
            throw .invalidClientMetadata("the body must be a JSON object of client metadata")
        }
        let valid: ClientRegistrationValidator.Valid
        do {
            valid = try ClientRegistrationValidator.validate(request, supportedScopes: settings.scopesSupported)
        } catch {
            await auditEvent("oauth.client.register", .failure, sourceIP: sourceIP, details: ["reason": error.code])
            throw error
        }
        // The same public metadata again (a client reinstalled, or the same app for another person) gets the
        // client registered first; a secret cannot be handed out twice, so secret clients are always new.
        let fingerprint = valid.authMethod == "none" ? Self.fingerprint(valid) : nil
        if let fingerprint {
            do {
                if let existing = try await store.client(fingerprint: fingerprint) {
                    await auditEvent(
                        "oauth.client.register", clientId: existing.clientId, sourceIP: sourceIP,
                        details: ["reused": "1"])
                    return response(for: existing, secret: nil)
                }
            } catch {
                throw Self.unavailable(error)
            }
        }
        var client = OAuthClientRecord(
            clientId: "gg-" + UUID().uuidString.lowercased(), clientName: valid.name,
            redirectURIs: valid.redirectURIs, scope: valid.scope, kind: .dynamic, clientURI: valid.clientURI,
            createdAt: now, refreshedAt: now)
        client.authMethod = valid.authMethod
        client.applicationType = valid.applicationType
        client.fingerprint = fingerprint
        var secret: String?
        if valid.authMethod != "none" {
            let generated = OpaqueSecret.generate(prefix: OpaqueSecret.clientSecretPrefix)
            client.secretHash = OpaqueSecret.hash(generated)
            secret = generated
        }
        do {
            try await store.insertClient(client)
        } catch {
            throw Self.unavailable(error)
        }
        await auditEvent(
            "oauth.client.register", clientId: client.clientId, sourceIP: sourceIP,
            details: ["auth_method": client.authMethod])
        logger.info("registered OAuth client", metadata: ["gg.client": "\(client.clientId)"])
        return response(for: client, secret: secret)
    }

    func response(for client: OAuthClientRecord, secret: String?) -> ClientRegistrationResponse {
        var response = ClientRegistrationResponse(
            clientId: client.clientId, clientIdIssuedAt: client.createdAt, clientName: client.clientName,
            redirectURIs: client.redirectURIs,
            scope: client.scope.isEmpty
                ? settings.scopesSupported.joined(separator: " ") : client.scope,
            clientURI: client.clientURI)
        response.tokenEndpointAuthMethod = client.authMethod
        response.applicationType = client.applicationType
        if let secret {
            response.clientSecret = secret
            response.clientSecretExpiresAt = 0
        }
        return response
    }

    /// SHA-256 over the validated metadata, in a fixed order with separators no field can contain.
    static func fingerprint(_ valid: ClientRegistrationValidator.Valid) -> String {
        let fields = [
            valid.name, valid.redirectURIs.joined(separator: "\u{1}"), valid.scope, valid.clientURI ?? "",
            valid.authMethod, valid.applicationType,
        ]
        return OpaqueSecret.hash(fields.joined(separator: "\u{0}"))
    }
}
