import Foundation
import MicrosoftGraph
import SecurityOps

/// Calendar tools. Times come back in one stated zone: the `time_zone` argument, else the mailbox's, else UTC.
enum CalendarTools {
    static let all: [ToolDefinition] = [listEvents, getEvent, createEvent, updateEvent, deleteEvent, respondToEvent]

    static let zoneParameter = ToolParameter.string(
        "time_zone", "Zone for times shown, e.g. Europe/Berlin. Default: the mailbox's.", max: 64, format: .timeZone)

    /// The zone to show times in: the argument, the mailbox setting, or UTC when that cannot be read.
    static func displayZone(_ call: ToolInvocation) async -> String {
        if let zone = call.arguments.string("time_zone") { return zone }
        if let zone = try? await call.graph.mailboxTimeZone(), !zone.isEmpty { return zone }
        return "UTC"
    }

    static let eventSummary: Value = ToolFormat.object([
        "id": ToolFormat.str, "subject": ToolFormat.str, "start": ToolFormat.str, "end": ToolFormat.str,
        "all_day": ToolFormat.bool, "location": ToolFormat.strOrNull, "organizer": ToolFormat.person,
        "response": ToolFormat.strOrNull, "online": ToolFormat.bool, "cancelled": ToolFormat.bool,
    ])

    static func summaryValue(_ e: GraphEvent) -> Value {
        [
            "id": .string(e.id), "subject": .string(UntrustedContent.line(e.subject, max: 300)),
            "start": .string(e.start?.dateTime ?? ""),
            "end": .string(e.end?.dateTime ?? ""), "all_day": .bool(e.isAllDay ?? false),
            "location": ToolFormat.optional(e.location?.displayName.map { UntrustedContent.line($0, max: 255) }),
            "organizer": ToolFormat.personValue(e.organizer?.emailAddress),
            "response": ToolFormat.optional(e.responseStatus?.response), "online": .bool(e.isOnlineMeeting ?? false),
            "cancelled": .bool(e.isCancelled ?? false),
        ]
    }

    static func line(_ e: GraphEvent) -> String {
        var parts = [
            "\(ToolFormat.wallClock(e.start)) – \(String(ToolFormat.wallClock(e.end).suffix(e.start?.dateTime.prefix(10) == e.end?.dateTime.prefix(10) ? 5 : 16)))",
            UntrustedContent.line(e.subject, max: 160),
        ]
        if let place = e.location?.displayName, !place.isEmpty {
            parts.append("@ " + UntrustedContent.line(place, max: 80))
        }
        if let organizer = e.organizer?.emailAddress { parts.append("organizer " + ToolFormat.person(organizer)) }
        var marks: [String] = []
        if e.isAllDay == true { marks.append("all day") }
        if e.isCancelled == true { marks.append("cancelled") }
        if e.isOnlineMeeting == true { marks.append("online") }
        if let response = e.responseStatus?.response, response != "none", response != "organizer" {
            marks.append(response)
        }
        if !marks.isEmpty { parts.append(marks.joined(separator: ", ")) }
        parts.append("id=\(e.id)")
        return parts.joined(separator: " | ")
    }

