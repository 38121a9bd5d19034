import Foundation

/// One user's calendar: a month of generated events (recurring and single, across time zones).
struct CalendarStore: Sendable {
    private(set) var events: [String: CalendarEvent] = [:]
    private var serial = 0
    let user: SandboxUser

    init(user: SandboxUser, colleagues: [SandboxUser], seed: UInt64, anchor: Date) {
        self.user = user
        var r = SeededRandom(seed, UInt64(user.index), 41)
        let others = colleagues.filter { $0.id != user.id }
        let me = user.emailAddress
        let monthStart = anchor.addingTimeInterval(-14 * 86_400)
        let monthEnd = anchor.addingTimeInterval(21 * 86_400)
        func at(_ day: Date, _ hour: Int, _ minute: Int, _ zone: String) -> Date {
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = TimeZones.zone(zone)!
            var c = cal.dateComponents([.year, .month, .day], from: day)
            c.hour = hour
            c.minute = minute
            return cal.date(from: c)!
        }
        func body(_ text: String) -> String { "<html><body><p>\(text)</p><p>(ref \(user.canary))</p></body></html>" }
        let standupStart = at(monthStart, 9, 30, "Pacific Standard Time")
        add(
            CalendarEvent(
                key: "standup", subject: "Daily stand-up", bodyHTML: body("Fifteen minutes, cameras optional."),
                start: standupStart, end: standupStart.addingTimeInterval(900), timeZone: "Pacific Standard Time",
                location: "Teams", organizer: colleagues[0].emailAddress,
                attendees: colleagues.map { .init(address: $0.emailAddress, type: "required", response: "accepted") },
                recurrence: .init(daysOfWeek: [2, 3, 4, 5, 6], startDate: monthStart, endDate: monthEnd),
                response: user.index == 0 ? "organizer" : "accepted", isOnlineMeeting: true, created: monthStart,
                modified: monthStart))
        let oneOnOneStart = at(monthStart, 14, 0, "W. Europe Standard Time")
        let peer = others.first ?? user
        add(
            CalendarEvent(
                key: "oneonone", subject: "1:1 \(user.givenName) / \(peer.givenName)",
                bodyHTML: body("Weekly check-in."),
                start: oneOnOneStart, end: oneOnOneStart.addingTimeInterval(1800), timeZone: "W. Europe Standard Time",
                location: "Room 18/2111", organizer: me,
                attendees: [.init(address: peer.emailAddress, type: "required", response: "accepted")],
                recurrence: .init(daysOfWeek: [3], startDate: monthStart, endDate: monthEnd), response: "organizer",
                created: monthStart, modified: monthStart))
        let subjects = [
            "Contoso launch review", "Budget planning", "Customer call: Northwind", "Design critique", "Lunch & learn",
            "Vendor demo: Fabrikam", "Quarterly business review", "Interview: PM candidate", "Offsite planning",
            "Security briefing", "Partner sync (Tokyo)", "Board prep",
        ]
        let zones = [
            "Pacific Standard Time", "Eastern Standard Time", "GMT Standard Time", "Tokyo Standard Time", "UTC",
        ]
        for i in 0..<18 {
            let day = monthStart.addingTimeInterval(Double(r.int(in: 0...34)) * 86_400)
            let zone = i == 10 ? "Tokyo Standard Time" : r.pick(zones)
            let start = at(day, r.int(in: 8...16), r.chance(0.5) ? 0 : 30, zone)
            let organizer = r.chance(0.5) ? me : r.pick(others).emailAddress
            let invited = r.pick(others)
            var e = CalendarEvent(
                key: "s\(i)", subject: subjects[i % subjects.count], bodyHTML: body("Agenda to follow."), start: start,
                end: start.addingTimeInterval(Double(r.pick([30, 45, 60, 90])) * 60), timeZone: zone,
                location: r.pick(["Room 12/1110", "Teams", "Cafeteria", "Building 20"]), organizer: organizer,
                attendees: [
                    .init(address: organizer == me ? invited.emailAddress : me, type: "required", response: "none")
                ], response: organizer == me ? "organizer" : "notResponded", isOnlineMeeting: r.chance(0.5),
                created: monthStart, modified: monthStart)
            if i == 5 {
                e.isAllDay = true
                e.subject = "Company holiday"
                e.start = at(day, 0, 0, "UTC")
                e.end = e.start.addingTimeInterval(86_400)
                e.timeZone = "UTC"
                e.showAs = "free"
            }
            add(e)
        }
    }

    private mutating func add(_ e: CalendarEvent) { events[e.key] = e }

    mutating func insert(_ e: CalendarEvent) -> CalendarEvent {
        serial += 1
        var e = e
        e.key = "n\(serial)-\(Secrets.random(bytes: 4))"
        events[e.key] = e
        return e
    }

    mutating func update(_ e: CalendarEvent) { events[e.key] = e }

    mutating func remove(_ key: String) -> Bool { events.removeValue(forKey: key) != nil }

    /// An event by key, including an occurrence key `master~yyyymmdd`.
    func event(_ key: String) -> CalendarEvent? {
        if let e = events[key] { return e }
        let parts = key.split(separator: "~").map(String.init)
        guard parts.count == 2, let master = events[parts[0]], master.recurrence != nil else { return nil }
        return expand(master, from: .distantPast, to: .distantFuture).first { $0.occurrenceDay == parts[1] }
    }

    /// Singles and series masters, as `/me/events` lists them.
    var listed: [CalendarEvent] { events.values.sorted { $0.start < $1.start } }

    /// Singles and expanded occurrences overlapping [start, end), as `/me/calendarView` lists them.
    func view(from start: Date, to end: Date) -> [CalendarEvent] {
        var out: [CalendarEvent] = []
        for e in events.values {
            if e.recurrence != nil {
                out += expand(e, from: start, to: end)
            } else if e.start < end && e.end > start {
                out.append(e)
            }
        }
        return out.sorted { $0.start < $1.start }
    }

    private func expand(_ master: CalendarEvent, from start: Date, to end: Date) -> [CalendarEvent] {
        guard let r = master.recurrence, let zone = TimeZones.zone(master.timeZone) else { return [] }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        let duration = master.end.timeIntervalSince(master.start)
        let time = cal.dateComponents([.hour, .minute], from: master.start)
        var day = cal.startOfDay(for: r.startDate)
        var out: [CalendarEvent] = []
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "yyyyMMdd"
        while day <= r.endDate {
            if r.daysOfWeek.contains(cal.component(.weekday, from: day)),
                let s = cal.date(bySettingHour: time.hour ?? 0, minute: time.minute ?? 0, second: 0, of: day)
            {
                let e = s.addingTimeInterval(duration)
                if s < end && e > start {
                    var o = master
                    o.recurrence = nil
                    o.seriesMasterKey = master.key
                    o.occurrenceDay = f.string(from: day)
                    o.key = "\(master.key)~\(o.occurrenceDay!)"
                    o.start = s
                    o.end = e
                    out.append(o)
                }
            }
            guard let next = cal.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return out
    }
}
