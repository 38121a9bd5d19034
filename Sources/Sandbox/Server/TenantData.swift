import Foundation

/// Everything mutable about the tenant; guarded by ``TenantState``'s lock.
struct TenantData: Sendable {
    var directory: SandboxDirectory
    var mailboxes: [Int: Mailbox] = [:]
    var calendars: [Int: CalendarStore] = [:]
    var contacts: [Int: ContactStore] = [:]
    var accessTokens: [String: AccessTokenRecord] = [:]
    var refreshTokens: [String: RefreshTokenRecord] = [:]
    var codes: [String: AuthorizationCodeRecord] = [:]
    var deviceCodes: [String: DeviceCodeRecord] = [:]
    var idTokens: [String] = []
    /// Signed-in browser sessions: cookie value → user index.
    var sessions: [String: Int] = [:]
    /// Granted delegated permissions per (user index, client id).
    var consents: [String: Set<String>] = [:]
    /// Per user: tokens issued before this moment are revoked.
    var tokensValidFrom: [Int: Date] = [:]
    var faults: SandboxFaults
    var grantCounts: [String: Int] = [:]
    var requestLog: [RequestLogEntry] = []
    var inflight: [Int: Int] = [:]
    var budgets: [Int: (start: Date, count: Int)] = [:]
    var outbound: [OutboundMessage] = []
    /// Meeting mail Microsoft sends (invitations and updates to attendees, answers to organizers), one per
    /// recipient, whether inside the tenant or not.
    var meetingMail: [OutboundMessage] = []
    var uploads: [String: UploadSession] = [:]

    init(directory: SandboxDirectory, faults: SandboxFaults) {
        self.directory = directory
        self.faults = faults
    }

    static func consentKey(_ userIndex: Int, _ clientId: String) -> String { "\(userIndex)|\(clientId.lowercased())" }

    func consented(_ userIndex: Int, _ clientId: String) -> Set<String> {
        consents[Self.consentKey(userIndex, clientId)] ?? []
    }
}