    static let listEvents = ToolDefinition(
        name: "list_events", title: "List calendar events",
        description: "Events between start and end (ISO 8601 with offset; at most 366 days), earliest first.",
        parameters: [
            .string("start", max: 40, format: .dateTime, required: true),
            .string("end", max: 40, format: .dateTime, required: true),
            zoneParameter,
        ] + ToolParameter.paging,
        output: ToolFormat.list("events", eventSummary, extra: ["time_zone": ToolFormat.str]),
        effect: .read, scopes: ["Calendars.Read"]
    ) { call in
        guard let start = call.arguments.date("start"), let end = call.arguments.date("end") else {
            throw ToolError.invalidArgument(name: "start", expected: "ISO 8601 date-times with offsets")
        }
        guard end > start else { throw ToolError.invalidArgument(name: "end", expected: "a time after 'start'") }
        guard end.timeIntervalSince(start) <= 366 * 86_400 else {
            throw ToolError.invalidArgument(name: "end", expected: "at most 366 days after 'start'")
        }
        let page: GraphPage<GraphEvent>
        let zone: String
        if let cursor = try call.openCursor() {
            zone = cursor.zone ?? "UTC"
            page = try await call.graph.page(continuing: cursor.link, prefer: ["outlook.timezone=\"\(zone)\""])
        } else {
            zone = await displayZone(call)
            page = try await call.graph.calendarView(
                start: MailTools.odataDate(start), end: MailTools.odataDate(end), timeZone: zone, top: call.pageSize)
        }
        let cursor = call.cursor(page.nextLink, zone: zone)
        var text = "\(page.value.count) event\(page.value.count == 1 ? "" : "s"); times in \(zone)."
        if !page.value.isEmpty {
            text += "\n" + call.fence.notice + "\n" + call.fence.fence(page.value.map(line).joined(separator: "\n"))
        }
        if let cursor { text += "\nMore: call again with cursor=\(cursor)" }
        return ToolReply(
            text: text,
            structured: [
                "events": .array(page.value.map(summaryValue)), "time_zone": .string(zone),
                "next_cursor": ToolFormat.optional(cursor),
            ])
    }

    static let getEvent = ToolDefinition(
        name: "get_event", title: "Read an event",
        description: "One event with attendees, their responses and the description.",
        parameters: [.id("id"), zoneParameter],
        output: ToolFormat.object(
            [
                "event": eventSummary, "time_zone": ToolFormat.str, "body": ToolFormat.str,
                "join_url": ToolFormat.strOrNull,
                "attendees": [
                    "type": "array",
                    "items": ToolFormat.object([
                        "name": ToolFormat.str, "address": ToolFormat.str, "type": ToolFormat.str,
                        "response": ToolFormat.str,
                    ]),
                ],
            ], required: ["event"]),
        effect: .read, scopes: ["Calendars.Read"]
    ) { call in
        let id = try call.arguments.require("id")
        let zone = await displayZone(call)
        let event = try await call.graph.event(id, timeZone: zone)
        call.notes.set("targets", id)
        let raw = event.body?.content ?? ""
        let body = ToolFormat.cap(event.body?.contentType?.lowercased() == "html" ? HTMLSanitizer.text(raw) : raw, 8000)
            .0
        let attendees = event.attendees ?? []
        var lines = [line(event), "Attendees:"]
        lines += attendees.map {
            "- \(ToolFormat.person($0.emailAddress)) (\($0.type ?? "required"), \($0.status?.response ?? "none"))"
        }
        lines.append("Description:")
        lines.append(body)
        var text = "Times in \(zone).\n" + call.fence.notice + "\n" + call.fence.fence(lines.joined(separator: "\n"))
        if let url = event.onlineMeeting?.joinUrl { text += "\nJoin: \(UntrustedContent.line(url, max: 500))" }
        let people: [Value] = attendees.map {
            [
                "name": .string(UntrustedContent.line($0.emailAddress?.name, max: 80)),
                "address": .string(UntrustedContent.line($0.emailAddress?.address, max: 254)),
                "type": .string($0.type ?? "required"), "response": .string($0.status?.response ?? "none"),
            ]
        }
        return ToolReply(
            text: text,
            structured: [
                "event": summaryValue(event), "time_zone": .string(zone), "body": .string(call.fence.fence(body)),
                "join_url": ToolFormat.optional(event.onlineMeeting?.joinUrl), "attendees": .array(people),
            ])
    }

    /// A date-time with an offset as Graph's `dateTimeTimeZone`: wall clock in `zone` when Foundation knows the
    /// zone (IANA names), else in UTC.
    static func graphTime(_ date: Date, zone: String?) -> GraphDateTimeTimeZone {
        let tz = zone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = tz
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return GraphDateTimeTimeZone(
            dateTime: f.string(from: date), timeZone: zone.flatMap(TimeZone.init(identifier:)) != nil ? zone! : "UTC")
    }

