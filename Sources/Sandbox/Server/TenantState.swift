import Foundation
import Synchronization

/// The tenant's state behind one lock, plus the immutable generators.
final class TenantState: Sendable {
    let configuration: SandboxConfiguration
    let generator: MailboxGenerator
    let anchor: Date
    private let data: Mutex<TenantData>

    init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        let directory = SandboxDirectory(seed: configuration.seed, extraUsers: configuration.extraUsers)
        let now = configuration.referenceDate ?? Date()
        anchor = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        generator = MailboxGenerator(
            seed: configuration.seed, anchor: anchor, colleagues: Array(directory.users.prefix(4)))
        data = Mutex(TenantData(directory: directory, faults: configuration.faults))
    }

    /// Runs `body` with exclusive access to the tenant's data.
    func withData<T: Sendable, E: Error>(_ body: (inout TenantData) throws(E) -> T) throws(E) -> T {
        try data.withLock { (d: inout TenantData) throws(E) -> T in try body(&d) }
    }

    /// Runs `body` on a user's mailbox, creating it from the seed on first use.
    func withMailbox<T: Sendable>(_ userIndex: Int, _ body: (inout Mailbox, MailboxGenerator) throws -> T) rethrows -> T
    {
        let generator = self.generator
        let count = configuration.messagesPerMailbox
        return try data.withLock { d in
            if d.mailboxes[userIndex] == nil, let user = d.directory.user(index: userIndex) {
                d.mailboxes[userIndex] = Mailbox(user: user, messages: count)
            }
            return try body(&d.mailboxes[userIndex]!, generator)
        }
    }

    /// Runs `body` on a user's calendar, creating it from the seed on first use.
    func withCalendar<T: Sendable>(_ userIndex: Int, _ body: (inout CalendarStore) throws -> T) rethrows -> T {
        let seed = configuration.seed, anchor = self.anchor
        return try data.withLock { d in
            if d.calendars[userIndex] == nil, let user = d.directory.user(index: userIndex) {
                let colleagues = Array(d.directory.users.prefix(4))
                d.calendars[userIndex] = CalendarStore(user: user, colleagues: colleagues, seed: seed, anchor: anchor)
            }
            return try body(&d.calendars[userIndex]!)
        }
    }

    /// Runs `body` on a user's contacts, creating them from the seed on first use.
    func withContacts<T: Sendable>(_ userIndex: Int, _ body: (inout ContactStore) throws -> T) rethrows -> T {
        let seed = configuration.seed
        return try data.withLock { d in
            if d.contacts[userIndex] == nil, let user = d.directory.user(index: userIndex) {
                d.contacts[userIndex] = ContactStore(
                    user: user, colleagues: Array(d.directory.users.prefix(4)), seed: seed)
            }
            return try body(&d.contacts[userIndex]!)
        }
    }
}
