/// One page of a Graph collection: `value` and, when there is more, `@odata.nextLink`.
public struct GraphPage<Item: Decodable & Sendable>: Decodable, Sendable {
    public var value: [Item]
    /// After ``GraphClient/page(_:as:)``: the next page's path below the base URL (checked to be Graph's).
    public var nextLink: String?

    enum CodingKeys: String, CodingKey {
        case value
        case nextLink = "@odata.nextLink"
    }
}