    static let eventFields: [ToolParameter] = [
        .string("subject", max: 255, format: .line),
        .string("start", max: 40, format: .dateTime),
        .string("end", max: 40, format: .dateTime),
        zoneParameter,
        .emails("attendees", "Invitations are sent to these addresses."),
        .string("location", max: 255, format: .line),
        .string("body", max: 20_000),
        .boolean("online_meeting", "Add a Teams link."),
    ]

    static func eventDraft(_ a: ToolArguments) throws -> GraphEventDraft {
        let start = a.date("start"), end = a.date("end")
        if let start, let end, end <= start {
            throw ToolError.invalidArgument(name: "end", expected: "a time after 'start'")
        }
        let zone = a.string("time_zone")
        return GraphEventDraft(
            subject: a.string("subject"),
            body: a.string("body").map { GraphItemBody(contentType: "text", content: $0) },
            start: start.map { graphTime($0, zone: zone) }, end: end.map { graphTime($0, zone: zone) },
            location: a.string("location"),
            attendees: a.strings("attendees").map { $0.map { GraphEventDraft.Attendee(address: $0) } },
            isOnlineMeeting: a.bool("online_meeting"))
    }

    static func saved(_ event: GraphEvent, _ verb: String, zone: String?, _ call: ToolInvocation) -> ToolReply {
        ToolReply(
            text: "\(verb): " + call.fence.fence(line(event)) + (zone.map { "\nTimes in \($0)." } ?? ""),
            structured: ["ok": true, "id": .string(event.id), "message": .string(verb)])
    }

    static let createEvent = ToolDefinition(
        name: "create_event", title: "Create an event",
        description: "Add an event; attendees get invitations.",
        parameters: eventFields.map { p in
            var p = p
            if ["subject", "start", "end"].contains(p.name) { p.required = true }
            return p
        },
        output: ToolFormat.confirmation,
        effect: .write(idempotent: false), scopes: ["Calendars.ReadWrite"]
    ) { call in
        let draft = try eventDraft(call.arguments)
        let attendees = call.arguments.strings("attendees") ?? []
        let zone = call.arguments.string("time_zone") ?? "UTC"
        func create() async throws -> GraphEvent { try await call.graph.createEvent(draft, timeZone: zone) }
        let event =
            attendees.isEmpty
            ? try await create()
            : try await SendGuard.send(
                call,
                SendGuard.Mail(
                    kind: "invite", recipients: attendees, subject: draft.subject ?? "", body: invitationText(draft),
                    target: nil), create)
        call.notes.set("targets", event.id)
        return saved(event, "Created", zone: zone, call)
    }

    static let updateEvent = ToolDefinition(
        name: "update_event", title: "Change an event",
        description: "Change fields of an event; attendees replaces the list and notifies them.",
        parameters: [.id("id")] + eventFields,
        output: ToolFormat.confirmation,
        effect: .write(idempotent: true), scopes: ["Calendars.ReadWrite"]
    ) { call in
        let id = try call.arguments.require("id")
        let a = call.arguments
        guard ["subject", "start", "end", "attendees", "location", "body", "online_meeting"].contains(where: a.has)
        else {
            throw ToolError.invalidArgument(name: "subject", expected: "at least one field to change")
        }
        if a.has("start") != a.has("end") {
            throw ToolError.invalidArgument(name: a.has("start") ? "end" : "start", expected: "start and end together")
        }
        let draft = try eventDraft(a)
        call.notes.set("targets", id)
        let zone = a.string("time_zone") ?? "UTC"
        func update() async throws -> GraphEvent { try await call.graph.updateEvent(id, draft, timeZone: zone) }
        // Microsoft mails every attendee of a meeting you organise about any change, and a cancellation to each
        // one a new list leaves out: the current attendees and the new ones all count (an empty list too).
        let current = try await call.graph.event(id, timeZone: nil)
        let organizer = current.responseStatus?.response == "organizer"
        var notified = a.strings("attendees") ?? []
        if organizer {
            for address in (current.attendees ?? []).compactMap({ $0.emailAddress?.address })
            where !notified.contains(where: { $0.caseInsensitiveCompare(address) == .orderedSame }) {
                notified.append(address)
            }
        }
        let event =
            notified.isEmpty
            ? try await update()
            : try await SendGuard.send(
                call,
                SendGuard.Mail(
                    kind: a.has("attendees") ? "invite" : "update", recipients: notified,
                    subject: draft.subject ?? current.subject ?? "", body: invitationText(draft), target: id),
                update)
        return saved(event, "Updated", zone: zone, call)
    }

