import GraphGateSettings
import MicrosoftGraph
import Storage
import TokenVault

/// Why `graphgate login`, `logout` or `stdio` could not do what was asked, in one line a person can act on.
/// `description` never contains a token, code, verifier or mailbox content.
public enum DesktopError: Error, Sendable, CustomStringConvertible {
    /// No Microsoft app to sign in with (real mode needs the user's own public-client app registration).
    case noClientId
    /// Nobody signed in yet in this data directory (or for this mode).
    case notSignedIn(sandbox: Bool)
    /// No account with this label.
    case unknownAccount(String, known: [String])
    /// An argument or setting is unusable.
    case invalid(String)
    /// The emulated tenant is not running at the URL.
    case sandboxUnreachable(String)
    /// The data directory (or a file in it) cannot be created, read or written.
    case files(String)
    /// The user declined, or the code expired, or Microsoft refused.
    case signIn(IdentityError)
    case vault(VaultError)
    case storage(StorageError)

    public var description: String {
        switch self {
        case .noClientId:
            "graphgate login needs the client id of your Entra app registration (a public client with "
                + "\"Allow public client flows\" on): pass --client-id or set \(GraphGateConfig.msClientId.name); "
                + "or try it offline with --sandbox"
        case .notSignedIn(let sandbox):
            "not signed in: run `graphgate login\(sandbox ? " --sandbox" : "")` in a terminal"
        case .unknownAccount(let label, let known):
            "no account labelled '\(label.prefix(64))'"
                + (known.isEmpty ? "" : " (signed in: \(known.joined(separator: ", ")))")
        case .invalid(let why): why
        case .sandboxUnreachable(let url):
            "the emulated tenant is not running at \(url): start it with `graphgate sandbox` in another terminal "
                + "(or pass --sandbox-url)"
        case .files(let why): why
        case .signIn(let error):
            switch error {
            case .deviceCodeExpired: "the sign-in code expired before it was used; run `graphgate login` again"
            case .deviceCodeDeclined, .userDeclined: "the sign-in was declined at Microsoft; nothing was stored"
            default: "sign-in failed: \(error.description)"
            }
        case .vault(let error): "token vault: \(error.description)"
        case .storage(let error): "local store: \(error.description)"
        }
    }
}
