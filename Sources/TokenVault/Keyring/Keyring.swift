import Crypto
import Foundation

/// Versioned AES-256 keys, Tink-style: one primary (encrypts), decrypt-only ones (old primaries) and disabled ones
/// (fail closed). Serialized as a JSON document (the keyring file) or, for containers, as the compact
/// `ID:BASE64[,ID:BASE64…]` form of `GRAPHGATE_KEYRING_KEY` (first entry primary, the rest decrypt-only).
///
/// Never printed: `description` lists ids and statuses only.
public struct Keyring: Sendable, Equatable, CustomStringConvertible {
    public private(set) var keys: [KeyringKey]

    /// Validates: at least one key, unique non-zero ids, exactly one primary.
    public init(keys: [KeyringKey]) throws(VaultError) {
        guard !keys.isEmpty else { throw .keyringInvalid("it holds no key") }
        guard Set(keys.map(\.id)).count == keys.count else { throw .keyringInvalid("two keys share an id") }
        guard !keys.contains(where: { $0.id == 0 }) else { throw .keyringInvalid("key id 0 is reserved") }
        guard keys.filter({ $0.status == .primary }).count == 1 else {
            throw .keyringInvalid("exactly one key must be primary")
        }
        self.keys = keys.sorted { $0.id < $1.id }
    }

    /// A new keyring with one fresh primary key (id 1).
    public static func generate() -> Keyring {
        try! Keyring(keys: [.generate(id: 1)])
    }

    public var primary: KeyringKey { keys.first { $0.status == .primary }! }

    public func key(id: UInt32) -> KeyringKey? { keys.first { $0.id == id } }

    /// A key for another purpose (`purpose`: "page cursor", "request state"), derived from the primary key with
    /// HKDF: every instance sharing the keyring derives the same one, so what one seals another opens, also after
    /// a restart, and none is the encryption key itself. Rotating the primary changes it (what was sealed before
    /// then no longer opens, as after a restart with random keys).
    public func derivedKey(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: primary.material, salt: Array("graphgate".utf8),
            info: Array("graphgate \(purpose) v1".utf8),
            outputByteCount: 32)
    }

    /// Adds a fresh primary; the old primary becomes decrypt-only. Returns the new key id.
    @discardableResult
    public mutating func rotate() -> UInt32 {
        let id = (keys.map(\.id).max() ?? 0) + 1
        keys =
            keys.map { key in
                var key = key
                if key.status == .primary { key.status = .decryptOnly }
                return key
            } + [.generate(id: id, status: .primary)]
        return id
    }

    /// Marks a key disabled. The primary cannot be disabled (rotate first).
    public mutating func disable(id: UInt32) throws(VaultError) {
        guard let index = keys.firstIndex(where: { $0.id == id }) else { throw .unknownKey(keyId: id) }
        guard keys[index].status != .primary else {
            throw .keyringInvalid("key \(id) is the primary; rotate before disabling it")
        }
        keys[index].status = .disabled
    }

    /// Lets a disabled key decrypt again (an operator undoing a mistaken `disable`).
    public mutating func enable(id: UInt32) throws(VaultError) {
        guard let index = keys.firstIndex(where: { $0.id == id }) else { throw .unknownKey(keyId: id) }
        if keys[index].status == .disabled { keys[index].status = .decryptOnly }
    }

    public var description: String {
        "Keyring(" + keys.map { "\($0.id):\($0.status.rawValue)" }.joined(separator: ", ") + ")"
    }

    // MARK: file format

    struct Document: Codable {
        struct Entry: Codable {
            var id: UInt32
            var status: KeyringKey.Status
            var created_at: Int64
            var key: String
        }

        var format: String
        var version: Int
        var keys: [Entry]
    }

    static let formatName = "graphgate-keyring"

    /// The keyring file's JSON.
    public func serialized() -> Data {
        let document = Document(
            format: Self.formatName, version: 1,
            keys: keys.map { .init(id: $0.id, status: $0.status, created_at: $0.createdAt, key: $0.materialBase64) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(document)) ?? Data()
    }

    /// Parses a keyring file. A truncated or edited file fails with a typed error (never a crash).
    public init(parsing data: Data) throws(VaultError) {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw .keyringUnreadable("not a complete keyring file (truncated or edited?)")
        }
        guard document.format == Self.formatName else { throw .keyringUnreadable("not a graphgate keyring file") }
        guard document.version == 1 else { throw .keyringUnreadable("keyring version \(document.version) is unknown") }
        var parsed: [KeyringKey] = []
        for entry in document.keys {
            guard let bytes = Data(base64Encoded: entry.key), bytes.count == 32 else {
                throw .keyringUnreadable("key \(entry.id) is not 256 bits of base64")
            }
            parsed.append(
                KeyringKey(
                    id: entry.id, status: entry.status, createdAt: entry.created_at, material: SymmetricKey(data: bytes)
                ))
        }
        try self.init(keys: parsed)
    }

    // MARK: environment form

    /// Parses `ID:BASE64[,ID:BASE64…]` (first entry primary, others decrypt-only).
    public init(environmentValue text: String) throws(VaultError) {
        var parsed: [KeyringKey] = []
        for (index, part) in text.split(separator: ",").enumerated() {
            let pieces = part.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard pieces.count == 2, let id = UInt32(pieces[0]), let bytes = Data(base64Encoded: String(pieces[1])),
                bytes.count == 32
            else {
                throw .keyringUnreadable("expected ID:BASE64 of a 256-bit key, comma-separated")
            }
            parsed.append(
                KeyringKey(
                    id: id, status: index == 0 ? .primary : .decryptOnly, createdAt: 0,
                    material: SymmetricKey(data: bytes)))
        }
        try self.init(keys: parsed)
    }

    /// The environment form of the usable keys: primary first, then decrypt-only ones.
    public var environmentValue: String {
        let ordered = [primary] + keys.filter { $0.status == .decryptOnly }
        return ordered.map { "\($0.id):\($0.materialBase64)" }.joined(separator: ",")
    }
}
