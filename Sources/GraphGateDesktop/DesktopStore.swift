import AsyncHTTPClient
import Foundation
import Logging
import MicrosoftGraph
import SecurityOps
import Storage
import TokenVault

/// One person's local store, opened: the SQLite database (same schema and store code as the server), the keyring,
/// the audit log, and a token vault whose identity client is the public client `login` signed in with.
public final class DesktopStore: Sendable {
    public let paths: DesktopPaths
    public let settings: DesktopSettings
    public let database: Database
    public let users: any UserStore
    public let audit: AuditLog
    public let vault: TokenVault
    let identity: FileIdentity?

    private init(
        paths: DesktopPaths, settings: DesktopSettings, database: Database, users: any UserStore, audit: AuditLog,
        vault: TokenVault
    ) {
        self.paths = paths
        self.settings = settings
        self.database = database
        self.users = users
        self.audit = audit
        self.vault = vault
        self.identity = paths.databaseIdentity
    }

    /// Opens (and with `create`, first creates) the store in `paths`: directory 0700, keyring and database 0600.
    /// Without `create`, a missing store is `notSignedIn`.
    /// - Parameter auditBehind: audit rows are written behind the answer, as the server writes them (`stdio`,
    ///   which flushes them on `close` and on SIGTERM); false: each `record` returns once its row is written (the
    ///   one-shot commands).
    public static func open(
        paths: DesktopPaths, settings: DesktopSettings, create: Bool, httpClient: HTTPClient, logger: Logger,
        auditBehind: Bool = false
    ) async throws(DesktopError) -> DesktopStore {
        if !create && !paths.hasStore { throw .notSignedIn(sandbox: paths.sandbox) }
        try paths.prepare()
        let keyring: Keyring
        do {
            if FileManager.default.fileExists(atPath: paths.keyring) {
                keyring = try KeyringFile.load(from: paths.keyring)
                if KeyringFile.isTooOpen(paths.keyring) {
                    logger.warning(
                        "keyring file is readable by other users; chmod 600 it",
                        metadata: ["gg.path": "\(paths.keyring)"])
                }
            } else {
                keyring = try KeyringFile.create(at: paths.keyring)
            }
        } catch {
            throw .vault(error)
        }
        guard let authority = settings.authorityURL else { throw .invalid("the authority URL is not valid") }
        let database: Database
        do {
            database = try await Database.open(.sqlite(path: paths.database), logger: logger)
        } catch {
            throw .storage(error)
        }
        do {
            try await Migrator(database: database).migrate(logger: logger)
        } catch {
            await database.close()
            throw .storage(StorageError.from(error))
        }
        // Desktop mode's composition root: the stores, built once, and what works on them.
        let stores = Stores(database: database)
        let users = stores.users
        let audit = AuditLog(store: stores.audit, logger: logger, writeBehind: auditBehind)
        let vault = TokenVault(
            users: users, blobs: stores.tokenBlobs, pending: stores.pendingSignIns, keyring: keyring,
            identity: IdentityClient(
                httpClient: httpClient, authority: authority, tenant: settings.tenant, clientId: settings.clientId,
                clientSecret: nil, logger: logger),
            audit: audit, logger: logger, cacheCapacity: 16, accessChanges: stores.accessChanges)
        return DesktopStore(
            paths: paths, settings: settings, database: database, users: users, audit: audit, vault: vault)
    }

    /// The person this store belongs to: the first user who signed in (every later `login --account` links its
    /// Microsoft account to this user).
    public func owner() async throws(DesktopError) -> User? {
        do {
            return try await users.allUsers(limit: 1).first
        } catch {
            throw .storage(error)
        }
    }

    /// The owner's linked accounts (empty when nobody is signed in).
    public func accounts() async throws(DesktopError) -> [LinkedAccount] {
        guard let owner = try await owner() else { return [] }
        do {
            return try await users.accounts(userId: owner.id)
        } catch {
            throw .storage(error)
        }
    }

    /// Whether the files on disk are still the ones this store opened (a logout or new login replaces them).
    var isCurrent: Bool {
        guard let identity, FileManager.default.fileExists(atPath: paths.keyring) else { return false }
        return paths.databaseIdentity == identity
    }

    /// Writes the audit rows still queued, then closes the database.
    public func close() async {
        await audit.flush()
        await database.close()
    }
}
