import Foundation
import GraphGateApp
import GraphGateSettings
import Logging
import Storage
import Testing

@Suite("Ops: backup and restore")
struct OpsBackupTests {
    @Test("an online backup taken while serving restores into a working server with the same users")
    func backupAndRestore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gg-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let live = directory.appendingPathComponent("live.sqlite").path
        let copy = directory.appendingPathComponent("copy.sqlite").path
        let logger = Logger(label: "test.backup")

        // Three users in the live store, written through the server's own store API.
        let liveDatabase = try await Database.open(.sqlite(path: live), logger: logger)
        let created = try await liveDatabase.withRunning {
            try await Migrator(database: liveDatabase).migrate(logger: logger)
            var users: [User] = []
            for name in ["ada", "grace", "edsger"] {
                users.append(
                    try await SQLUserStore(database: liveDatabase).upsertUser(
                        tenantId: "tenant-1", objectId: "oid-\(name)", username: "\(name)@contoso.com",
                        displayName: name.capitalized))
            }
            return users
        }

        // Back up while a server is running on the live file.
        try await TestApp.with(environment: ["GRAPHGATE_DATABASE_URL": "sqlite:\(live)"]) { server in
            #expect(try await server.http.fetch(server.url("/healthz")).status == 200)
            let outcome = try await DatabaseBackup.run(config: server.config, path: copy, logger: logger)
            guard case .written(let path, let bytes) = outcome else {
                Issue.record("expected a written backup")
                return
            }
            #expect(path == copy)
            #expect(bytes > 0)
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: copy)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // Restore = serve from the copy: it starts, is ready, and holds the same users.
        try await TestApp.with(environment: ["GRAPHGATE_DATABASE_URL": "sqlite:\(copy)"]) { server in
            #expect(try await server.http.fetch(server.url("/readyz")).status == 200)
            let restored = try await Database.open(.sqlite(path: copy), logger: logger)
            let users = try await restored.withRunning {
                try await SQLUserStore(database: restored).allUsers(limit: 100)
            }
            #expect(Set(users.map(\.id)) == Set(created.map(\.id)))
            #expect(Set(users.map(\.username)) == ["ada@contoso.com", "grace@contoso.com", "edsger@contoso.com"])
        }
    }

    @Test("backup paths are validated strictly")
    func validation() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gg-bv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let live = directory.appendingPathComponent("live.sqlite").path
        _ = FileManager.default.createFile(atPath: live, contents: Data())
        let location = DatabaseLocation.sqlite(path: live)
        for bad in [live, directory.path, "/no/such/dir/x.sqlite", "", "file:x.sqlite?mode=rwc", "a\nb.sqlite"] {
            #expect(throws: DatabaseBackup.Failure.self) { try DatabaseBackup.validate(path: bad, database: location) }
        }
        let good = directory.appendingPathComponent("new.sqlite").path
        #expect(try DatabaseBackup.validate(path: good, database: location) == good)
    }

    @Test("on PostgreSQL the command gives pg_dump guidance and writes nothing")
    func postgresGuidance() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gg-pg-\(UUID().uuidString)").path
        let config = try GraphGateConfig.load(environment: [
            "GRAPHGATE_DATABASE_URL": "postgres://gg:secret-password@db.internal:5432/graphgate"
        ])
        let outcome = try await DatabaseBackup.run(config: config, path: path, logger: Logger(label: "t"))
        guard case .usePostgresTools(let guidance) = outcome else {
            Issue.record("expected guidance")
            return
        }
        #expect(guidance.contains("pg_dump"))
        #expect(!guidance.contains("secret-password"))
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
