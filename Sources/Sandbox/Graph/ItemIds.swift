import Foundation

/// Encodes and decodes the opaque item ids of one mailbox.
///
/// Regular ids (`AAMkA…`) change when an item moves, like Exchange's EWS ids; immutable ids (`AAkALg…`)
/// do not. Both carry the owner, so an id from another mailbox is simply not found.
struct ItemIds: Sendable {
    let userIndex: Int
    /// Whether the caller sent `Prefer: IdType="ImmutableId"`.
    let immutable: Bool

    enum Decoded: Equatable {
        case message(key: String, moveCount: Int?)
        case folder(key: String)
        case event(key: String)
        case contact(key: String)
        case foreign
    }

    func messageId(_ m: MailMessage) -> String {
        immutable ? encode("AAkALg", "m|\(m.key)") : encode("AAMkAG", "m|\(m.key)|\(m.moveCount)")
    }

    func folderId(_ key: String) -> String { encode("AAMkAF", "f|\(key)") }
    func eventId(_ key: String) -> String { encode("AAMkAE", "e|\(key)") }
    func contactId(_ key: String) -> String { encode("AAMkAC", "c|\(key)") }

    private func encode(_ prefix: String, _ payload: String) -> String {
        prefix
            + Data("\(userIndex)|\(payload)".utf8).base64EncodedString()
            .replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "+", with: "_")
    }

    /// Decodes an id; nil when it is malformed (400 ErrorInvalidIdMalformed).
    func decode(_ id: String) -> Decoded? {
        guard id.count > 6 else { return nil }
        let prefix = String(id.prefix(6))
        guard ["AAkALg", "AAMkAG", "AAMkAF", "AAMkAE", "AAMkAC"].contains(prefix) else { return nil }
        let body = String(id.dropFirst(6)).replacingOccurrences(of: "-", with: "/")
            .replacingOccurrences(of: "_", with: "+")
        guard let data = Data(base64Encoded: body), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, let owner = Int(parts[0]) else { return nil }
        if owner != userIndex { return .foreign }
        switch (prefix, parts[1]) {
        case ("AAkALg", "m") where parts.count == 3: return .message(key: parts[2], moveCount: nil)
        case ("AAMkAG", "m") where parts.count == 4:
            guard let moves = Int(parts[3]) else { return nil }
            return .message(key: parts[2], moveCount: moves)
        case ("AAMkAF", "f"): return .folder(key: parts[2...].joined(separator: "|"))
        case ("AAMkAE", "e"): return .event(key: parts[2...].joined(separator: "|"))
        case ("AAMkAC", "c"): return .contact(key: parts[2...].joined(separator: "|"))
        default: return nil
        }
    }
}
