import Foundation

/// A new or changed event (`POST /me/events`, `PATCH /me/events/{id}`); nil fields are left alone.
public struct GraphEventDraft: Encodable, Sendable {
    public struct Attendee: Encodable, Sendable {
        public var emailAddress: GraphEmailAddress
        public var type: String

        public init(address: String, name: String? = nil, type: String = "required") {
            emailAddress = GraphEmailAddress(name: name, address: address)
            self.type = type
        }
    }

    public struct Location: Encodable, Sendable {
        public var displayName: String
    }

    public var subject: String?
    public var body: GraphItemBody?
    public var start: GraphDateTimeTimeZone?
    public var end: GraphDateTimeTimeZone?
    public var location: Location?
    public var attendees: [Attendee]?
    public var isOnlineMeeting: Bool?
    public var onlineMeetingProvider: String?
    public var isAllDay: Bool?

    public init(
        subject: String? = nil, body: GraphItemBody? = nil, start: GraphDateTimeTimeZone? = nil,
        end: GraphDateTimeTimeZone? = nil, location: String? = nil, attendees: [Attendee]? = nil,
        isOnlineMeeting: Bool? = nil, isAllDay: Bool? = nil
    ) {
        self.subject = subject
        self.body = body
        self.start = start
        self.end = end
        self.location = location.map { Location(displayName: $0) }
        self.attendees = attendees
        self.isOnlineMeeting = isOnlineMeeting
        self.onlineMeetingProvider = isOnlineMeeting == true ? "teamsForBusiness" : nil
        self.isAllDay = isAllDay
    }
}

extension GraphClient {
    static func eventPath(_ id: String) -> String { "/v1.0/me/events/\(GraphRequest.segment(id))" }

    static func zonePrefer(_ timeZone: String?) -> [String] {
        timeZone.map { ["outlook.timezone=\"\($0)\""] } ?? []
    }

    /// The user's mailbox time zone (needs `MailboxSettings.Read`).
    public func mailboxTimeZone() async throws -> String? {
        try await json(
            GraphRequest(.get, "/v1.0/me/mailboxSettings", query: [("$select", "timeZone")]),
            as: GraphMailboxSettings.self
        ).timeZone
    }

    /// Occurrences in a window (`/me/calendarView`), times given in `timeZone`, earliest first.
    /// - Parameters: start/end in UTC ISO 8601 (`2025-01-01T00:00:00Z`).
    public func calendarView(
        start: String, end: String, timeZone: String?, top: Int
    ) async throws -> GraphPage<GraphEvent> {
        try await page(
            GraphRequest(
                .get, "/v1.0/me/calendarView",
                query: [
                    ("startDateTime", start), ("endDateTime", end), ("$select", GraphEvent.listSelect),
                    ("$orderby", "start/dateTime"), ("$top", "\(top)"),
                ],
                prefer: Self.zonePrefer(timeZone)))
    }

    public func event(_ id: String, timeZone: String?) async throws -> GraphEvent {
        try await json(
            GraphRequest(
                .get, Self.eventPath(id), query: [("$select", GraphEvent.detailSelect)],
                prefer: Self.zonePrefer(timeZone)))
    }

    public func createEvent(_ draft: GraphEventDraft, timeZone: String?) async throws -> GraphEvent {
        try await json(
            GraphRequest(.post, "/v1.0/me/events", body: try Self.encode(draft), prefer: Self.zonePrefer(timeZone)))
    }

    public func updateEvent(_ id: String, _ draft: GraphEventDraft, timeZone: String?) async throws -> GraphEvent {
        try await json(
            GraphRequest(
                .patch, Self.eventPath(id), body: try Self.encode(draft), prefer: Self.zonePrefer(timeZone),
                idempotent: true))
    }

    public func deleteEvent(_ id: String) async throws {
        _ = try await send(GraphRequest(.delete, Self.eventPath(id)))
    }

    /// Answers an invitation: `accept`, `decline` or `tentativelyAccept`.
    public func respondToEvent(_ id: String, action: String, comment: String?, sendResponse: Bool) async throws {
        struct Answer: Encodable {
            var comment: String?
            var sendResponse: Bool
        }
        guard ["accept", "decline", "tentativelyAccept"].contains(action) else {
            throw GraphError.badRequest(status: 400, code: "unsupportedAction")
        }
        _ = try await send(
            GraphRequest(
                .post, Self.eventPath(id) + "/\(action)",
                body: try Self.encode(Answer(comment: comment, sendResponse: sendResponse))))
    }
}
