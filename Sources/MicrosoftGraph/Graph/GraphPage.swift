import JSONText

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

extension GraphPage: GraphDecodable where Item: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try self.init(json: &r) { (r: inout JSONReader) throws(JSONReader.Failure) in try Item(json: &r) }
    }
}

extension GraphPage {
    /// A page whose items are read by `item` (another reading than the item type's own, e.g. a listed message).
    init(
        json r: inout JSONReader, item: (inout JSONReader) throws(JSONReader.Failure) -> Item
    ) throws(JSONReader.Failure) {
        var value: [Item]?
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "value": value = try r.array(item)
            case "@odata.nextLink": nextLink = try r.optionalString()
            default: try r.skip()
            }
        }
        guard let value else { throw r.missing("value") }
        self.value = value
    }
}
