import Crypto
import Foundation
import JSONText

/// The HMAC-SHA256 key that signs recorded chain heads, so truncating the audit log (and rewriting the head row)
/// is detected by anyone holding the key even when the database itself was changed.
///
/// Sources, in order of preference: key material from the token keyring (derived with HKDF, info
/// `graphgate audit head v1`, so the audit key is never the encryption key itself), or a dedicated key file of
/// 32 random bytes (base64) created with mode 0600 on first use. The id is the first 8 bytes of SHA-256 of the
/// key, in hex, so a head records which key signed it without revealing the key.
public struct AuditSigningKey: Sendable {
    public let id: String
    let key: SymmetricKey

    public init(rawKey: some DataProtocol) {
        let key = SymmetricKey(data: Array(rawKey))
        self.key = key
        self.id = Hex.string(SHA256.hash(data: key.withUnsafeBytes { Array($0) }).prefix(8))
    }

    /// Derives the audit key from other secret key material (for example the keyring's primary key).
    public static func derived(from material: some DataProtocol) -> AuditSigningKey {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(material)), salt: Array("graphgate".utf8),
            info: Array("graphgate audit head v1".utf8), outputByteCount: 32)
        return AuditSigningKey(rawKey: derived.withUnsafeBytes { Array($0) })
    }

    /// Loads the key file at `path`, creating it (0600, 32 random bytes, base64) when `create` and absent.
    public static func load(path: String, create: Bool) throws(SecurityError) -> AuditSigningKey {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            guard create else { throw .signingKey("no key file at \(path)") }
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Data(bytes).base64EncodedString() + "\n"
            let url = URL(fileURLWithPath: path)
            let directory = url.deletingLastPathComponent().path
            try? manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // Written aside, then linked into place: link(2) never replaces a file, so of two instances starting
            // at once one creates the key and the other loads it (neither signs with a key that is then lost).
            let temporary = directory + "/.\(url.lastPathComponent).\(UUID().uuidString).tmp"
            guard
                manager.createFile(
                    atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            else { throw .signingKey("cannot create \(path)") }
            defer { unlink(temporary) }
            guard link(temporary, path) == 0 else {
                if errno == EEXIST { return try load(path: path, create: false) }
                throw .signingKey("cannot create \(path)")
            }
            return AuditSigningKey(rawKey: bytes)
        }
        guard let data = manager.contents(atPath: path) else { throw .signingKey("cannot read \(path)") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), raw.count >= 32 else {
            throw .signingKey("\(path) does not hold a base64 key of at least 32 bytes")
        }
        return AuditSigningKey(rawKey: raw)
    }

    /// The MAC of a head: HMAC-SHA256 over `gg-audit-head-v1\n<seq>\n<hash>\n<signed_at>`.
    public func mac(seq: Int64, hash: String, signedAt: Int64) -> String {
        let message = Array("gg-audit-head-v1\n\(seq)\n\(hash)\n\(signedAt)".utf8)
        return Hex.string(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    public func isValid(mac: String, seq: Int64, hash: String, signedAt: Int64) -> Bool {
        guard let given = AuditChain.hexBytes(mac) else { return false }
        let message = Array("gg-audit-head-v1\n\(seq)\n\(hash)\n\(signedAt)".utf8)
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: message, using: key)
    }
}
