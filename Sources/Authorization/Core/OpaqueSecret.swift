import Crypto
import JSONText
import Foundation

/// Random, opaque secrets (tokens, codes, handles, cookies) and the SHA-256 hash under which they are stored.
///
/// A secret is 32 random bytes in base64url with a short prefix that says what it is (`gga_` access token,
/// `ggr_` refresh token, `ggc_` code, …), so a leaked one is recognisable by secret scanners.
public enum OpaqueSecret {
    public static let accessTokenPrefix = "gga_"
    public static let refreshTokenPrefix = "ggr_"
    public static let codePrefix = "ggc_"
    public static let pendingPrefix = "ggp_"
    public static let sessionPrefix = "ggs_"
    public static let clientSecretPrefix = "ggcs_"

    /// A new secret: `prefix` + 43 base64url characters (256 bits).
    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = generator.next() }
        return prefix + Base64URL.encode(bytes)
    }

    /// Lower-case hex SHA-256 of the secret's UTF-8 bytes: the only form that is ever stored.
    public static func hash(_ secret: String) -> String {
        Hex.string(SHA256.hash(data: Data(secret.utf8)))
    }



    /// True when `text` could be one of our secrets with `prefix` (cheap shape check before any lookup).
    static func looksLike(_ text: String, prefix: String) -> Bool {
        text.hasPrefix(prefix) && text.utf8.count == prefix.utf8.count + 43
            && text.utf8.dropFirst(prefix.utf8.count).allSatisfy(isBase64URL)
    }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2D || byte == 0x5F
    }
}
