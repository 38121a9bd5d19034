import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import ServiceLifecycle
import Synchronization

/// The one SQL store of graphgate, on SQLite or PostgreSQL, behind the same API.
///
/// Stores write their SQL once with SQLKit's bound interpolation (`\(bind: value)`), which renders `?` for
/// SQLite and `$1` for PostgreSQL. Nothing is ever spliced into SQL as text. The drivers' query logging is off
/// (`queryLogLevel: nil`): at debug it would log every bound value, and a client can make any value a bind (a
/// token sent as a `client_id`).
///
/// - SQLite: one connection in WAL mode, handed to one caller at a time (SQLite has one writer anyway).
/// - PostgreSQL: a `PostgresClient` pool; `run()` must be running (it is a `Service`).
public final class Database: Service, Sendable {
    public enum Backend: String, Sendable {
        case sqlite
        case postgres
    }

    public let backend: Backend
    public let location: DatabaseLocation
    private let sqlite: SQLiteConnection?
    private let sqliteLock = AsyncLock()
    private let postgres: PostgresClient?
    private let closeWatch = ConnectionCloseWatch()
    private let logger: Logger
    private let operationCounter = Atomic<Int>(0)

    /// Reads and transactions begun so far (one per store call): how tests see that a page's reads do not grow
    /// with the rows it shows.
    public var operations: Int { operationCounter.load(ordering: .relaxed) }

    private init(
        location: DatabaseLocation, sqlite: SQLiteConnection?, postgres: PostgresClient?, logger: Logger
    ) {
        self.location = location
        self.backend = sqlite != nil ? .sqlite : .postgres
        self.sqlite = sqlite
        self.postgres = postgres
        self.logger = logger
    }

