import Foundation
import MicrosoftGraph

/// Contact tools.
enum ContactTools {
    static let all: [ToolDefinition] = [listContacts, getContact, createContact]

    static let contactSchema: Value = ToolFormat.object([
        "id": ToolFormat.str, "name": ToolFormat.str, "emails": ["type": "array", "items": ToolFormat.str],
        "company": ToolFormat.strOrNull, "job_title": ToolFormat.strOrNull,
        "phones": ["type": "array", "items": ToolFormat.str],
    ])

    static func value(_ c: GraphContact) -> Value {
        [
            "id": .string(c.id), "name": .string(c.displayName ?? ""),
            "emails": .array((c.emailAddresses ?? []).compactMap { $0.address }.map { .string($0) }),
            "company": ToolFormat.optional(c.companyName), "job_title": ToolFormat.optional(c.jobTitle),
            "phones": .array(((c.businessPhones ?? []) + [c.mobilePhone].compactMap { $0 }).map { .string($0) }),
        ]
    }

    static func line(_ c: GraphContact) -> String {
        var parts = [UntrustedContent.line(c.displayName, max: 100)]
        let emails = (c.emailAddresses ?? []).compactMap(\.address).map { UntrustedContent.line($0) }
        if !emails.isEmpty { parts.append(emails.joined(separator: ", ")) }
        if let company = c.companyName, !company.isEmpty { parts.append(UntrustedContent.line(company, max: 80)) }
        let phones = (c.businessPhones ?? []) + [c.mobilePhone].compactMap { $0 }
        if !phones.isEmpty { parts.append(phones.map { UntrustedContent.line($0, max: 40) }.joined(separator: ", ")) }
        parts.append("id=\(c.id)")
        return parts.joined(separator: " | ")
    }

    static let listContacts = ToolDefinition(
        name: "list_contacts", title: "List contacts",
        description: "Contacts, optionally those whose name or address starts with query.",
        parameters: [.string("query", max: 100)] + ToolParameter.paging,
        output: ToolFormat.list("contacts", contactSchema),
        effect: .read, scopes: ["Contacts.Read"]
    ) { call in
        let page: GraphPage<GraphContact>
        if let cursor = try call.openCursor() {
            page = try await call.graph.page(continuing: cursor.link)
        } else {
            let query = call.arguments.string("query")?.trimmingCharacters(in: .whitespaces)
            if let query, query.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                throw ToolError.invalidArgument(name: "query", expected: "text without control characters")
            }
            page = try await call.graph.contacts(prefix: query?.isEmpty == false ? query : nil, top: call.pageSize)
        }
        let cursor = call.cursor(page.nextLink)
        var text = "\(page.value.count) contact\(page.value.count == 1 ? "" : "s")."
        if !page.value.isEmpty {
            text += "\n" + call.fence.notice + "\n" + call.fence.fence(page.value.map(line).joined(separator: "\n"))
        }
        if let cursor { text += "\nMore: call again with cursor=\(cursor)" }
        return ToolReply(
            text: text,
            structured: ["contacts": .array(page.value.map(value)), "next_cursor": ToolFormat.optional(cursor)])
    }

    static let getContact = ToolDefinition(
        name: "get_contact", title: "Read a contact",
        description: "One contact's details.",
        parameters: [.id("id")],
        output: ToolFormat.object(["contact": contactSchema], required: ["contact"]),
        effect: .read, scopes: ["Contacts.Read"]
    ) { call in
        let id = try call.arguments.require("id")
        let contact = try await call.graph.contact(id)
        call.notes.set("targets", id)
        var lines = [line(contact)]
        if let title = contact.jobTitle, !title.isEmpty { lines.append("Job title: " + UntrustedContent.line(title)) }
        return ToolReply(
            text: call.fence.notice + "\n" + call.fence.fence(lines.joined(separator: "\n")),
            structured: ["contact": value(contact)])
    }

    static let createContact = ToolDefinition(
        name: "create_contact", title: "Create a contact",
        description: "Add a contact; give at least a name or an email.",
        parameters: [
            .string("given_name", max: 100), .string("surname", max: 100), .string("display_name", max: 200),
            .emails("emails", maxItems: 3), .strings("business_phones", maxItems: 3, maxLength: 40),
            .string("mobile_phone", max: 40), .string("company", max: 200), .string("job_title", max: 200),
        ],
        output: ToolFormat.confirmation,
        effect: .write(idempotent: false), scopes: ["Contacts.ReadWrite"]
    ) { call in
        let a = call.arguments
        guard a.has("given_name") || a.has("surname") || a.has("display_name") || !(a.strings("emails") ?? []).isEmpty
        else {
            throw ToolError.invalidArgument(name: "display_name", expected: "a name or at least one email")
        }
        let name =
            a.string("display_name")
            ?? [a.string("given_name"), a.string("surname")].compactMap { $0 }.joined(separator: " ")
        let contact = try await call.graph.createContact(
            GraphContactDraft(
                givenName: a.string("given_name"), surname: a.string("surname"),
                displayName: name.isEmpty ? a.strings("emails")?.first : name,
                emailAddresses: a.strings("emails")?.map {
                    GraphEmailAddress(name: name.isEmpty ? nil : name, address: $0)
                },
                businessPhones: a.strings("business_phones"), mobilePhone: a.string("mobile_phone"),
                companyName: a.string("company"),
                jobTitle: a.string("job_title")))
        call.notes.set("targets", contact.id)
        return MailWriteTools.done("Contact created.", id: contact.id)
    }
}
