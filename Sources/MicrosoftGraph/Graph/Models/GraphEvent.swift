import JSONText

/// Graph's `event` (the fields graphgate selects).
public struct GraphEvent: Codable, Sendable {
    public struct Location: Codable, Sendable {
        public var displayName: String?
    }

    public struct ResponseStatus: Codable, Sendable {
        /// none, organizer, tentativelyAccepted, accepted, declined, notResponded.
        public var response: String?
    }

    public struct Attendee: Codable, Sendable {
        public var emailAddress: GraphEmailAddress?
        /// required, optional, resource.
        public var type: String?
        public var status: ResponseStatus?
    }

    public struct OnlineMeeting: Codable, Sendable {
        public var joinUrl: String?
    }

    public var id: String
    public var subject: String?
    public var bodyPreview: String?
    public var body: GraphItemBody?
    public var start: GraphDateTimeTimeZone?
    public var end: GraphDateTimeTimeZone?
    public var location: Location?
    public var attendees: [Attendee]?
    public var organizer: GraphRecipient?
    public var isAllDay: Bool?
    public var isCancelled: Bool?
    public var isOnlineMeeting: Bool?
    public var onlineMeeting: OnlineMeeting?
    public var responseStatus: ResponseStatus?
    public var showAs: String?
    public var webLink: String?

    public static let listSelect =
        "id,subject,start,end,location,organizer,isAllDay,isCancelled,isOnlineMeeting,responseStatus,showAs"
    public static let detailSelect =
        "id,subject,body,start,end,location,attendees,organizer,isAllDay,isCancelled,isOnlineMeeting,"
        + "responseStatus,showAs,webLink"
}

extension GraphEvent.Location: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "displayName": displayName = try r.optionalString()
            default: try r.skip()
            }
        }
    }
}

extension GraphEvent.ResponseStatus: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "response": response = try r.optionalString()
            default: try r.skip()
            }
        }
    }
}

extension GraphEvent.Attendee: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "emailAddress": emailAddress = try r.optional(GraphEmailAddress.self)
            case "type": type = try r.optionalString()
            case "status": status = try r.optional(GraphEvent.ResponseStatus.self)
            default: try r.skip()
            }
        }
    }
}

extension GraphEvent.OnlineMeeting: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "joinUrl": joinUrl = try r.optionalString()
            default: try r.skip()
            }
        }
    }
}

extension GraphEvent: GraphDecodable {
    public init(json r: inout JSONReader) throws(JSONReader.Failure) {
        var id: String?
        try r.beginObject()
        while let member = try r.nextMemberKey() {
            switch member {
            case "id": id = try r.string()
            case "subject": subject = try r.optionalString()
            case "bodyPreview": bodyPreview = try r.optionalString()
            case "body": body = try r.optional(GraphItemBody.self)
            case "start": start = try r.optional(GraphDateTimeTimeZone.self)
            case "end": end = try r.optional(GraphDateTimeTimeZone.self)
            case "location": location = try r.optional(Location.self)
            case "attendees": attendees = try r.optionalArray(of: Attendee.self)
            case "organizer": organizer = try r.optional(GraphRecipient.self)
            case "isAllDay": isAllDay = try r.optionalBool()
            case "isCancelled": isCancelled = try r.optionalBool()
            case "isOnlineMeeting": isOnlineMeeting = try r.optionalBool()
            case "onlineMeeting": onlineMeeting = try r.optional(OnlineMeeting.self)
            case "responseStatus": responseStatus = try r.optional(ResponseStatus.self)
            case "showAs": showAs = try r.optionalString()
            case "webLink": webLink = try r.optionalString()
            default: try r.skip()
            }
        }
        guard let id else { throw r.missing("id") }
        self.id = id
    }
}
