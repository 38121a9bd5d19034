import PostgresNIO
import SQLiteNIO

/// The one error type of the storage layer.
///
/// Its `description` never contains SQL parameters, connection passwords or row contents, so it can be logged
/// and shown to operators as it is.
public enum StorageError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A unique or primary-key constraint refused the write (for example a second row for the same key).
    case uniqueViolation
    /// A foreign-key, not-null or check constraint refused the write.
    case constraintViolation
    /// The database could not be reached or the connection was lost.
    case unavailable(String)
    /// The database location given in configuration is not usable.
    case invalidLocation(String)
    /// The database refused to open or write the file (read-only path, missing directory, …).
    case notWritable(String)
    /// A migration failed; the schema is left at the last version that succeeded.
    case migrationFailed(id: String, reason: String)
    /// Any other database error; the text is the database's own error class, never a parameter value.
    case failed(String)

    public var description: String {
        switch self {
        case .uniqueViolation: "a row with the same key already exists"
        case .constraintViolation: "a database constraint refused the change"
        case .unavailable(let why): "the database is unavailable: \(why)"
        case .invalidLocation(let why): "invalid database location: \(why)"
        case .notWritable(let why): "the database cannot be written: \(why)"
        case .migrationFailed(let id, let reason): "migration \(id) failed: \(reason)"
        case .failed(let why): "database error: \(why)"
        }
    }

    /// Maps a driver error to a typed storage error without copying bound values into the text.
    public static func from(_ error: any Error) -> StorageError {
        if let error = error as? StorageError { return error }
        if let error = error as? SQLiteError {
            switch error.reason {
            case .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraintUniqueRowIDFailed:
                return .uniqueViolation
            case .constraint, .constraintCheckFailed, .constraintForeignKeyFailed, .constraintNotNullFailed:
                return .constraintViolation
            case .readOnly, .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath, .permission:
                return .notWritable("SQLite \(error.reason)")
            case .busy, .locked, .busyTimeout, .busyInRecovery, .lockedBySharedCache:
                return .unavailable("SQLite database is locked by another process")
            default:
                return .failed("SQLite \(error.reason)")
            }
        }
        if let error = error as? PSQLError {
            if let state = error.serverInfo?[.sqlState] {
                if state == "23505" { return .uniqueViolation }
                if state.hasPrefix("23") { return .constraintViolation }
                if state.hasPrefix("08") || state.hasPrefix("57") { return .unavailable("PostgreSQL state \(state)") }
                return .failed("PostgreSQL state \(state)")
            }
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                return .unavailable("PostgreSQL connection: \(error.code)")
            case .sslUnsupported, .failedToAddSSLHandler:
                return .unavailable("PostgreSQL TLS: \(error.code)")
            default:
                return .failed("PostgreSQL \(error.code)")
            }
        }
        if error is CancellationError { return .unavailable("the operation was cancelled") }
        return .failed(String(describing: type(of: error)))
    }
}
