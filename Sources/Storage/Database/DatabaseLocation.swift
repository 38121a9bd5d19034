import Foundation

/// Where the store lives: an SQLite file (the embedded default) or a PostgreSQL server.
///
/// Parsed from `sqlite:PATH` or `postgres://user:pass@host:port/db`. The password is kept but never printed.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        /// `sslmode` from the URL query: `disable`, `prefer` (default) or `require`.
        public var tlsMode: String
    }

    /// The expected forms, for error messages.
    public static let expectedForm = "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"

    public init(parsing text: String) throws(StorageError) {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw .invalidLocation("sqlite: needs a file path") }
            self = .sqlite(path: path)
            return
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text)
        else {
            throw .invalidLocation("expected \(Self.expectedForm)")
        }
        guard let host = components.host, !host.isEmpty else { throw .invalidLocation("postgres URL has no host") }
        guard let user = components.user, !user.isEmpty else { throw .invalidLocation("postgres URL has no user") }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty, !database.contains("/") else {
            throw .invalidLocation("postgres URL has no database name")
        }
        let tls = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(tls) else {
            throw .invalidLocation("sslmode must be disable, prefer or require")
        }
        self = .postgres(
            PostgresLocation(
                host: host, port: components.port ?? 5432, username: user,
                password: components.password?.removingPercentEncoding ?? components.password,
                database: database, tlsMode: tls))
    }

    public var backendName: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }

    /// Printable form with the password replaced.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let pg):
            "postgres://\(pg.username)\(pg.password == nil ? "" : ":***")@\(pg.host):\(pg.port)/\(pg.database)"
        }
    }
}