    static let deleteEvent = ToolDefinition(
        name: "delete_event", title: "Delete an event",
        description: "Delete an event (attendees of your meetings get a cancellation).",
        parameters: [.id("id")],
        output: ToolFormat.confirmation,
        effect: .destructive(idempotent: true), scopes: ["Calendars.ReadWrite"]
    ) { call in
        let id = try call.arguments.require("id")
        call.notes.set("targets", id)
        // Deleting a meeting you organise mails its attendees a cancellation: that goes through the send guard.
        let event = try await call.graph.event(id, timeZone: nil)
        let attendees =
            event.responseStatus?.response == "organizer"
            ? (event.attendees ?? []).compactMap { $0.emailAddress?.address } : []
        do {
            if attendees.isEmpty {
                try await call.graph.deleteEvent(id)
            } else {
                let mail = SendGuard.Mail(
                    kind: "cancel", recipients: attendees, subject: event.subject ?? "", body: "", target: id)
                try await SendGuard.send(call, mail) { try await call.graph.deleteEvent(id) }
            }
        } catch let error as ToolError {
            throw error
        } catch {
            call.notes.event(
                AuditEvent(
                    "event.delete", outcome: .failure,
                    details: ["target": id, "error": ToolCatalogue.toolError(error).auditCode]))
            throw error
        }
        call.notes.event(AuditEvent("event.delete", outcome: .success, details: ["target": id]))
        return MailWriteTools.done("Event deleted.", id: nil)
    }

    static let respondToEvent = ToolDefinition(
        name: "respond_to_event", title: "Answer an invitation",
        description: "Accept, decline or tentatively accept, with an optional comment to the organizer.",
        parameters: [
            .id("id"), .string("response", choices: ["accept", "decline", "tentative"], required: true),
            .string("comment", max: 2000), .boolean("send_response", "Tell the organizer (default true)."),
        ],
        output: ToolFormat.confirmation,
        effect: .write(idempotent: true), scopes: ["Calendars.ReadWrite"]
    ) { call in
        let id = try call.arguments.require("id")
        let response = try call.arguments.require("response")
        call.notes.set("targets", id)
        let action = ["accept": "accept", "decline": "decline", "tentative": "tentativelyAccept"][response]!
        let comment = call.arguments.string("comment")
        func respond(_ notify: Bool) async throws {
            try await call.graph.respondToEvent(id, action: action, comment: comment, sendResponse: notify)
        }
        guard call.arguments.bool("send_response") ?? true else {
            try await respond(false)
            return MailWriteTools.done("Answered: \(response) (the organizer was not told).", id: id)
        }
        let event = try await call.graph.event(id, timeZone: nil)
        guard let organizer = event.organizer?.emailAddress?.address, !organizer.isEmpty else {
            try await respond(false)
            return MailWriteTools.done(
                "Answered: \(response). The event names no organizer, so nobody was told.", id: id)
        }
        let mail = SendGuard.Mail(
            kind: "respond", recipients: [organizer], subject: event.subject ?? "",
            body: action + "\n" + (comment ?? ""),
            target: id)
        let (_, withheld) = try await SendGuard.sendOrWithhold(call, mail, respond)
        guard let withheld else { return MailWriteTools.done("Answered: \(response); the organizer was told.", id: id) }
        return MailWriteTools.done(
            "Answered: \(response), without telling the organizer (sendResponse false) because \(withheld)", id: id)
    }

    /// The text an invitation or update carries from this call (bound by hash in a confirmation).
    static func invitationText(_ draft: GraphEventDraft) -> String {
        [
            draft.body?.content ?? "", draft.start?.dateTime ?? "", draft.end?.dateTime ?? "",
            draft.location?.displayName ?? "",
        ].joined(separator: "\n")
    }
}
