import Crypto
import Foundation
import JSONText
import Synchronization

/// Confirmation of one send through a graphgate page, for clients that cannot ask the person themselves.
///
/// The link carries the message's description sealed (AES-GCM, per-process key): the user it is for, the kind,
/// the recipients, the subject, the start of the body (what the person reads before confirming) and a SHA-256 of
/// the whole body. Nothing of the message is stored: confirming records
/// only (user, message hash, expiry) in memory, and the assistant's retried identical call consumes it once.
/// A confirmation lives ``lifetime`` seconds; it is per instance (a retry must reach the same instance).
public final class SendConfirmations: Sendable {
    /// What the confirmation page shows and what the retried call must match exactly.
    public struct Message: Codable, Sendable, Equatable {
        public var userId: String
        /// `send`, `reply`, `forward`, `invite`, `update`, `cancel` or `respond`.
        public var kind: String
        public var recipients: [String]
        public var subject: String
        /// Hex SHA-256 of the body text the call would send.
        public var bodyHash: String
        /// The start of the text that is sent (at most ``previewBytes`` of UTF-8): the person confirms the
        /// message, not only its recipients and subject.
        public var bodyPreview: String
        /// How many characters of that text the preview leaves out.
        public var bodyOmitted: Int
        /// Seconds since 1970 after which the link no longer opens.
        public var expiresAt: Int64

        /// - Parameters:
        ///   - body: everything that identifies what is sent (hashed);
        ///   - shown: the text the person reads (its start goes into ``bodyPreview``).
        public init(
            userId: String, kind: String, recipients: [String], subject: String, body: String, shown: String,
            expiresAt: Int64
        ) {
            self.userId = userId
            self.kind = kind
            self.recipients = recipients.map { $0.lowercased() }.sorted()
            self.subject = subject
            self.bodyHash = Hex.string(SHA256.hash(data: Data(body.utf8)))
            var preview = ""
            for character in shown {
                guard preview.utf8.count + character.utf8.count <= Self.previewBytes else { break }
                preview.append(character)
            }
            self.bodyPreview = preview
            self.bodyOmitted = shown.count - preview.count
            self.expiresAt = expiresAt
        }

        /// The most UTF-8 bytes of the body a link carries (the sealed link stays well under its size limit).
        public static let previewBytes = 1500

        /// Identifies the exact message (not its expiry): the key of a recorded confirmation.
        public var hash: String {
            let canonical = [kind, recipients.joined(separator: ","), subject, bodyHash].joined(separator: "\n")
            return Hex.string(SHA256.hash(data: Data(canonical.utf8)))
        }
    }

    /// Seconds a link (and a recorded confirmation) stays valid.
    public static let lifetime: Int64 = 600
    /// Path of the confirmation page (served by the web layer).
    public static let path = "/confirm"

    let key: SymmetricKey
    let publicURL: URL?
    /// (user id, message hash) → expiry. Hashes only.
    private let confirmed = Mutex<[String: Int64]>([:])

    /// - Parameter publicURL: graphgate's public base URL; nil (desktop mode) means no link can be offered.
    public init(publicURL: URL?, key: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.publicURL = publicURL
        self.key = key
    }

    /// The confirmation link for `message`, or nil when graphgate has no web page to confirm on.
    func link(for message: Message) -> String? {
        guard let publicURL, let sealed = seal(message) else { return nil }
        return publicURL.absoluteString.trimmingSuffix("/") + Self.path + "?m=" + sealed
    }

    func seal(_ message: Message) -> String? {
        guard let data = try? JSONEncoder().encode(message),
            let box = try? AES.GCM.seal(data, using: key, authenticating: Data("send-confirmation".utf8)),
            let combined = box.combined
        else { return nil }
        return Base64URL.encode(combined)
    }

    /// The message a link describes; nil when it was not sealed here, is malformed, or expired at `now`.
    public func open(_ sealed: String, now: Int64) -> Message? {
        guard sealed.utf8.count <= 8192 else { return nil }
        guard let data = Base64URL.decode(sealed), let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key, authenticating: Data("send-confirmation".utf8)),
            let message = try? JSONDecoder().decode(Message.self, from: plain), message.expiresAt >= now
        else { return nil }
        return message
    }

    /// Records that `message`'s user confirmed it (the page checked the session is that user).
    public func confirm(_ message: Message, now: Int64) {
        confirmed.withLock { table in
            table = table.filter { $0.value >= now }
            table[message.userId + "\n" + message.hash] = now + Self.lifetime
        }
    }

    /// Takes the confirmation of `message` if one was recorded and has not expired (once).
    func consume(_ message: Message, now: Int64) -> Bool {
        confirmed.withLock { table in
            guard let expiry = table.removeValue(forKey: message.userId + "\n" + message.hash) else { return false }
            return expiry >= now
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
