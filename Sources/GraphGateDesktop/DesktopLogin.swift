import Foundation
import Logging
import MicrosoftGraph
import SecurityOps
import Storage
import TokenVault

/// Signs the local person in to Microsoft and links the account under `label` in their store: the device code
/// flow (default) or the authorization code flow with PKCE on a loopback redirect (`DesktopLogin+Browser`).
public struct DesktopLogin: Sendable {
    public let store: DesktopStore
    public let label: String
    /// Delegated permissions asked for (read-only set, plus the write set unless the policy is read-only).
    public let scopes: [String]
    /// Where instructions for the person go (the terminal).
    let say: @Sendable (String) -> Void
    let logger: Logger

    public init(
        store: DesktopStore, label: String, scopes: [String], logger: Logger, say: @escaping @Sendable (String) -> Void
    ) throws(DesktopError) {
        guard label.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
            throw .invalid("--account: expected a label of letters, digits, '.', '_' or '-' (at most 64)")
        }
        self.store = store
        self.label = label
        self.scopes = scopes
        self.logger = logger
        self.say = say
    }

    /// The scopes a login asks for: what the tools can use (no write scope in read-only mode), plus the OpenID
    /// ones (`offline_access` for the refresh token that keeps stdio sessions alive).
    public static func scopes(readOnly: Bool) -> [String] {
        MicrosoftScopes.normalize(
            MicrosoftScopes.readOnly + (readOnly ? [] : MicrosoftScopes.write) + MicrosoftScopes.openID)
    }

    var identity: IdentityClient { store.vault.identity }

    /// Device code flow (RFC 8628): prints the code and URL, polls at Microsoft's interval (slower after
    /// `slow_down`) until the person approves, declines or the code expires.
    public func deviceCode() async throws(DesktopError) -> LinkedAccount {
        let authorization: DeviceAuthorization
        do {
            authorization = try await identity.startDeviceAuthorization(scopes: scopes)
        } catch {
            await failed(error)
            throw .signIn(error)
        }
        let minutes = max(1, Int(authorization.expiresAt.timeIntervalSinceNow / 60))
        say("To sign in, open \(authorization.verificationURI) and enter the code \(authorization.userCode)")
        say("Waiting for you to finish (the code expires in \(minutes) minutes; Ctrl-C cancels)...")
        let tokens: TokenSet
        do {
            tokens = try await identity.waitForDeviceAuthorization(authorization)
        } catch {
            await failed(error)
            throw .signIn(error)
        }
        return try await link(tokens, nonce: .none, source: "device_code")
    }

    /// Verifies the id_token and stores the tokens encrypted under the store's owner (the first person who signed
    /// in; created now if this is the first login) with this login's label.
    func link(_ tokens: TokenSet, nonce: NonceCheck, source: String) async throws(DesktopError) -> LinkedAccount {
        let claims: IDTokenClaims
        do throws(IdentityError) {
            guard let idToken = tokens.idToken else { throw .invalidResponse("no id_token") }
            claims = try await identity.verifyIDToken(idToken, nonce: nonce)
            guard tokens.refreshToken != nil else { throw .signInRequired(.noRefreshToken) }
        } catch {
            await failed(error)
            throw .signIn(error)
        }
        let account: LinkedAccount
        let ownerId: String
        let existing = try await store.owner()
        do {
            let owner: User
            if let existing {
                owner = existing
            } else {
                owner = try await store.users.upsertUser(
                    tenantId: claims.tenantId, objectId: claims.objectId, username: claims.username,
                    displayName: claims.displayName)
            }
            ownerId = owner.id
            account = try await store.users.upsertAccount(
                userId: owner.id, label: label, tenantId: claims.tenantId, objectId: claims.objectId,
                username: claims.username, grantedScopes: tokens.scopes.joined(separator: " "))
        } catch {
            throw .storage(error)
        }
        do {
            try await store.vault.storeTokens(tokens, for: account, source: source)
        } catch {
            throw .vault(error)
        }
        await store.audit.record(
            AuditEvent(
                "login.microsoft", userId: ownerId, clientId: "desktop",
                details: ["account": account.id, "tenant": claims.tenantId, "source": source]))
        logger.info("signed in", metadata: ["gg.user": "\(ownerId)", "gg.account": "\(account.id)"])
        return account
    }

    func failed(_ error: IdentityError) async {
        let reason: String =
            switch error {
            case .deviceCodeDeclined, .userDeclined: "declined"
            case .deviceCodeExpired: "expired"
            default: "failed"
            }
        await store.audit.record(
            AuditEvent("login.microsoft", outcome: .failure, clientId: "desktop", details: ["reason": reason]))
    }
}
