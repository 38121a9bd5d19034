extension KeyMaintenance {
    /// One key: status and how many stored envelopes it seals.
    public struct KeyLine: Sendable {
        public var id: UInt32
        public var status: String
        public var createdAt: Int64
        public var tokens: Int
        public var pendingSignIns: Int
    }

    /// One line per key of `keyring`, then one per key id that stored envelopes use but the keyring lacks
    /// (status `missing`). Shared by `keys status` and the admin page.
    package static func lines(keyring: Keyring, usage: [UInt32: Usage]) -> [KeyLine] {
        var lines = keyring.keys.map { key in
            KeyLine(
                id: key.id, status: key.status.rawValue, createdAt: key.createdAt, tokens: usage[key.id]?.tokens ?? 0,
                pendingSignIns: usage[key.id]?.pendingSignIns ?? 0)
        }
        for (id, count) in usage.sorted(by: { $0.key < $1.key }) where keyring.key(id: id) == nil {
            lines.append(
                KeyLine(
                    id: id, status: "missing", createdAt: 0, tokens: count.tokens, pendingSignIns: count.pendingSignIns)
            )
        }
        return lines
    }
}
