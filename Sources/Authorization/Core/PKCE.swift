import Crypto
import Foundation
import JSONText

/// Proof Key for Code Exchange (RFC 7636), S256 only: `plain` is refused (OAuth 2.1, MCP authorization).
public enum PKCE {
    /// A valid `code_challenge`: base64url of a SHA-256, exactly 43 characters.
    public static func isValidChallenge(_ challenge: String) -> Bool {
        challenge.utf8.count == 43 && challenge.utf8.allSatisfy(OpaqueSecret.isBase64URL)
    }

    /// A valid `code_verifier`: 43–128 characters of `[A-Za-z0-9-._~]`.
    public static func isValidVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count)
            && verifier.utf8.allSatisfy { OpaqueSecret.isBase64URL($0) || $0 == 0x2E || $0 == 0x7E }
    }

    /// `BASE64URL(SHA256(verifier))`.
    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data(verifier.utf8))))
    }

    /// True when `verifier` is well formed and hashes to `challenge` (compared in constant time).
    public static func verify(verifier: String, challenge: String) -> Bool {
        isValidVerifier(verifier) && ConstantTime.equals(Self.challenge(for: verifier), challenge)
    }
}
