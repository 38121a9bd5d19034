import Foundation
import Logging
import Testing
import TokenVault

@Suite("Vault keyring")
struct VaultKeyringTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gg-keyring-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func initCreatesMode0600AndRefusesToOverwrite() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/graphgate.keyring"
        let created = try KeyringFile.create(at: path)
        let mode = try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        #expect(mode.intValue & 0o777 == 0o600)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: VaultError.keyringExists(path)) { try KeyringFile.create(at: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try KeyringFile.load(from: path) == created)
    }

    @Test func rotateAndDisableSurviveTheFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/k.keyring"
        var keyring = try KeyringFile.create(at: path)
        keyring.rotate()
        try keyring.disable(id: 1)
        try KeyringFile.write(keyring, to: path)
        let loaded = try KeyringFile.load(from: path)
        #expect(loaded.keys.map(\.status) == [.disabled, .primary])
        let mode = try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        #expect(mode.intValue & 0o777 == 0o600)
    }

    @Test func truncatedOrEditedKeyringIsATypedError() throws {
        let data = Keyring.generate().serialized()
        for length in [0, 1, data.count / 2, data.count - 2] {
            #expect(throws: VaultError.self) { try Keyring(parsing: data.prefix(length)) }
        }
        let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"primary\"", with: "\"disabled\"")
        #expect(throws: VaultError.keyringInvalid("exactly one key must be primary")) {
            try Keyring(parsing: Data(text.utf8))
        }
    }

    @Test func environmentFormRoundTrips() throws {
        var keyring = Keyring.generate()
        keyring.rotate()
        let value = keyring.environmentValue
        #expect(value.hasPrefix("2:"))
        let parsed = try Keyring(environmentValue: value)
        #expect(parsed.primary.id == 2)
        #expect(parsed.key(id: 1)?.status == .decryptOnly)
        let blob = try TokenEnvelope(keyring: keyring).seal(
            "t", for: TokenBinding(userId: "u", accountId: "a", kind: "k"))
        #expect(
            try TokenEnvelope(keyring: parsed).open(
                blob.blob, for: TokenBinding(userId: "u", accountId: "a", kind: "k")) == "t")
        #expect(throws: VaultError.self) { try Keyring(environmentValue: "1:c2hvcnQ=") }
        #expect(!keyring.description.contains(value.dropFirst(2).prefix(10)))
    }

    @Test func productionRefusesWithoutKeyringSandboxGeneratesOne() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logs = VaultLogCapture()
        #expect(throws: VaultError.self) {
            try KeyringSource.resolve(
                path: nil, environmentValue: nil, sandbox: false, dataDirectory: directory, logger: logs.logger())
        }
        let generated = try KeyringSource.resolve(
            path: nil, environmentValue: nil, sandbox: true, dataDirectory: directory, logger: logs.logger())
        #expect(FileManager.default.fileExists(atPath: directory + "/" + KeyringSource.sandboxFileName))
        #expect(logs.all.contains { $0.contains("generated a keyring") })
        let again = try KeyringSource.resolve(
            path: nil, environmentValue: nil, sandbox: true, dataDirectory: directory, logger: logs.logger())
        #expect(again == generated)
        #expect(throws: VaultError.self) {
            try KeyringSource.resolve(
                path: directory + "/missing.keyring", environmentValue: nil, sandbox: true, dataDirectory: directory,
                logger: logs.logger())
        }
    }

    @Test("instances starting at once in sandbox mode share one generated keyring instead of failing")
    func concurrentSandboxStartsShareOneKeyring() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logger = VaultLogCapture().logger()
        let keyrings = try await withThrowingTaskGroup(of: Keyring.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try KeyringSource.resolve(
                        path: nil, environmentValue: nil, sandbox: true, dataDirectory: directory, logger: logger)
                }
            }
            return try await group.reduce(into: [Keyring]()) { $0.append($1) }
        }
        #expect(keyrings.count == 16)
        #expect(keyrings.allSatisfy { $0 == keyrings[0] })
    }
}
