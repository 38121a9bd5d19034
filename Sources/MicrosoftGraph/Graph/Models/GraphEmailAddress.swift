import JSONText

/// Graph's `emailAddress`: a display name and an SMTP address.
public struct GraphEmailAddress: Codable, Sendable, Equatable {
    public var name: String?
    public var address: String?

    public init(name: String? = nil, address: String?) {
        self.name = name
        self.address = address
    }
}

/// Graph's `recipient`: `{"emailAddress":{…}}`.
public struct GraphRecipient: Codable, Sendable, Equatable {
    public var emailAddress: GraphEmailAddress?

    public init(address: String, name: String? = nil) {
        emailAddress = GraphEmailAddress(name: name, address: address)
    }
}

/// Graph's `itemBody`.
public struct GraphItemBody: Codable, Sendable, Equatable {
    /// `text` or `html`.
    public var contentType: String?
    public var content: String?

    public init(contentType: String, content: String) {
        self.contentType = contentType
        self.content = content
    }
}

/// Graph's `dateTimeTimeZone`: a wall-clock time (no offset) and the zone it is in.
public struct GraphDateTimeTimeZone: Codable, Sendable, Equatable {
    public var dateTime: String
    public var timeZone: String?

    public init(dateTime: String, timeZone: String) {
        self.dateTime = dateTime
        self.timeZone = timeZone
    }
}

/// Graph's `followupFlag` (only the status is used).
public struct GraphFollowupFlag: Codable, Sendable, Equatable {
    /// `notFlagged`, `flagged` or `complete`.
    public var flagStatus: String?

    public init(flagStatus: String) { self.flagStatus = flagStatus }
}

extension GraphEmailAddress: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "name": name = try r.optionalString()
            case "address": address = try r.optionalString()
            default: try r.skip()
            }
        }
    }
}

extension GraphRecipient: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "emailAddress": emailAddress = try r.optional(GraphEmailAddress.self)
            default: try r.skip()
            }
        }
    }
}

extension GraphItemBody: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "contentType": contentType = try r.optionalString()
            case "content": content = try r.optionalString()
            default: try r.skip()
            }
        }
    }
}

extension GraphDateTimeTimeZone: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        var dateTime: String?
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "dateTime": dateTime = try r.string()
            case "timeZone": timeZone = try r.optionalString()
            default: try r.skip()
            }
        }
        guard let dateTime else { throw r.missing("dateTime") }
        self.dateTime = dateTime
    }
}

extension GraphFollowupFlag: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "flagStatus": flagStatus = try r.optionalString()
            default: try r.skip()
            }
        }
    }
}
