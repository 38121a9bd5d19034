import Foundation

/// The tenant's users: named demo users first, then generated ones, all deterministic by seed.
struct SandboxDirectory: Sendable {
    private(set) var users: [SandboxUser] = []
    let seed: UInt64

    private static let named: [(String, String, String, String, String)] = [
        ("Adele", "Vance", "AdeleV", "Retail Manager", "Pacific Standard Time"),
        ("Alex", "Wilber", "AlexW", "Marketing Assistant", "Eastern Standard Time"),
        ("Megan", "Bowen", "MeganB", "Marketing Manager", "W. Europe Standard Time"),
        ("Lee", "Gu", "LeeG", "Director", "Pacific Standard Time"),
    ]
    private static let givenNames = [
        "Nestor", "Lynne", "Isaiah", "Joni", "Grady", "Irvin", "Johanna", "Lidia", "Patti", "Pradeep", "Diego",
        "Miriam", "Henrietta", "Christie", "Enrico", "Allan",
    ]
    private static let surnames = [
        "Wilke", "Robbins", "Langer", "Sherman", "Archie", "Sayers", "Lorenz", "Holloway", "Fernandez", "Gupta",
        "Siciliani", "Graham", "Mueller", "Cline", "Cattaneo", "Deyoung",
    ]
    private static let offices = ["18/2111", "20/1101", "12/1110", "19/3123", "131/1104"]

    init(seed: UInt64, extraUsers: Int) {
        self.seed = seed
        for (i, n) in Self.named.enumerated() {
            users.append(makeUser(index: i, given: n.0, surname: n.1, alias: n.2, title: n.3, zone: n.4))
        }
        addGenerated(extraUsers)
    }

    /// Appends `count` generated users and returns them.
    @discardableResult
    mutating func addGenerated(_ count: Int) -> [SandboxUser] {
        var added: [SandboxUser] = []
        for _ in 0..<max(0, count) {
            let i = users.count
            var r = SeededRandom(seed, 7, UInt64(i))
            let given = r.pick(Self.givenNames), sur = r.pick(Self.surnames)
            let alias = "\(given).\(sur)\(i)"
            let user = makeUser(
                index: i, given: given, surname: sur, alias: alias, title: "Analyst", zone: "UTC")
            users.append(user)
            added.append(user)
        }
        return added
    }

    private func makeUser(
        index: Int, given: String, surname: String, alias: String, title: String, zone: String
    )
        -> SandboxUser
    {
        var r = SeededRandom(seed, 3, UInt64(index))
        return SandboxUser(
            index: index, id: r.guid(), displayName: "\(given) \(surname)", givenName: given, surname: surname,
            mail: "\(alias)@\(SandboxConfiguration.domain)", jobTitle: title,
            officeLocation: r.pick(Self.offices), mobilePhone: "+1 425 555 \(1000 + index)", preferredTimeZone: zone)
    }

    func user(id: String) -> SandboxUser? { users.first { $0.id == id } }

    func user(index: Int) -> SandboxUser? { users.indices.contains(index) ? users[index] : nil }

    /// Gives user `index` a new address and UPN (a rename: `preferred_username` changes, `oid` does not).
    mutating func rename(index: Int, to mail: String) {
        guard users.indices.contains(index) else { return }
        users[index].mail = mail
    }

    /// Finds a user by SMTP address or UPN, case-insensitively.
    func user(address: String) -> SandboxUser? {
        let a = address.lowercased()
        return users.first { $0.mail.lowercased() == a }
    }
}
