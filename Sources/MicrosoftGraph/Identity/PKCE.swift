import Crypto
import Foundation
import JSONText

/// Proof Key for Code Exchange (RFC 7636), S256 only. A fresh verifier per sign-in.
public struct PKCE: Sendable {
    /// 43 characters of base64url (32 random bytes). Secret: kept server-side, never logged.
    public let verifier: String

    public init() { verifier = RandomToken.make(bytes: 32) }

    public init(verifier: String) { self.verifier = verifier }

    /// `BASE64URL(SHA256(verifier))`.
    public var challenge: String { Self.challenge(for: verifier) }

    public static let method = "S256"

    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
    }
}

/// Cryptographically random, URL-safe strings (state, nonce, verifier).
public enum RandomToken {
    public static func make(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return Base64URL.encode(data)
    }
}
