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
