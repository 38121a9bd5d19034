import Crypto
import Foundation

/// One 256-bit AES key of the keyring.
public struct KeyringKey: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Encrypts new blobs and decrypts old ones. Exactly one key is primary.
        case primary
        /// Decrypts only (a former primary, until `keys rewrap` moved everything off it).
        case decryptOnly = "decrypt-only"
        /// Refuses to decrypt: blobs under it fail closed and are audited.
        case disabled
    }

    public var id: UInt32
    public var status: Status
    /// Epoch seconds.
    public var createdAt: Int64
    let material: SymmetricKey

    public init(id: UInt32, status: Status, createdAt: Int64, material: SymmetricKey) {
        self.id = id
        self.status = status
        self.createdAt = createdAt
        self.material = material
    }

    /// A fresh random key.
    public static func generate(id: UInt32, status: Status = .primary) -> KeyringKey {
        KeyringKey(
            id: id, status: status, createdAt: Int64(Date().timeIntervalSince1970),
            material: SymmetricKey(size: .bits256))
    }

    public static func == (a: KeyringKey, b: KeyringKey) -> Bool {
        a.id == b.id && a.status == b.status && a.createdAt == b.createdAt && a.material == b.material
    }

    var materialBase64: String { material.withUnsafeBytes { Data($0).base64EncodedString() } }
}
