import Foundation
import MicrosoftGraph

/// Who the assistant works for.
enum ProfileTools {
    static let all: [ToolDefinition] = [getProfile]

    static let getProfile = ToolDefinition(
        name: "get_profile", title: "Who am I",
        description: "The signed-in Microsoft account: name, address, mailbox time zone.",
        parameters: [],
        output: ToolFormat.object(
            [
                "id": ToolFormat.str, "name": ToolFormat.str, "email": ToolFormat.str,
                "job_title": ToolFormat.strOrNull,
                "office": ToolFormat.strOrNull, "time_zone": ToolFormat.strOrNull,
            ], required: ["id", "name", "email"]),
        effect: .read, scopes: ["User.Read"]
    ) { call in
        let me = try await call.graph.me()
        // Needs MailboxSettings.Read, which may not be granted: the zone is then unknown, not an error.
        let zone = try? await call.graph.mailboxTimeZone()
        let email = me.mail ?? me.userPrincipalName ?? ""
        var lines = ["\(UntrustedContent.line(me.displayName, max: 120)) <\(UntrustedContent.line(email))>"]
        if let title = me.jobTitle, !title.isEmpty { lines.append("Job title: " + UntrustedContent.line(title)) }
        if let office = me.officeLocation, !office.isEmpty { lines.append("Office: " + UntrustedContent.line(office)) }
        lines.append(
            "Mailbox time zone: \(zone.map { UntrustedContent.line($0, max: 64) } ?? "unknown (use UTC or ask the user)")"
        )
        return ToolReply(
            text: "Signed in as:\n" + lines.joined(separator: "\n"),
            structured: [
                "id": .string(me.id), "name": .string(me.displayName ?? ""), "email": .string(email),
                "job_title": ToolFormat.optional(me.jobTitle), "office": ToolFormat.optional(me.officeLocation),
                "time_zone": ToolFormat.optional(zone),
            ])
    }
}
