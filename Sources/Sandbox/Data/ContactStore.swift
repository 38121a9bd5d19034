import Foundation

/// One personal contact.
struct Contact: Sendable {
    var key: String
    var givenName: String
    var surname: String
    var displayName: String
    var emailAddresses: [EmailAddress]
    var companyName: String
    var jobTitle: String
    var businessPhones: [String]
    var mobilePhone: String?
    var personalNotes: String
    var created: Date
    var modified: Date

    func json(ids: ItemIds) -> JSONValue {
        .object([
            ("@odata.etag", .string("W/\"EQAAABYAAA\(Int(modified.timeIntervalSince1970))\"")),
            ("id", .string(ids.contactId(key))),
            ("createdDateTime", .string(WireFormat.iso(created))),
            ("lastModifiedDateTime", .string(WireFormat.iso(modified))),
            ("displayName", .string(displayName)),
            ("givenName", .string(givenName)),
            ("surname", .string(surname)),
            ("companyName", .string(companyName)),
            ("jobTitle", .string(jobTitle)),
            ("businessPhones", .array(businessPhones.map(JSONValue.string))),
            ("mobilePhone", mobilePhone.json),
            ("personalNotes", .string(personalNotes)),
            (
                "emailAddresses",
                .array(emailAddresses.map { .object([("name", .string($0.name)), ("address", .string($0.address))]) })
            ),
        ])
    }
}

/// One user's contacts: the named colleagues plus generated external people.
struct ContactStore: Sendable {
    private(set) var contacts: [String: Contact] = [:]
    private var serial = 0

    init(user: SandboxUser, colleagues: [SandboxUser], seed: UInt64) {
        var r = SeededRandom(seed, UInt64(user.index), 53)
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        for c in colleagues where c.id != user.id {
            add(
                Contact(
                    key: "c\(c.index)", givenName: c.givenName, surname: c.surname, displayName: c.displayName,
                    emailAddresses: [c.emailAddress], companyName: "Contoso", jobTitle: c.jobTitle,
                    businessPhones: ["+1 425 555 01\(String(format: "%02d", c.index))"], mobilePhone: c.mobilePhone,
                    personalNotes: "Colleague (ref \(user.canary))", created: created, modified: created))
        }
        let given = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Gita", "Hugo", "Ines", "Jun", "Kofi", "Lena"]
        let family = ["Ortiz", "Novak", "Haddad", "Khan", "Yilmaz", "Adeyemi", "Rao", "Martin", "Costa", "Tanaka"]
        let companies = ["Fabrikam", "Northwind Traders", "Tailspin Toys", "Woodgrove Bank", "Litware"]
        for i in 0..<20 {
            let g = r.pick(given), s = r.pick(family), co = r.pick(companies)
            let domain = co.lowercased().replacingOccurrences(of: " ", with: "") + ".example"
            add(
                Contact(
                    key: "x\(i)", givenName: g, surname: s, displayName: "\(g) \(s)",
                    emailAddresses: [
                        EmailAddress(name: "\(g) \(s)", address: "\(g.lowercased()).\(s.lowercased())@\(domain)")
                    ],
                    companyName: co, jobTitle: r.pick(["Buyer", "Account Manager", "Engineer", "Consultant"]),
                    businessPhones: ["+1 206 555 \(1000 + i)"], mobilePhone: nil,
                    personalNotes: "Met at the partner summit (ref \(user.canary))", created: created, modified: created
                ))
        }
    }

    private mutating func add(_ c: Contact) { contacts[c.key] = c }

    mutating func insert(_ c: Contact) -> Contact {
        serial += 1
        var c = c
        c.key = "n\(serial)-\(Secrets.random(bytes: 4))"
        contacts[c.key] = c
        return c
    }

    mutating func update(_ c: Contact) { contacts[c.key] = c }

    mutating func remove(_ key: String) -> Bool { contacts.removeValue(forKey: key) != nil }

    var sorted: [Contact] {
        contacts.values.sorted {
            $0.displayName < $1.displayName || ($0.displayName == $1.displayName && $0.key < $1.key)
        }
    }
}
