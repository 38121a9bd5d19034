import Foundation
import GraphGateSettings
import Logging
import Storage

/// `graphgate backup PATH`: a consistent online copy of the SQLite store (`VACUUM INTO`, safe while the server
/// runs). PostgreSQL is backed up with its own tools (`pg_dump`); the keyring never goes into a backup of the
/// database, so a stolen backup holds only ciphertext.
public enum DatabaseBackup {
    public enum Outcome: Sendable {
        case written(path: String, bytes: Int64)
        /// PostgreSQL: nothing written; the text says how to back it up.
        case usePostgresTools(guidance: String)
    }

    /// What stops a backup, in one line.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Validates `path` strictly: an absolute or relative file path whose directory exists, that does not exist
    /// yet, is not the live database, and has no control characters.
    public static func validate(path: String, database: DatabaseLocation) throws(Failure) -> String {
        guard !path.isEmpty, !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw Failure(description: "expected a file path")
        }
        guard !path.hasPrefix("file:"), !path.contains("?") else {
            throw Failure(description: "expected a plain file path (not a URI)")
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            throw Failure(description: "\(url.path) already exists; choose a new file name")
        }
        let parent = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(description: "directory \(parent) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: parent) else {
            throw Failure(description: "directory \(parent) is not writable")
        }
        if case .sqlite(let live) = database, URL(fileURLWithPath: live).standardizedFileURL.path == url.path {
            throw Failure(description: "the backup path is the live database")
        }
        return url.path
    }

    public static func run(config: GraphGateConfig, path: String, logger: Logger) async throws(Failure) -> Outcome {
        if case .postgres(let pg) = config.database {
            return .usePostgresTools(
                guidance: """
                    graphgate stores its data in PostgreSQL (\(pg.host):\(pg.port)/\(pg.database)); back it up with \
                    PostgreSQL's own tools, e.g.
                      pg_dump --format=custom --file=graphgate-$(date +%F).dump -h \(pg.host) -p \(pg.port) -U \(pg.username) \(pg.database)
                    and restore with pg_restore --clean --if-exists -d \(pg.database) FILE. Back up the keyring \
                    (\(GraphGateConfig.keyring.name)) separately: see docs/deployment.md.
                    """)
        }
        guard case .sqlite(let live) = config.database, FileManager.default.fileExists(atPath: live) else {
            throw Failure(description: "no database at \(config.database) to back up")
        }
        let target = try validate(path: path, database: config.database)
        do {
            let database = try await Database.open(config.database, logger: logger)
            try await database.withRunning {
                try await Stores(database: database).operations.backupSQLite(to: target)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: target)
            throw Failure(description: "backup failed: \((error as? StorageError)?.description ?? "database error")")
        }
        // Owner-only, like the live database: it holds hashed tokens, ciphertext and the audit log.
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
        let size = (try? FileManager.default.attributesOfItem(atPath: target))?[.size] as? Int64
        return .written(path: target, bytes: size ?? 0)
    }
}
