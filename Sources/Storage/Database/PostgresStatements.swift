import Logging
import NIOCore
import PostgresKit
import SQLKit
import Synchronization

/// The SQLKit database of one leased PostgreSQL connection, whose statements fail as soon as the connection
/// closes.
///
/// PostgresNIO writes a query to its channel without a write promise: when the server has just ended the session
/// (restart, failover: `FATAL 57P01` between two statements of a transaction, or on a pooled connection not yet
/// removed from the pool), the query is never sent and never answered, and its caller waits forever. The PostgreSQL
/// restart test found this: the audit log's writer hung that way and every request waiting for its event with it.
/// Each statement here is completed by its own answer or by the connection's close, whichever comes first.
struct PostgresStatements: SQLDatabase {
    let connection: PostgresConnection
    let inner: any SQLDatabase
    let watch: ConnectionCloseWatch

    var logger: Logger { inner.logger }
    var eventLoop: any EventLoop { inner.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { inner.version }
    var dialect: any SQLDialect { inner.dialect }
    var queryLogLevel: Logger.Level? { inner.queryLogLevel }

    func execute(
        sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void
    ) -> EventLoopFuture<Void> {
        watch.guarded(connection) { inner.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await execute(sql: query, onRow).get()
    }
}

/// Fails the statements pending on a PostgreSQL connection when the connection closes. One close callback per
/// connection (not per statement, which would pile up on a long-lived pooled connection).
final class ConnectionCloseWatch: Sendable {
    private struct State {
        var nextId: UInt64 = 0
        /// Pending statements by connection; a connection is present from its first statement until it closes.
        var pending: [ObjectIdentifier: [UInt64: EventLoopPromise<Void>]] = [:]
    }

    private let state = Mutex(State())

    func guarded(_ connection: PostgresConnection, _ start: () -> EventLoopFuture<Void>) -> EventLoopFuture<Void> {
        guard !connection.isClosed else {
            return connection.eventLoop.makeFailedFuture(StorageError.unavailable("the PostgreSQL connection closed"))
        }
        let key = ObjectIdentifier(connection)
        let promise = connection.eventLoop.makePromise(of: Void.self)
        let (id, isFirst) = state.withLock { state -> (UInt64, Bool) in
            state.nextId &+= 1
            let isFirst = state.pending[key] == nil
            state.pending[key, default: [:]][state.nextId] = promise
            return (state.nextId, isFirst)
        }
        if isFirst {
            connection.closeFuture.whenComplete { [self] _ in
                let orphans = state.withLock { $0.pending.removeValue(forKey: key) } ?? [:]
                for promise in orphans.values {
                    promise.fail(StorageError.unavailable("the PostgreSQL connection closed"))
                }
            }
        }
        start().whenComplete { [self] result in
            state.withLock { _ = $0.pending[key]?.removeValue(forKey: id) }
            promise.completeWith(result)
        }
        return promise.futureResult
    }
}
