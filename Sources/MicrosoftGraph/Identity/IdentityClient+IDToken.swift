import Crypto
import JSONText
import Foundation
import JWTKit

/// How the `nonce` claim of an id_token is checked.
public enum NonceCheck: Sendable {
    /// No nonce was sent (device code flow).
    case none
    /// The nonce sent, as is.
    case equals(String)
    /// The lowercase hex SHA-256 of the nonce sent (what the pending sign-in store keeps).
    case sha256Hex(String)
}

extension IdentityClient {
    /// Verifies an id_token: RS256 signature by a key of the tenant's JWKS (named by `kid`, refetched once when
    /// unknown), `aud` = our client id, `iss` = the discovered issuer for the token's `tid`
    /// (`{authority}/{tid}/v2.0`), the tenant when a specific one is configured, `nonce`, `exp`/`nbf`.
    public func verifyIDToken(_ token: String, nonce: NonceCheck) async throws(IdentityError) -> IDTokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(String(parts[0])),
            let header = try? JSONDecoder().decode(Header.self, from: headerData)
        else {
            throw .idTokenInvalid("malformed token")
        }
        guard header.alg == "RS256" else { throw .idTokenInvalid("unexpected signing algorithm") }
        guard let kid = header.kid, !kid.isEmpty else { throw .idTokenInvalid("no key id") }
        let keys = try await keyCache.keys(for: kid)
        let payload: Payload
        do {
            payload = try await keys.verify(token, as: Payload.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw .idTokenInvalid("expired or not yet valid")
        } catch {
            throw .idTokenInvalid("bad signature or claims")
        }
        let now = Date()
        guard payload.exp.value.addingTimeInterval(clockSkew) > now else { throw .idTokenInvalid("expired") }
        if let nbf = payload.nbf, nbf.value.addingTimeInterval(-clockSkew) > now {
            throw .idTokenInvalid("not yet valid")
        }
        guard payload.aud.value.contains(clientId) else { throw .idTokenInvalid("wrong audience") }
        let metadata = try await openIDMetadata()
        guard payload.iss.value == metadata.expectedIssuer(tenantId: payload.tid),
            payload.iss.value.hasSuffix("/\(payload.tid)/v2.0")
        else {
            throw .idTokenInvalid("wrong issuer")
        }
        if UUID(uuidString: tenant) != nil, payload.tid.lowercased() != tenant.lowercased() {
            throw .idTokenInvalid("wrong tenant")
        }
        switch nonce {
        case .none: break
        case .equals(let expected):
            guard let claim = payload.nonce, ConstantTime.equals(claim, expected) else {
                throw .idTokenInvalid("nonce mismatch")
            }
        case .sha256Hex(let expectedHash):
            guard let claim = payload.nonce,
                ConstantTime.equals(Self.sha256Hex(claim), expectedHash.lowercased())
            else {
                throw .idTokenInvalid("nonce mismatch")
            }
        }
        guard !payload.oid.isEmpty, !payload.tid.isEmpty else { throw .idTokenInvalid("no tid/oid") }
        return IDTokenClaims(
            tenantId: payload.tid, objectId: payload.oid,
            username: payload.preferred_username ?? payload.email ?? "",
            displayName: payload.name ?? payload.preferred_username ?? "", issuer: payload.iss.value,
            expiresAt: payload.exp.value)
    }

    public static func sha256Hex(_ text: String) -> String {
        Hex.string(SHA256.hash(data: Data(text.utf8)))
    }

    struct Header: Decodable {
        var alg: String
        var kid: String?
    }

    struct Payload: JWTPayload {
        var aud: AudienceClaim
        var iss: IssuerClaim
        var exp: ExpirationClaim
        var nbf: NotBeforeClaim?
        var tid: String
        var oid: String
        var nonce: String?
        var preferred_username: String?
        var name: String?
        var email: String?

        /// Expiry is checked by the caller with clock skew; the signature is what jwt-kit checks here.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}
