import Foundation

/// Settings for one emulated Microsoft 365 tenant.
public struct SandboxConfiguration: Sendable {
    /// The fixed directory (tenant) id of the emulated tenant.
    public static let tenantId = "8f1e2c3d-4b5a-4c6d-9e7f-0a1b2c3d4e5f"
    /// The pre-registered graphgate web app (confidential client).
    public static let clientId = "5a0c1e9b-7d3f-4e2a-8b6c-1f2e3d4c5b6a"
    /// The secret of ``clientId``. Sandbox only; never a real secret.
    public static let clientSecret = "sandbox-secret~Gq8Q~graphgate-emulated-tenant"
    /// A pre-registered public (desktop) client, used for the device code flow.
    public static let publicClientId = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
    /// The tenant's primary domain.
    public static let domain = "contoso.sandbox"

    /// Interface to bind; the control path only answers loopback peers whatever this is.
    public var host: String
    /// Port to bind; 0 picks an ephemeral port.
    public var port: Int
    /// Seed for every generated mailbox, calendar and contact list.
    public var seed: UInt64
    /// Number of generated users in addition to the named ones.
    public var extraUsers: Int
    /// Access token lifetime range in seconds (Microsoft randomises 60–90 minutes).
    public var accessTokenLifetime: ClosedRange<Int>
    /// Refresh token inactivity lifetime in seconds (Microsoft: 90 days).
    public var refreshTokenLifetime: Int
    /// Authorization code lifetime in seconds (Microsoft: about 10 minutes).
    public var authorizationCodeLifetime: Int
    /// Device code lifetime in seconds (Microsoft: 15 minutes).
    public var deviceCodeLifetime: Int
    /// Polling interval announced for device codes, in seconds (Microsoft: 5).
    public var deviceCodeInterval: Int
    /// Exact redirect URIs accepted for ``clientId`` besides any loopback URI.
    public var extraRedirectURIs: [String]
    /// Messages generated per named mailbox (at least 200).
    public var messagesPerMailbox: Int
    /// Concurrent Graph requests allowed per mailbox before 429 (Outlook: 4).
    public var mailboxConcurrencyLimit: Int
    /// Graph requests allowed per mailbox per ``mailboxBudgetWindow`` seconds before 429.
    public var mailboxRequestBudget: Int
    /// Window of ``mailboxRequestBudget`` in seconds (Outlook: 10 000 per 10 minutes).
    public var mailboxBudgetWindow: Int
    /// Faults active from the start; change them at runtime on `/_sandbox/faults`.
    public var faults: SandboxFaults
    /// PEM certificate chain and key to serve HTTPS (like the real endpoints); nil serves plain HTTP.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// The "now" generated mail and calendars are arranged around; nil uses the start time (rounded to the hour).
    public var referenceDate: Date?

    /// Creates a configuration; every value has a sensible default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        seed: UInt64 = 42,
        extraUsers: Int = 0,
        accessTokenLifetime: ClosedRange<Int> = 3600...5400,
        refreshTokenLifetime: Int = 90 * 24 * 3600,
        authorizationCodeLifetime: Int = 600,
        deviceCodeLifetime: Int = 900,
        deviceCodeInterval: Int = 5,
        extraRedirectURIs: [String] = [],
        messagesPerMailbox: Int = 240,
        mailboxConcurrencyLimit: Int = 4,
        mailboxRequestBudget: Int = 10_000,
        mailboxBudgetWindow: Int = 600,
        faults: SandboxFaults = SandboxFaults(),
        referenceDate: Date? = nil,
        tlsCertificatePath: String? = nil,
        tlsKeyPath: String? = nil
    ) {
        self.host = host
        self.port = port
        self.seed = seed
        self.extraUsers = extraUsers
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.authorizationCodeLifetime = authorizationCodeLifetime
        self.deviceCodeLifetime = deviceCodeLifetime
        self.deviceCodeInterval = deviceCodeInterval
        self.extraRedirectURIs = extraRedirectURIs
        self.messagesPerMailbox = max(200, messagesPerMailbox)
        self.mailboxConcurrencyLimit = mailboxConcurrencyLimit
        self.mailboxRequestBudget = mailboxRequestBudget
        self.mailboxBudgetWindow = mailboxBudgetWindow
        self.faults = faults
        self.referenceDate = referenceDate
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
    }
}