    /// Opens the store. For SQLite the file (and its directory) is created on first use.
    /// For PostgreSQL the pool connects lazily once `run()` is running.
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws(StorageError) -> Database {
        switch location {
        case .sqlite(let path):
            let url = URL(fileURLWithPath: path)
            let directory = url.deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .notWritable("cannot create directory \(directory)")
            }
            if FileManager.default.fileExists(atPath: url.path), !FileManager.default.isWritableFile(atPath: url.path) {
                throw .notWritable("\(url.path) is read-only")
            }
            if !FileManager.default.isWritableFile(atPath: directory) {
                throw .notWritable("directory \(directory) is read-only")
            }
            do {
                let connection = try await SQLiteConnection.open(storage: .file(path: url.path), logger: logger)
                do {
                    // The busy timeout first: the statements after it may wait for a lock another process
                    // (the running server, for `graphgate admin`) holds. Temporary storage in memory: the audit
                    // writer's multi-row INSERT otherwise spills its statement journal to a new file in /var/tmp
                    // in every transaction.
                    for pragma in [
                        "PRAGMA busy_timeout=5000", "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON",
                        "PRAGMA synchronous=NORMAL", "PRAGMA temp_store=MEMORY",
                    ] {
                        _ = try await connection.query(pragma)
                    }
                } catch {
                    try? await connection.close().get()
                    throw error
                }
                return Database(location: location, sqlite: connection, postgres: nil, logger: logger)
            } catch {
                throw StorageError.from(error) == .failed("SQLite cantOpen")
                    ? .notWritable("cannot open \(url.path)") : StorageError.from(error)
            }
        case .postgres(let pg):
            let tls: PostgresClient.Configuration.TLS
            switch pg.tlsMode {
            case "disable": tls = .disable
            case "require": tls = .require(.makeClientConfiguration())
            default: tls = .prefer(.makeClientConfiguration())
            }
            var configuration = PostgresClient.Configuration(
                host: pg.host, port: pg.port, username: pg.username, password: pg.password, database: pg.database,
                tls: tls)
            configuration.options.connectTimeout = .seconds(5)
            configuration.options.maximumConnections = 16
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            return Database(location: location, sqlite: nil, postgres: client, logger: logger)
        }
    }

    /// Runs the PostgreSQL pool until graceful shutdown, then closes the store. SQLite needs no background work,
    /// but waits for shutdown the same way so the file is closed cleanly.
    public func run() async throws {
        if let postgres {
            await cancelWhenGracefulShutdown {
                await postgres.run()
            }
        } else {
            try? await gracefulShutdown()
        }
        await close()
    }

    /// Runs `body` with the pool running, for commands that do not start a service group (`migrate`, `keys`).
    public func withRunning<R: Sendable>(_ body: @Sendable () async throws -> R) async throws -> R {
        guard let postgres else {
            do {
                let result = try await body()
                await close()
                return result
            } catch {
                await close()
                throw error
            }
        }
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                await postgres.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Closes the SQLite file; safe to call more than once and from a cancelled task (the future-based close
    /// does not observe cancellation). The PostgreSQL pool closes when `run()` ends.
    public func close() async {
        guard let sqlite else { return }
        try? await sqliteLock.withLock {
            if !sqlite.isClosed { try await sqlite.close().get() }
        }
    }

    /// Runs statements outside a transaction (each statement is atomic on its own).
    public func read<R: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> R) async throws(StorageError) -> R
    {
        operationCounter.add(1, ordering: .relaxed)
        do {
            if let sqlite {
                return try await sqliteLock.withLock { try await body(sqlite.sql(queryLogLevel: nil)) }
            }
            return try await withPostgresConnection { try await body(self.statements(on: $0)) }
        } catch {
            throw StorageError.from(error)
        }
    }

    /// Runs `body` in one transaction: all of it commits, or none of it does.
    ///
    /// On SQLite the transaction is `BEGIN IMMEDIATE`, so it holds the write lock from the start. On PostgreSQL,
    /// `lockingClause` (`FOR UPDATE`) in a store's SELECT takes a row lock that other instances wait on.
    public func transaction<R: Sendable>(
        _ body: @Sendable (any SQLDatabase) async throws -> R
    ) async throws(StorageError) -> R {
        operationCounter.add(1, ordering: .relaxed)
        do {
            if let sqlite {
                return try await sqliteLock.withLock {
                    let db = sqlite.sql(queryLogLevel: nil)
                    try await db.raw("BEGIN IMMEDIATE").run()
                    do {
                        let result = try await body(db)
                        try await db.raw("COMMIT").run()
                        return result
                    } catch {
                        try? await db.raw("ROLLBACK").run()
                        throw error
                    }
                }
            }
            return try await withPostgresConnection { connection in
                let db = self.statements(on: connection)
                try await db.raw("BEGIN").run()
                do {
                    let result = try await body(db)
                    try await db.raw("COMMIT").run()
                    return result
                } catch {
                    // A connection the server ended (restart, failover: FATAL 57P01) has no transaction left to roll
                    // back, and a query sent on it while it closes can be lost by PostgresNIO, leaving the caller
                    // waiting forever (found by the PostgreSQL restart test): roll back on live connections only.
                    if !connection.isClosed, !Self.endsConnection(error) { try? await db.raw("ROLLBACK").run() }
                    throw error
                }
            }
        } catch {
            throw StorageError.from(error)
        }
    }

    /// Whether a PostgreSQL error ended its connection: closed by either side, or a FATAL/PANIC error from the
    /// server (which closes the session).
    static func endsConnection(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: return true
        default:
            let severity = error.serverInfo?[.severity]
            return severity == "FATAL" || severity == "PANIC"
        }
    }

    /// ` FOR UPDATE` on PostgreSQL, nothing on SQLite (whose `BEGIN IMMEDIATE` already serialises writers).
    public var lockingClause: String { backend == .postgres ? " FOR UPDATE" : "" }

    /// Fails fast when the database cannot be reached, instead of waiting on the pool forever.
    public func checkReachable(timeout: Duration = .seconds(8)) async throws(StorageError) {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await self.read { db in try await db.raw("SELECT 1 AS one").all() } }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw StorageError.unavailable("no answer from \(self.location) within \(timeout)")
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch {
            throw StorageError.from(error)
        }
    }

    /// The SQLKit database of a leased connection: no query logging, and every statement fails as soon as the
    /// connection closes (see ``PostgresStatements``).
    private func statements(on connection: PostgresConnection) -> any SQLDatabase {
        PostgresStatements(connection: connection, inner: connection.sql(queryLogLevel: nil), watch: closeWatch)
    }

    /// How long a statement waits for a pooled PostgreSQL connection. PostgresNIO's pool keeps a request waiting
    /// for as long as it cannot connect (it retries with backoff), so while PostgreSQL is down every request — and
    /// graceful shutdown — would hang; instead the statement fails as `unavailable` and callers answer "try again".
    static let connectionWaitLimit: Duration = .seconds(5)

    /// Runs `body` on a pooled connection, failing with `unavailable` when none is leased within
    /// ``connectionWaitLimit``. Once `body` runs it is not interrupted (a transaction is never cut off by the wait
    /// limit).
    private func withPostgresConnection<R: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> R
    ) async throws -> R {
        guard let postgres else { throw StorageError.failed("no PostgreSQL client") }
        let leased = LeaseFlag()
        return try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: R?.self) { group in
                group.addTask {
                    try await postgres.withConnection { connection in
                        leased.set()
                        return try await body(connection)
                    }
                }
                group.addTask { [logger] in
                    try await Task.sleep(for: Self.connectionWaitLimit)
                    if leased.isSet { return nil }
                    logger.warning("no PostgreSQL connection within the wait limit; the statement fails as unavailable")
                    throw StorageError.unavailable("no PostgreSQL connection within \(Self.connectionWaitLimit)")
                }
                defer { group.cancelAll() }
                while let finished = try await group.next() {
                    if let result = finished { return result }
                }
                throw StorageError.unavailable("the PostgreSQL statement did not finish")
            }
        }
    }
}

/// Set once a pooled connection was leased (shared by the statement and its wait-limit timer).
private final class LeaseFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
