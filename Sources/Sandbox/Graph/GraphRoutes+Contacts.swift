import Foundation
import Hummingbird

extension GraphRoutes {
    func contacts(_ call: GraphCall) throws -> Response {
        let r = call.rest
        if r.count == 1 {
            if call.method == .post {
                try call.require("Contacts.ReadWrite")
                let now = Date()
                var c = Contact(
                    key: "", givenName: "", surname: "", displayName: "", emailAddresses: [], companyName: "",
                    jobTitle: "",
                    businessPhones: [], mobilePhone: nil, personalNotes: "", created: now, modified: now)
                try applyContactFields(&c, call.body ?? .object([]))
                let created = state.withContacts(call.user.index) { $0.insert(c) }
                return HTTPReply.json(201, created.json(ids: call.ids))
            }
            guard call.method == .get else { throw GraphError.methodNotAllowed }
            try call.require("Contacts.Read", "Contacts.ReadWrite")
            let json = state.withContacts(call.user.index) { $0.sorted }.map { $0.json(ids: call.ids) }
            let all = try Listing.apply(json, query: call.query, type: "contact", defaultOrder: [])
            return try Listing.respond(
                call, base: core.baseURL, context: "users('\(call.user.id)')/contacts", all: all, type: "contact")
        }
        guard let decoded = call.ids.decode(r[1]) else { throw GraphError.idMalformed }
        guard case .contact(let key) = decoded, let contact = state.withContacts(call.user.index, { $0.contacts[key] })
        else {
            throw GraphError.itemNotFound
        }
        guard r.count == 2 else { throw GraphError.segmentNotFound(r[2]) }
        switch call.method {
        case .get:
            try call.require("Contacts.Read", "Contacts.ReadWrite")
            let json = contact.json(ids: call.ids)
            try json.validateSelect(call.query.select, type: "contact")
            return HTTPReply.json(200, json.selecting(call.query.select))
        case .patch:
            try call.require("Contacts.ReadWrite")
            var c = contact
            try applyContactFields(&c, call.body ?? .object([]))
            c.modified = Date()
            let updated = c
            state.withContacts(call.user.index) { $0.update(updated) }
            return HTTPReply.json(200, updated.json(ids: call.ids))
        case .delete:
            try call.require("Contacts.ReadWrite")
            _ = state.withContacts(call.user.index) { $0.remove(key) }
            return HTTPReply.empty(204)
        default: throw GraphError.methodNotAllowed
        }
    }

    private func applyContactFields(_ c: inout Contact, _ body: JSONValue) throws(GraphError) {
        guard case .object(let pairs) = body else {
            throw GraphError.badRequest("Empty Payload. JSON content expected.")
        }
        for (k, v) in pairs {
            switch k {
            case "givenName": c.givenName = v.stringValue ?? ""
            case "surname": c.surname = v.stringValue ?? ""
            case "displayName": c.displayName = v.stringValue ?? ""
            case "companyName": c.companyName = v.stringValue ?? ""
            case "jobTitle": c.jobTitle = v.stringValue ?? ""
            case "mobilePhone": c.mobilePhone = v.stringValue
            case "personalNotes": c.personalNotes = v.stringValue ?? ""
            case "businessPhones": c.businessPhones = (v.arrayValue ?? []).compactMap(\.stringValue)
            case "emailAddresses":
                c.emailAddresses = (v.arrayValue ?? []).compactMap { e in
                    e["address"]?.stringValue.map { EmailAddress(name: e["name"]?.stringValue ?? $0, address: $0) }
                }
            case "@odata.type", "@odata.etag": continue
            default:
                throw GraphError.badRequest(
                    "The property '\(k)' does not exist on type 'microsoft.graph.contact'. Make sure to only use property names that are defined by the type or mark the type as open type."
                )
            }
        }
        if c.displayName.isEmpty {
            c.displayName = [c.givenName, c.surname].filter { !$0.isEmpty }.joined(separator: " ")
        }
    }
}
