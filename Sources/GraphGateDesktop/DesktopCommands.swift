import AsyncHTTPClient
import Foundation
import Logging
import MicrosoftGraph
import Storage
import TokenVault

/// The work behind `graphgate login`, `login --status` and `logout` (argument parsing lives in the executable).
public enum DesktopCommands {
    /// Signs in (device code, or `browser`: auth code + PKCE on a loopback redirect) and links the account as
    /// `label`. Returns the summary line for stdout; instructions go to `say` as the flow runs.
    public static func login(
        options: DesktopOptions, label: String?, readOnly: Bool, browser: Bool, openBrowser: Bool, logger: Logger,
        say: @escaping @Sendable (String) -> Void
    ) async throws(DesktopError) -> String {
        let paths = try options.paths()
        let previous = try DesktopSettings.load(from: paths.settings)
        let settings = try options.loginSettings(previous: previous)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = httpClient.shutdown() }
        let store = try await DesktopStore.open(
            paths: paths, settings: settings, create: true, httpClient: httpClient, logger: logger)
        let result: Result<String, DesktopError>
        do throws(DesktopError) {
            result = .success(
                try await signIn(
                    store: store, previous: previous, label: label, readOnly: readOnly, browser: browser,
                    openBrowser: openBrowser, logger: logger, say: say))
        } catch {
            result = .failure(error)
        }
        await store.close()
        return try result.get()
    }

    private static func signIn(
        store: DesktopStore, previous: DesktopSettings?, label: String?, readOnly: Bool, browser: Bool,
        openBrowser: Bool, logger: Logger, say: @escaping @Sendable (String) -> Void
    ) async throws(DesktopError) -> String {
        let settings = store.settings
        let accounts = try await store.accounts()
        if let previous, !accounts.isEmpty, !previous.sameApp(as: settings) {
            guard settings.sandbox else {
                throw .invalid(
                    "this computer is signed in with another Microsoft app or tenant; run `graphgate logout` first")
            }
            logger.notice("the emulated tenant moved; earlier sandbox sign-ins will need to sign in again")
        }
        let login = try DesktopLogin(
            store: store, label: label ?? TokenVault.defaultAccountLabel,
            scopes: DesktopLogin.scopes(readOnly: readOnly), logger: logger, say: say)
        let account: LinkedAccount
        do throws(DesktopError) {
            account = browser ? try await login.browser(openBrowser: openBrowser) : try await login.deviceCode()
        } catch {
            if settings.sandbox, case .signIn(.unreachable) = error { throw .sandboxUnreachable(settings.authority) }
            throw error
        }
        try settings.save(to: store.paths.settings)
        return "Signed in as \(account.username) (account '\(account.label)'"
            + "\(settings.sandbox ? ", emulated tenant" : "")). Scopes: \(account.grantedScopes)"
    }

    /// Who is signed in, with which scopes, against which tenant (for stdout).
    public static func status(options: DesktopOptions, logger: Logger) async throws(DesktopError) -> String {
        let paths = try options.paths()
        guard paths.hasStore, let settings = try DesktopSettings.load(from: paths.settings) else {
            return
                "Not signed in\(paths.sandbox ? " (sandbox)" : ""). Run `graphgate login\(paths.sandbox ? " --sandbox" : "")`."
        }
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = httpClient.shutdown() }
        let store = try await DesktopStore.open(
            paths: paths, settings: settings, create: false, httpClient: httpClient, logger: logger)
        let accounts: [LinkedAccount]
        do {
            accounts = try await store.accounts()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        guard !accounts.isEmpty else {
            return
                "Not signed in\(paths.sandbox ? " (sandbox)" : ""). Run `graphgate login\(paths.sandbox ? " --sandbox" : "")`."
        }
        var lines = [
            settings.sandbox
                ? "Emulated tenant at \(settings.authority) (data: \(paths.directory.path))"
                : "Microsoft tenant \(settings.tenant), app \(settings.clientId) (data: \(paths.directory.path))"
        ]
        for account in accounts {
            let state =
                account.status == .active
                ? "signed in" : "needs sign-in (run `graphgate login --account \(account.label)`)"
            lines.append("account '\(account.label)': \(account.username), \(state)")
            lines.append("  scopes: \(account.grantedScopes)")
        }
        return lines.joined(separator: "\n")
    }

    /// With `label`: shreds that account's tokens and unlinks it. Without: shreds every account's tokens, then
    /// deletes the store, keyring and settings (and, in real mode, the sandbox store too): nothing is left.
    public static func logout(
        options: DesktopOptions, label: String?, logger: Logger
    ) async throws(DesktopError)
        -> String
    {
        let paths = try options.paths()
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = httpClient.shutdown() }
        var removed: [String] = []
        if paths.hasStore {
            let settings =
                try DesktopSettings.load(from: paths.settings)
                ?? DesktopSettings(
                    sandbox: paths.sandbox, authority: "http://127.0.0.1", tenant: "common", clientId: "",
                    graphURL: "http://127.0.0.1")
            let store = try await DesktopStore.open(
                paths: paths, settings: settings, create: false, httpClient: httpClient, logger: logger)
            do {
                let accounts = try await store.accounts()
                let targets = label.map { wanted in accounts.filter { $0.label == wanted } } ?? accounts
                if let label, targets.isEmpty {
                    throw DesktopError.unknownAccount(label, known: accounts.map(\.label))
                }
                for account in targets {
                    try await store.vault.revoke(userId: account.userId, accountId: account.id, by: "desktop_logout")
                    try await store.users.deleteAccount(id: account.id)
                    removed.append(account.label)
                }
                if label == nil, let owner = try await store.owner() {
                    try await store.users.deleteUser(id: owner.id)
                }
            } catch {
                await store.close()
                if let error = error as? DesktopError { throw error }
                if let error = error as? VaultError { throw .vault(error) }
                throw .storage(StorageError.from(error))
            }
            await store.close()
        } else if let label {
            throw .unknownAccount(label, known: [])
        }
        if label == nil {
            try paths.removeAll()
            if !paths.sandbox {
                try DesktopPaths(directory: paths.directory.appendingPathComponent("sandbox"), sandbox: true)
                    .removeAll()
            }
            return removed.isEmpty
                ? "Nothing to sign out of; no graphgate data left in \(paths.directory.path)."
                : "Signed out (\(removed.joined(separator: ", "))); removed the tokens, keyring and local store in \(paths.directory.path)."
        }
        return "Signed out of account '\(removed.joined())'; its tokens are deleted."
    }
}

extension DesktopSettings {
    /// Whether refresh tokens from `other`'s sign-ins work with these settings (same app, tenant, authority).
    func sameApp(as other: DesktopSettings) -> Bool {
        authority == other.authority && clientId == other.clientId && tenant == other.tenant
    }
}
