import Crypto
import Foundation
import JSONText
import Synchronization

/// Seals and opens the `requestState` of a 2026-07-28 `InputRequiredResult` (AES-256-GCM), so a multi
/// round-trip tool call needs no server memory to continue (a ``RequestStateLedger`` only refuses a replay): the
/// state names the question asked and is bound to the user, the client, the tool and a hash of the exact
/// arguments, and expires after a short while. A state copied to another call, user or argument list, or altered
/// by one bit, does not open.
struct RequestStateSeal: Sendable {
    struct State: Equatable {
        var userId: String
        var clientId: String
        var tool: String
        /// SHA-256 (hex) of the canonical JSON of the call's arguments.
        var argumentsHash: String
        /// Keys of the questions asked so far (answers to other keys are ignored).
        var keys: [String]
        var expiresAt: Int64
    }

    let key: SymmetricKey
    let lifetime: Duration

    /// SHA-256 (hex) of the arguments' canonical JSON (sorted keys), absent arguments as `{}`.
    static func argumentsHash(_ arguments: JSONObject?) -> String {
        Hex.string(SHA256.hash(data: JSONWriter.bytes(.object(arguments ?? [:]))))
    }

    func seal(_ state: State) -> String {
        let payload: Value = [
            "u": .string(state.userId), "c": .string(state.clientId), "t": .string(state.tool),
            "h": .string(state.argumentsHash), "k": .array(state.keys.map { .string($0) }),
            "e": .int(Int(state.expiresAt)),
        ]
        // Sealing with a fresh random nonce cannot fail for a valid 256-bit key.
        let box = try! AES.GCM.seal(JSONWriter.bytes(payload), using: key)
        return Base64URL.encode(box.combined!)
    }

    /// The state if `text` opens under our key, has not expired, and belongs to exactly this call; with the sealed
    /// bytes `text` decodes to (what identifies it, whatever base64url spelling carried it).
    func open(
        _ text: String, userId: String, clientId: String, tool: String, arguments: JSONObject?, now: Int64
    ) -> (state: State, sealed: Data)? {
        guard text.utf8.count <= 8192, let data = Base64URL.decode(text),
            let box = try? AES.GCM.SealedBox(combined: data), let plain = try? AES.GCM.open(box, using: key),
            let payload = try? JSONParser.parse(plain),
            let expiresAt = payload["e"]?.intValue, let keys = payload["k"]?.arrayValue?.compactMap(\.stringValue)
        else { return nil }
        let state = State(
            userId: payload["u"]?.stringValue ?? "", clientId: payload["c"]?.stringValue ?? "",
            tool: payload["t"]?.stringValue ?? "", argumentsHash: payload["h"]?.stringValue ?? "", keys: keys,
            expiresAt: Int64(expiresAt))
        guard state.userId == userId, state.clientId == clientId, state.tool == tool,
            state.argumentsHash == Self.argumentsHash(arguments), now < state.expiresAt
        else { return nil }
        return (state, data)
    }
}

/// Where answered `requestState`s are remembered, each until it expires: a state is consumed at most once, as the
/// specification requires of states whose retry acts (a replayed confirmed retry would send the same mail again).
/// Keyed by the SHA-256 of the sealed bytes, not the text: base64url spellings that differ only in the unused bits
/// of their last character open the same state.
public protocol RequestStateLedger: Sendable {
    /// True the first time `hash` is consumed; false when it was consumed before. Throws when it cannot tell
    /// (the caller then refuses the retry: fail closed).
    func consume(hash: String, expiresAt: Int64, now: Int64) async throws -> Bool
}

extension RequestStateLedger {
    /// ``consume(hash:expiresAt:now:)`` for the state sealed in `sealed`.
    func consume(sealed: Data, expiresAt: Int64, now: Int64) async throws -> Bool {
        try await consume(hash: Hex.string(SHA256.hash(data: sealed)), expiresAt: expiresAt, now: now)
    }
}

/// A ledger in this process's memory: for stdio and desktop mode (one process), and the default of ``MCPCore``.
/// The server keeps its ledger in the store (``MCPSessionManager``), so every instance and a restart see it.
final class ConsumedRequestStates: RequestStateLedger {
    /// Hash of a consumed state → its expiry.
    private let consumed = Mutex<[String: Int64]>([:])
    /// Above this many entries, expired ones are dropped before the next is added.
    private let pruneAbove = 4096

    func consume(hash: String, expiresAt: Int64, now: Int64) -> Bool {
        consumed.withLock { table in
            if table.count >= pruneAbove { table = table.filter { $0.value >= now } }
            guard table[hash] == nil else { return false }
            table[hash] = expiresAt
            return true
        }
    }
}
