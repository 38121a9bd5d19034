import Foundation
import Logging
import MicrosoftGraph
import SecurityOps
import Storage

/// Seals Microsoft tokens into `TokenBlob`s bound to their row, and opens them with failures audited.
struct TokenSealer: Sendable {
    let envelope: TokenEnvelope

    func binding(_ blob: TokenBlob) -> TokenBinding {
        TokenBinding(userId: blob.userId, accountId: blob.accountId, kind: blob.kind.rawValue)
    }

    func seal(
        _ tokens: TokenSet, kind: TokenBlob.Kind, userId: String, accountId: String
    ) throws(VaultError)
        -> TokenBlob
    {
        let plaintext: String
        switch kind {
        case .access: plaintext = tokens.accessToken
        case .refresh:
            guard let refresh = tokens.refreshToken else { throw .signInRequired(.noTokens) }
            plaintext = refresh
        }
        let sealed = try envelope.seal(
            plaintext, for: TokenBinding(userId: userId, accountId: accountId, kind: kind.rawValue))
        return TokenBlob(
            accountId: accountId, userId: userId, kind: kind, keyId: Int64(sealed.keyId), blob: sealed.blob,
            expiresAt: kind == .access ? Int64(tokens.expiresAt.timeIntervalSince1970) : 0,
            obtainedAt: Int64(tokens.obtainedAt.timeIntervalSince1970))
    }

    /// Opens a blob; on failure records `token.decrypt_failed` and throws `signInRequired(.tokenUnreadable)`
    /// (fail closed: the user signs in again, or an operator re-enables the key).
    func open(_ blob: TokenBlob, audit: any AuditRecorder, logger: Logger) async throws(VaultError) -> String {
        do {
            return try envelope.open(blob.blob, for: binding(blob))
        } catch {
            await audit.record(
                AuditEvent(
                    "token.decrypt_failed", outcome: .failure, userId: blob.userId,
                    details: [
                        "account": blob.accountId, "kind": blob.kind.rawValue, "key_id": "\(blob.keyId)",
                        "reason": Self.reason(error),
                    ]))
            logger.error(
                "cannot decrypt a stored Microsoft token; failing closed",
                metadata: [
                    "gg.user": "\(blob.userId)", "gg.account": "\(blob.accountId)", "gg.kind": "\(blob.kind.rawValue)",
                    "gg.reason": "\(Self.reason(error))",
                ])
            throw .signInRequired(.tokenUnreadable)
        }
    }

    static func reason(_ error: VaultError) -> String {
        switch error {
        case .keyDisabled: "key_disabled"
        case .unknownKey: "unknown_key"
        case .malformedEnvelope: "malformed"
        case .decryptionFailed: "authentication_failed"
        default: "other"
        }
    }
}
