import Crypto
import Foundation
import JSONText

/// Random opaque values and the small encodings the wire formats need.
enum Secrets {
    /// A random URL-safe string of `bytes` random bytes.
    static func random(bytes: Int = 32) -> String {
        var g = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &g) }
        return Base64URL.encode(raw)
    }

    /// A random GUID in lower case.
    static func guid() -> String { UUID().uuidString.lowercased() }

    static func sha256Base64URL(_ text: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data(text.utf8))))
    }

    /// Constant-time string comparison.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
