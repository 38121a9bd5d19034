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
