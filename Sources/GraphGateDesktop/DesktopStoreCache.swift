import AsyncHTTPClient
import Foundation
import Logging
import Storage

/// The store a running `graphgate stdio` uses, reopened when the files under it change: it starts before the first
/// login (tools answer "run graphgate login" until there is one), sees a `logout` at the next call (the files are
/// gone: no cached token is used after that), and picks up a new login without a restart.
actor DesktopStoreCache {
    struct Current: Sendable {
        let store: DesktopStore
        /// The owner's user id, once someone signed in.
        let ownerId: String?
    }

    private let options: DesktopOptions
    private let paths: DesktopPaths
    private let httpClient: HTTPClient
    private let logger: Logger
    private var current: Current?

    init(options: DesktopOptions, paths: DesktopPaths, httpClient: HTTPClient, logger: Logger) {
        self.options = options
        self.paths = paths
        self.httpClient = httpClient
        self.logger = logger
    }

    /// The open store with its owner; `notSignedIn` when there is none (nothing is created here).
    func get() async throws(DesktopError) -> Current {
        if let current, current.store.isCurrent {
            if current.ownerId != nil { return current }
            let refreshed = Current(store: current.store, ownerId: try await current.store.owner()?.id)
            self.current = refreshed
            return refreshed
        }
        if let stale = current {
            current = nil
            logger.notice("the local store changed on disk (logout or new login); reopening")
            await stale.store.close()
        }
        guard paths.hasStore, let saved = try DesktopSettings.load(from: paths.settings) else {
            throw .notSignedIn(sandbox: paths.sandbox)
        }
        let store = try await DesktopStore.open(
            paths: paths, settings: try options.stdioSettings(saved: saved), create: false, httpClient: httpClient,
            logger: logger, auditBehind: true)
        let opened = Current(store: store, ownerId: try await store.owner()?.id)
        current = opened
        return opened
    }

    /// The open store if it is still the one on disk, without opening anything (for the audit recorder).
    func openStore() -> Current? {
        guard let current, current.store.isCurrent else { return nil }
        return current
    }

    /// Writes the audit rows still queued (SIGTERM: the process exits right after).
    func flushAudit() async {
        await current?.store.audit.flush()
    }

    func close() async {
        await current?.store.close()
        current = nil
    }
}
