import Foundation

/// One event: a single instance or a series master with a weekly recurrence.
struct CalendarEvent: Sendable {
    struct Attendee: Sendable {
        var address: EmailAddress
        var type: String
        var response: String
    }
    struct Recurrence: Sendable {
        var daysOfWeek: [Int]  // 1 = Sunday … 7 = Saturday (Foundation's weekday)
        var startDate: Date
        var endDate: Date
    }

    var key: String
    var subject: String
    var bodyHTML: String
    var start: Date
    var end: Date
    var timeZone: String
    var isAllDay: Bool = false
    var location: String
    var organizer: EmailAddress
    var attendees: [Attendee]
    var recurrence: Recurrence? = nil
    /// The mailbox owner's own response: organizer, notResponded, accepted, declined, tentativelyAccepted.
    var response: String
    var showAs: String = "busy"
    var importance: String = "normal"
    var isOnlineMeeting: Bool = false
    var categories: [String] = []
    var created: Date
    var modified: Date
    /// For occurrences produced by expansion.
    var seriesMasterKey: String? = nil
    var occurrenceDay: String? = nil

    var type: String {
        if recurrence != nil { return "seriesMaster" }
        return seriesMasterKey == nil ? "singleInstance" : "occurrence"
    }

    static let days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    func json(ids: ItemIds, zone: TimeZone?, zoneName: String?, bodyAsText: Bool) -> JSONValue {
        let tz = zone ?? TimeZone(identifier: "UTC")!
        let tzName = zone == nil ? "UTC" : (zoneName ?? "UTC")
        func dt(_ d: Date) -> JSONValue {
            .object([("dateTime", .string(WireFormat.local(d, zone: tz))), ("timeZone", .string(tzName))])
        }
        var recurrenceJSON: JSONValue = .null
        if let r = recurrence {
            let z = TimeZones.zone(timeZone) ?? TimeZone(identifier: "UTC")!
            recurrenceJSON = .object([
                (
                    "pattern",
                    .object([
                        ("type", "weekly"), ("interval", 1), ("month", 0), ("dayOfMonth", 0),
                        ("daysOfWeek", .array(r.daysOfWeek.map { .string(Self.days[$0 - 1]) })),
                        ("firstDayOfWeek", "sunday"), ("index", "first"),
                    ])
                ),
                (
                    "range",
                    .object([
                        ("type", "endDate"),
                        ("startDate", .string(String(WireFormat.local(r.startDate, zone: z).prefix(10)))),
                        ("endDate", .string(String(WireFormat.local(r.endDate, zone: z).prefix(10)))),
                        ("recurrenceTimeZone", .string(timeZone)), ("numberOfOccurrences", 0),
                    ])
                ),
            ])
        }
        return .object([
            ("@odata.etag", .string("W/\"DwAAABYAAA\(Int(modified.timeIntervalSince1970))\"")),
            ("id", .string(ids.eventId(key))),
            ("createdDateTime", .string(WireFormat.iso(created))),
            ("lastModifiedDateTime", .string(WireFormat.iso(modified))),
            ("categories", .array(categories.map(JSONValue.string))),
            ("originalStartTimeZone", .string(timeZone)),
            ("originalEndTimeZone", .string(timeZone)),
            (
                "iCalUId",
                .string(
                    "040000008200E00074C5B7101A82E008\(String(format: "%016llx", SeededRandom.hash(seriesMasterKey ?? key)))"
                )
            ),
            ("reminderMinutesBeforeStart", 15),
            ("isReminderOn", true),
            ("subject", .string(subject)),
            ("bodyPreview", .string(String(HTMLText.plainText(bodyHTML).prefix(255)))),
            ("importance", .string(importance)),
            ("sensitivity", "normal"),
            ("isAllDay", .bool(isAllDay)),
            ("isCancelled", false),
            ("isOrganizer", .bool(response == "organizer")),
            ("responseRequested", true),
            ("seriesMasterId", seriesMasterKey.map { .string(ids.eventId($0)) } ?? .null),
            ("showAs", .string(showAs)),
            ("type", .string(type)),
            (
                "webLink",
                .string("https://outlook.office365.com/owa/?itemid=\(ids.eventId(key))&exvsurl=1&path=/calendar/item")
            ),
            ("isOnlineMeeting", .bool(isOnlineMeeting)),
            ("responseStatus", .object([("response", .string(response)), ("time", "0001-01-01T00:00:00Z")])),
            (
                "body",
                .object([
                    ("contentType", .string(bodyAsText ? "text" : "html")),
                    ("content", .string(bodyAsText ? HTMLText.plainText(bodyHTML) : bodyHTML)),
                ])
            ),
            ("start", dt(start)),
            ("end", dt(end)),
            ("location", .object([("displayName", .string(location)), ("locationType", "default")])),
            ("recurrence", recurrenceJSON),
            (
                "attendees",
                .array(
                    attendees.map { a in
                        .object([
                            ("type", .string(a.type)),
                            ("status", .object([("response", .string(a.response)), ("time", "0001-01-01T00:00:00Z")])),
                            (
                                "emailAddress",
                                .object([("name", .string(a.address.name)), ("address", .string(a.address.address))])
                            ),
                        ])
                    })
            ),
            ("organizer", organizer.json()),
        ])
    }
}
