import Foundation

/// One user of the emulated directory.
struct SandboxUser: Sendable {
    let index: Int
    let id: String
    let displayName: String
    let givenName: String
    let surname: String
    /// SMTP address and UPN; an administrator can change it (`/_sandbox/users/{id}/rename`).
    var mail: String
    let jobTitle: String
    let officeLocation: String
    let mobilePhone: String
    let preferredTimeZone: String

    var userPrincipalName: String { mail }

    /// The string every item of this user's mailbox, calendar and contacts carries.
    var canary: String { "canary-\(id.prefix(8))" }

    var emailAddress: EmailAddress { EmailAddress(name: displayName, address: mail) }

    /// Graph's `user` resource.
    func json() -> JSONValue {
        .object([
            ("@odata.context", "https://graph.microsoft.com/v1.0/$metadata#users/$entity"),
            ("businessPhones", .array([.string("+1 425 555 01\(String(format: "%02d", index % 100))")])),
            ("displayName", .string(displayName)),
            ("givenName", .string(givenName)),
            ("jobTitle", .string(jobTitle)),
            ("mail", .string(mail)),
            ("mobilePhone", .string(mobilePhone)),
            ("officeLocation", .string(officeLocation)),
            ("preferredLanguage", "en-US"),
            ("surname", .string(surname)),
            ("userPrincipalName", .string(userPrincipalName)),
            ("id", .string(id)),
        ])
    }
}

/// A name and SMTP address, as Graph's `emailAddress`.
struct EmailAddress: Sendable, Equatable {
    var name: String
    var address: String

    func json() -> JSONValue {
        .object([("emailAddress", .object([("name", .string(name)), ("address", .string(address))]))])
    }

    /// Reads Graph's `recipient` shape `{"emailAddress":{"name","address"}}`.
    init?(recipient: JSONValue) {
        guard let ea = recipient["emailAddress"], let address = ea["address"]?.stringValue, address.contains("@")
        else { return nil }
        self.address = address
        self.name = ea["name"]?.stringValue ?? address
    }

    init(name: String, address: String) {
        self.name = name
        self.address = address
    }
}
