import GraphGateSettings
import Logging
import Storage

/// The composition root of the one-shot commands that work on the configured store (`audit`, `admin`, `keys`):
/// opens the database, checks and migrates it, builds the stores once, runs `body`, closes the database.
enum CommandRoot {
    static func withStores<R: Sendable>(
        config: GraphGateConfig, logger: Logger, _ body: @Sendable @escaping (Stores) async throws -> R
    ) async throws -> R {
        let database = try await Database.open(config.database, logger: logger)
        return try await database.withRunning {
            try await database.checkReachable()
            try await Migrator(database: database).migrate(logger: logger)
            return try await body(Stores(database: database))
        }
    }
}
