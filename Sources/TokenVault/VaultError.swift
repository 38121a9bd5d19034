import MicrosoftGraph
import Storage

/// The one error type of the token vault.
///
/// Tools map `signInRequired` to "sign in again at {url}" and `consentRequired` to a consent link
/// (`TokenVault.consentURL(for:)`). `description` never contains a token, key, code, verifier or address.
public enum VaultError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why the stored Microsoft grant cannot be used.
    public enum SignInReason: String, Sendable, Equatable {
        /// No Microsoft tokens are stored for the account (never signed in, or revoked).
        case noTokens = "no_tokens"
        /// Microsoft refused the refresh token (expired, revoked, password changed).
        case refreshRejected = "refresh_rejected"
        /// Microsoft needs the user in a browser (MFA, conditional access).
        case interactionRequired = "interaction_required"
        /// The stored tokens cannot be decrypted (tampered row, disabled or missing key): fail closed.
        case tokenUnreadable = "token_unreadable"
        /// The account was already marked as needing sign-in.
        case accountNeedsSignIn = "account_needs_sign_in"
    }

    // Accounts and tokens
    case accountNotFound
    case signInRequired(SignInReason)
    case consentRequired(scopes: [String])
    /// Microsoft could not refresh right now (5xx, dropped connection, another instance holding the lease too
    /// long); the stored refresh token is unchanged. Retry later.
    case refreshUnavailable(String)

    // Sign-in flow
    case signInStateInvalid
    case signInStateExpired
    case signInDeclined
    case signInFailed(String)
    /// The access policy (allowed tenants / users) does not admit this Microsoft account; nothing was stored.
    case signInNotAllowed
    case invalidRequest(String)

    // Keyring and envelopes
    case keyringMissing(String)
    case keyringUnreadable(String)
    case keyringExists(String)
    case keyringInvalid(String)
    case keyDisabled(keyId: UInt32)
    case unknownKey(keyId: UInt32)
    case malformedEnvelope
    /// Authentication tag mismatch: the blob was changed, truncated, or moved to another row.
    case decryptionFailed

    case storage(StorageError)
    case identity(IdentityError)

    public var description: String {
        switch self {
        case .accountNotFound: "no linked Microsoft account"
        case .signInRequired(let reason): "sign in to Microsoft again (\(reason.rawValue))"
        case .consentRequired(let scopes): "Microsoft consent is needed for \(scopes.joined(separator: " "))"
        case .refreshUnavailable(let why): "cannot refresh the Microsoft token now: \(why)"
        case .signInStateInvalid: "this sign-in link is unknown or was already used; start the sign-in again"
        case .signInStateExpired: "this sign-in took longer than 10 minutes; start the sign-in again"
        case .signInDeclined: "the Microsoft sign-in was declined"
        case .signInFailed(let why): "the Microsoft sign-in failed: \(why)"
        case .signInNotAllowed: "this Microsoft account is not allowed to use this graphgate server"
        case .invalidRequest(let why): "invalid sign-in request: \(why)"
        case .keyringMissing(let why): "no keyring: \(why)"
        case .keyringUnreadable(let why): "the keyring cannot be read: \(why)"
        case .keyringExists(let path): "a keyring already exists at \(path); refusing to overwrite it"
        case .keyringInvalid(let why): "invalid keyring: \(why)"
        case .keyDisabled(let id): "key \(id) is disabled"
        case .unknownKey(let id): "key \(id) is not in the keyring"
        case .malformedEnvelope: "the encrypted token is malformed"
        case .decryptionFailed: "the encrypted token failed authentication"
        case .storage(let error): error.description
        case .identity(let error): error.description
        }
    }

    /// True when only a new interactive Microsoft sign-in fixes it.
    public var requiresSignIn: Bool {
        switch self {
        case .signInRequired, .accountNotFound: true
        case .identity(let error): error.requiresSignIn
        default: false
        }
    }

    /// True when retrying later can succeed without the user: Microsoft could not refresh right now, or the store
    /// did not answer.
    public var isTransient: Bool {
        switch self {
        case .refreshUnavailable, .storage(.unavailable): true
        case .identity(.serviceUnavailable), .identity(.unreachable): true
        default: false
        }
    }

    /// Scopes the user must consent to, if that is the fix.
    public var missingScopes: [String]? {
        switch self {
        case .consentRequired(let scopes): scopes
        case .identity(.consentRequired(let scopes)): scopes
        default: nil
        }
    }
}

extension VaultError: TransientTokenError {}
