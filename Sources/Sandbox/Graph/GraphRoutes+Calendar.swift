import Foundation
import Hummingbird

extension GraphRoutes {
    private static let calendarRead = ["Calendars.Read", "Calendars.ReadWrite"]

    func calendar(_ call: GraphCall) throws -> Response {
        var r = call.rest
        if r[0].lowercased() == "calendar" {
            r.removeFirst()
            guard !r.isEmpty else {
                try call.require(Self.calendarRead)
                return HTTPReply.json(
                    200,
                    .object([
                        ("id", .string(call.ids.folderId("calendar"))), ("name", "Calendar"), ("color", "auto"),
                        ("isDefaultCalendar", true), ("canEdit", true),
                        (
                            "owner",
                            .object([("name", .string(call.user.displayName)), ("address", .string(call.user.mail))])
                        ),
                    ]))
            }
        }
        let ctx = "users('\(call.user.id)')/events"
        if r[0].lowercased() == "calendarview" {
            guard call.method == .get, r.count == 1 else { throw GraphError.methodNotAllowed }
            try call.require(Self.calendarRead)
            let q = call.query.raw
            guard let s = q.first(where: { $0.key.lowercased() == "startdatetime" })?.value,
                let e = q.first(where: { $0.key.lowercased() == "enddatetime" })?.value
            else {
                throw GraphError.badRequest(
                    "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.",
                    code: "ErrorInvalidParameter")
            }
            guard let start = WireFormat.parseDate(s), let end = WireFormat.parseDate(e) else {
                throw GraphError.badRequest(
                    "The value '\(s)' of parameter 'StartDateTime' is invalid.", code: "ErrorInvalidParameter")
            }
            let events = state.withCalendar(call.user.index) { $0.view(from: start, to: end) }
            let json = events.map {
                $0.json(ids: call.ids, zone: call.timeZone, zoneName: call.timeZoneName, bodyAsText: call.bodyAsText)
            }
            let all = try Listing.apply(json, query: call.query, type: "event", defaultOrder: [])
            return try Listing.respond(call, base: core.baseURL, context: ctx, all: all, type: "event")
        }
        guard r[0].lowercased() == "events" else { throw GraphError.segmentNotFound(r[0]) }
        if r.count == 1 {
            if call.method == .post { return try createEvent(call) }
            guard call.method == .get else { throw GraphError.methodNotAllowed }
            try call.require(Self.calendarRead)
            let events = state.withCalendar(call.user.index) { $0.listed }
            let json = events.map {
                $0.json(ids: call.ids, zone: call.timeZone, zoneName: call.timeZoneName, bodyAsText: call.bodyAsText)
            }
            let all = try Listing.apply(json, query: call.query, type: "event", defaultOrder: [])
            return try Listing.respond(call, base: core.baseURL, context: ctx, all: all, type: "event")
        }
        guard let decoded = call.ids.decode(r[1]) else { throw GraphError.idMalformed }
        guard case .event(let key) = decoded, let event = state.withCalendar(call.user.index, { $0.event(key) }) else {
            throw GraphError.itemNotFound
        }
        if r.count == 2 {
            switch call.method {
            case .get:
                try call.require(Self.calendarRead)
                let json = event.json(
                    ids: call.ids, zone: call.timeZone, zoneName: call.timeZoneName, bodyAsText: call.bodyAsText)
                try json.validateSelect(call.query.select, type: "event")
                return HTTPReply.json(200, json.selecting(call.query.select))
            case .patch:
                try call.require("Calendars.ReadWrite")
                var e = event
                try applyEventFields(&e, call.body ?? .object([]))
                e.modified = Date()
                let updated = e
                state.withCalendar(call.user.index) { $0.update(updated) }
                // The organizer's change of a meeting is mailed to its attendees.
                if event.response == "organizer" {
                    meetingMail(
                        call, to: updated.attendees.map(\.address.address), subject: "Updated: " + updated.subject)
                }
                return HTTPReply.json(
                    200,
                    updated.json(
                        ids: call.ids, zone: call.timeZone, zoneName: call.timeZoneName, bodyAsText: call.bodyAsText))
            case .delete:
                try call.require("Calendars.ReadWrite")
                _ = state.withCalendar(call.user.index) { $0.remove(event.seriesMasterKey ?? event.key) }
                if event.response == "organizer" {
                    meetingMail(call, to: event.attendees.map(\.address.address), subject: "Canceled: " + event.subject)
                }
                return HTTPReply.empty(204)
            default: throw GraphError.methodNotAllowed
            }
        }
        guard call.method == .post else { throw GraphError.methodNotAllowed }
        let response: String
        switch r[2].lowercased() {
        case "accept": response = "accepted"
        case "decline": response = "declined"
        case "tentativelyaccept": response = "tentativelyAccepted"
        default: throw GraphError.segmentNotFound(r[2])
        }
        try call.require("Calendars.ReadWrite")
        guard event.response != "organizer" else {
            throw GraphError.badRequest(
                "Your request can't be completed. You can't respond to a meeting you organized.",
                code: "ErrorInvalidRequest")
        }
        if call.body?["sendResponse"]?.boolValue != false {
            meetingMail(
                call, to: [event.organizer.address],
                subject: ["accepted": "Accepted: ", "declined": "Declined: "][response, default: "Tentative: "]
                    + event.subject)
        }
        state.withCalendar(call.user.index) { cal in
            // An answer to one occurrence is recorded on its series (the sandbox keeps no per-occurrence exceptions).
            guard var target = cal.event(event.seriesMasterKey ?? event.key) else { return }
            target.response = response
            target.modified = Date()
            cal.update(target)
        }
        return HTTPReply.empty(202)
    }

