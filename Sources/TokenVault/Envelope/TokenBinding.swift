import Foundation

/// What an envelope is bound to (its associated data): the row it belongs in. A blob copied to another user's,
/// account's or kind's row fails to open.
public struct TokenBinding: Sendable, Equatable {
    public var userId: String
    public var accountId: String
    public var kind: String

    public init(userId: String, accountId: String, kind: String) {
        self.userId = userId
        self.accountId = accountId
        self.kind = kind
    }

    /// Domain-separated, length-prefixed, so no two different bindings serialize alike.
    var bytes: Data {
        var data = Data("graphgate.token.v1".utf8)
        for field in [userId, accountId, kind] {
            let utf8 = Data(field.utf8)
            var length = UInt32(utf8.count).bigEndian
            data.append(Data(bytes: &length, count: 4))
            data.append(utf8)
        }
        return data
    }
}
