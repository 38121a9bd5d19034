import Crypto
import Foundation
import JSONText

/// Opaque paging cursors: Graph's next-page link sealed (ChaCha20-Poly1305) under a per-process key, bound to
/// the user and the tool, so a cursor is unreadable, unforgeable, and useless to anyone else.
struct PageCursor: Sendable {
    struct Payload: Sendable {
        /// Graph's next-page path below the base URL.
        var link: String
        /// Time zone the listing was made in (calendar), so later pages match.
        var zone: String?
    }

    let key: SymmetricKey

    init(key: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.key = key
    }

    func seal(_ payload: Payload, userId: String, tool: String) -> String? {
        let json: Value = ["link": .string(payload.link), "zone": payload.zone.map(Value.string) ?? .null]
        // The nonce drawn in one system call (swift-crypto's own draws eight bytes per call).
        guard let nonce = try? ChaChaPoly.Nonce(data: SystemRandom.bytes(12)),
            let box = try? ChaChaPoly.seal(
                JSONWriter.bytes(json), using: key, nonce: nonce, authenticating: Data("\(userId)|\(tool)".utf8))
        else { return nil }
        return Base64URL.encode(box.combined)
    }

    func open(_ cursor: String, userId: String, tool: String) throws(ToolError) -> Payload {
        guard let data = Base64URL.decode(cursor), let box = try? ChaChaPoly.SealedBox(combined: data),
            let plain = try? ChaChaPoly.open(box, using: key, authenticating: Data("\(userId)|\(tool)".utf8)),
            case .object(let json)? = try? JSONParser.parse(plain), let link = json["link"]?.stringValue
        else { throw .invalidCursor }
        return Payload(link: link, zone: json["zone"]?.stringValue)
    }
}