    private func createEvent(_ call: GraphCall) throws -> Response {
        try call.require("Calendars.ReadWrite")
        guard let body = call.body else { throw GraphError.badRequest("Empty Payload. JSON content expected.") }
        let now = Date()
        var e = CalendarEvent(
            key: "", subject: "", bodyHTML: "", start: now, end: now.addingTimeInterval(1800), timeZone: "UTC",
            location: "", organizer: call.user.emailAddress, attendees: [], response: "organizer", created: now,
            modified: now)
        guard body["start"] != nil, body["end"] != nil else {
            throw GraphError.badRequest(
                "Your request can't be completed. The start and end times are required.", code: "ErrorInvalidRequest")
        }
        try applyEventFields(&e, body)
        let created = state.withCalendar(call.user.index) { $0.insert(e) }
        meetingMail(call, to: created.attendees.map(\.address.address), subject: created.subject)
        return HTTPReply.json(
            201,
            created.json(ids: call.ids, zone: call.timeZone, zoneName: call.timeZoneName, bodyAsText: call.bodyAsText))
    }

    /// Records the meeting mail Microsoft would send as `call`'s user.
    private func meetingMail(_ call: GraphCall, to recipients: [String], subject: String) {
        let now = Date()
        state.withData { d in
            for address in recipients {
                d.meetingMail.append(
                    OutboundMessage(time: now, from: call.user.mail, to: address, subject: subject, body: ""))
            }
        }
    }

    private func applyEventFields(_ e: inout CalendarEvent, _ body: JSONValue) throws(GraphError) {
        func time(_ v: JSONValue) throws(GraphError) -> (Date, String) {
            let zoneName = v["timeZone"]?.stringValue ?? "UTC"
            guard let zone = TimeZones.zone(zoneName) else {
                throw GraphError.badRequest(
                    "A valid TimeZone value must be specified.", code: "TimeZoneNotSupportedException")
            }
            guard let s = v["dateTime"]?.stringValue, let d = WireFormat.parseDate(s, zone: zone) else {
                throw GraphError.badRequest(
                    "Cannot convert the literal to the expected type 'Edm.DateTimeOffset'.",
                    code: "UnableToDeserializePostBody")
            }
            return (d, zoneName)
        }
        if let s = body["subject"]?.stringValue { e.subject = s }
        if let b = body["body"] {
            let content = b["content"]?.stringValue ?? ""
            e.bodyHTML =
                b["contentType"]?.stringValue?.lowercased() == "html"
                ? content : "<html><body><p>\(WireFormat.html(content))</p></body></html>"
        }
        if let v = body["start"] { (e.start, e.timeZone) = try time(v) }
        if let v = body["end"] { e.end = try time(v).0 }
        guard e.end >= e.start else {
            throw GraphError.badRequest("The end time must be after the start time.", code: "ErrorInvalidRequest")
        }
        if let l = body["location"]?["displayName"]?.stringValue { e.location = l }
        if let a = body["isAllDay"]?.boolValue { e.isAllDay = a }
        if let s = body["showAs"]?.stringValue { e.showAs = s }
        if let s = body["importance"]?.stringValue { e.importance = s }
        if let c = body["categories"]?.arrayValue { e.categories = c.compactMap(\.stringValue) }
        if let o = body["isOnlineMeeting"]?.boolValue { e.isOnlineMeeting = o }
        if let attendees = body["attendees"]?.arrayValue {
            e.attendees = attendees.compactMap { a in
                EmailAddress(recipient: a).map {
                    .init(address: $0, type: a["type"]?.stringValue ?? "required", response: "none")
                }
            }
        }
    }
}
