import Foundation
import GraphGateSettings
import Logging
import Storage

/// The composition root of the one-shot commands that work on the configured store (`audit`, `admin`, `keys`):
/// opens the database, checks and migrates it, builds the stores once, runs `body`, closes the database.
///
/// A SQLite file that does not exist is refused, never created: these commands inspect or change an existing
/// store, and an empty one made by mistake (a relative path run from another directory) would answer "no
/// tokens use key 1" or "audit chain intact: 0 rows" about the wrong database.
enum CommandRoot {
    struct NoDatabase: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "no database at \(path) (GRAPHGATE_DATABASE_URL; a relative path is relative to the current directory). "
                + "graphgate serve or graphgate migrate creates it."
        }
    }

    static func withStores<R: Sendable>(
        config: GraphGateConfig, logger: Logger, _ body: @Sendable @escaping (Stores) async throws -> R
    ) async throws -> R {
        if case .sqlite(let path) = config.database, !FileManager.default.fileExists(atPath: path) {
            throw NoDatabase(path: path)
        }
        let database = try await Database.open(config.database, logger: logger)
        return try await database.withRunning {
            try await database.checkReachable()
            try await Migrator(database: database).migrate(logger: logger)
            return try await body(Stores(database: database))
        }
    }
}
