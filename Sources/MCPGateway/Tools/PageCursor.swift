import Crypto
import Foundation

/// Opaque paging cursors: Graph's next-page link sealed (ChaCha20-Poly1305) under a per-process key, bound to
/// the user and the tool, so a cursor is unreadable, unforgeable, and useless to anyone else.
struct PageCursor: Sendable {
    struct Payload: Codable, Sendable {
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
        guard let data = try? JSONEncoder().encode(payload),
            let box = try? ChaChaPoly.seal(data, using: key, authenticating: Data("\(userId)|\(tool)".utf8))
        else { return nil }
        return box.combined.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func open(_ cursor: String, userId: String, tool: String) throws(ToolError) -> Payload {
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let box = try? ChaChaPoly.SealedBox(combined: data),
            let plain = try? ChaChaPoly.open(box, using: key, authenticating: Data("\(userId)|\(tool)".utf8)),
            let payload = try? JSONDecoder().decode(Payload.self, from: plain)
        else { throw .invalidCursor }
        return payload
    }
}
