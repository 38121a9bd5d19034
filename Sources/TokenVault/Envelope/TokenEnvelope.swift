import Crypto
import Foundation

/// AES-256-GCM envelopes: `version(1) ‖ key id(4, big-endian) ‖ nonce(12, random) ‖ ciphertext ‖ tag(16)`.
///
/// The associated data is the 5-byte header followed by the `TokenBinding`, so neither the key id nor the row a blob
/// belongs to can be changed without the tag failing.
public struct TokenEnvelope: Sendable {
    public static let version: UInt8 = 1
    static let headerLength = 5
    static let nonceLength = 12
    static let tagLength = 16

    public let keyring: Keyring

    public init(keyring: Keyring) { self.keyring = keyring }

    /// Seals with the primary key and a fresh random 96-bit nonce.
    public func seal(_ plaintext: String, for binding: TokenBinding) throws(VaultError) -> (keyId: UInt32, blob: Data) {
        let key = keyring.primary
        let header = Self.header(keyId: key.id)
        do {
            let box = try AES.GCM.seal(
                Data(plaintext.utf8), using: key.material, nonce: AES.GCM.Nonce(),
                authenticating: header + binding.bytes)
            var blob = header
            blob.append(contentsOf: box.nonce)
            blob.append(box.ciphertext)
            blob.append(box.tag)
            return (key.id, blob)
        } catch {
            throw .malformedEnvelope
        }
    }

    /// The key id an envelope names, without opening it.
    public static func keyId(of blob: Data) throws(VaultError) -> UInt32 {
        guard blob.count >= headerLength + nonceLength + tagLength, blob[blob.startIndex] == version else {
            throw .malformedEnvelope
        }
        return blob.dropFirst().prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Opens an envelope. Fails closed with a typed error: malformed, unknown key, disabled key, or an
    /// authentication failure (tampered, truncated, or bound to another row).
    public func open(_ blob: Data, for binding: TokenBinding) throws(VaultError) -> String {
        let blob = Data(blob)
        let keyId = try Self.keyId(of: blob)
        guard let key = keyring.key(id: keyId) else { throw .unknownKey(keyId: keyId) }
        guard key.status != .disabled else { throw .keyDisabled(keyId: keyId) }
        let header = blob.prefix(Self.headerLength)
        let nonceEnd = Self.headerLength + Self.nonceLength
        let tagStart = blob.count - Self.tagLength
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: blob[Self.headerLength..<nonceEnd]),
                ciphertext: blob[nonceEnd..<tagStart], tag: blob[tagStart...])
            let plaintext = try AES.GCM.open(box, using: key.material, authenticating: header + binding.bytes)
            guard let text = String(data: plaintext, encoding: .utf8) else { throw VaultError.malformedEnvelope }
            return text
        } catch let error as VaultError {
            throw error
        } catch {
            throw .decryptionFailed
        }
    }

    static func header(keyId: UInt32) -> Data {
        Data([
            version, UInt8(keyId >> 24 & 0xff), UInt8(keyId >> 16 & 0xff), UInt8(keyId >> 8 & 0xff),
            UInt8(keyId & 0xff),
        ])
    }

    /// The nonce bytes of an envelope (for the nonce-uniqueness test and benchmarks).
    public static func nonce(of blob: Data) -> Data? {
        guard blob.count >= headerLength + nonceLength + tagLength else { return nil }
        return Data(blob.dropFirst(headerLength).prefix(nonceLength))
    }
}
